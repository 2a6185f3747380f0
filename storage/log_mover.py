"""Moving a partition to another log directory while it keeps serving (Kafka's AlterReplicaLogDirs).

As in Kafka, the copy is a "future" log, ``<topic>-<partition>.<id>-future`` in the target
directory, that catches up with the current log and then takes its place. Kafka fills it the way
a follower fetches; here its files are copied, which keeps the segments, indexes, transaction
indexes and producer snapshots exactly as they are. That works because, while a segment is in
the log, its files only ever grow at the end (appends, index entries, aborts; a roll seals it with
one last time-index entry): retention and compaction drop or replace whole segments, as new
``LogSegment`` objects, and never edit one in place. So a move tracks, per segment object, how many
bytes of each of its files it has copied:

1. ``plan`` (event loop, cheap): the bytes to copy next, up to the sizes the files have now, at
   most ``ROUND_BYTES`` of them; segments that left the log are forgotten.
2. ``copy`` (worker thread): copies them. The current log keeps serving and taking appends.
3. Again, until at most ``FINISH_BYTES`` are left; then ``finish`` (event loop, with no await in
   between, so no append can land meanwhile) copies that rest, renames the future directory to
   ``<topic>-<partition>`` and the current one to ``...-delete``, and returns a log over the new
   files in the current log's exact state (``PartitionLog.relocated``): the appends that landed
   during the copy were caught up by the rounds and the last step, so nothing is lost.

The future directory is renamed into place before the current one is renamed away: a crash
between the two leaves the partition in two directories, which start-up refuses to guess about
(as Kafka does). A move cut short otherwise leaves its future directory, which the next start-up
removes and starts again (Kafka resumes such a move too). Copied files are not fsynced one by one:
the new log is flushed once it has taken over, before the old directory is removed.

A disk error is the directory's it comes from (``MoveFailed``): reading the current log's,
writing the target's.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KafkaStorageError
from .log_dirs import LogDir
from .log_slice import FileHandle
from .partition_log import PartitionLog
from .producer_snapshot import SNAPSHOT_SUFFIX
from .segment import LOG_SUFFIX, SEGMENT_SUFFIXES, LogSegment, segment_path
from .topic_metadata import write_partition_metadata

FUTURE_SUFFIX = "-future"
ROUND_BYTES = 64 * 1024 * 1024  # per worker-thread round: keeps shutdown and cancellation prompt
FINISH_BYTES = 1024 * 1024  # at most this much is copied by the last step, on the event loop
_CHUNK = 1024 * 1024


class MoveFailed(KafkaStorageError):
    """A disk error during a move, met in ``log_dir`` (the source's or the target's)."""

    def __init__(self, log_dir: LogDir, error: OSError) -> None:
        super().__init__(f"Error while moving a partition, in log directory {log_dir.path}: {error}")
        self.log_dir = log_dir
        self.error = error


@dataclass
class _FileCopy:
    name: str  # the file's name, the same in both directories
    start: int  # bytes already copied
    end: int  # copy up to here
    handle: FileHandle | None = None  # the open .log file; the others are opened by name


@dataclass
class _SegmentCopy:
    segment: LogSegment
    sealed: bool  # no longer the active segment: once copied whole, nothing more to copy
    whole: bool = True  # this round copies it up to its current sizes
    files: list[_FileCopy] = field(default_factory=list)


@dataclass
class Plan:
    segments: list[_SegmentCopy]
    snapshots: list[str]  # producer snapshot files not copied yet
    remaining: int  # bytes left to copy, in this plan and beyond it
    reached: int  # the future log's end offset once this plan is copied

    @property
    def size(self) -> int:
        """Bytes this plan copies."""
        return sum(item.end - item.start for work in self.segments for item in work.files)


class LogMove:
    """One partition's move to ``target``: its future directory and how far the copy got."""

    def __init__(self, log: PartitionLog, target: LogDir, topic_id) -> None:
        self.log = log
        self.source: LogDir = log.log_dir
        self.target = target
        self.topic_id = topic_id
        self.future_dir = target.path / f"{log.directory.name}.{uuid.uuid4().hex}{FUTURE_SUFFIX}"
        self.cancelled = False
        self.doomed: Path | None = None  # the future directory, renamed for removal once cancelled
        self.copied_bytes = 0  # of segment .log files: the future replica's size in DescribeLogDirs
        self.log_end_offset = log.log_start_offset  # the future log's, so far
        self._copied: dict[LogSegment, dict[str, int]] = {}  # per segment object: bytes per file suffix
        self._sealed: set[LogSegment] = set()  # copied whole once sealed: done
        self._snapshots: set[str] = set()

    def __repr__(self) -> str:
        return f"LogMove({self.log.topic}-{self.log.partition} to {self.target.path})"

    @property
    def offset_lag(self) -> int:
        return max(self.log.log_end_offset - self.log_end_offset, 0)

    def create(self) -> None:
        """Make the empty future directory (cheap: a directory and a small file, not fsynced)."""
        try:
            self.future_dir.mkdir()
            write_partition_metadata(self.future_dir, self.topic_id, sync=False)
        except OSError as exc:
            raise MoveFailed(self.target, exc) from exc

    def plan(self, max_bytes: int = ROUND_BYTES) -> Plan:
        """What to copy next (event loop: reads the current log's state, and stats the index files
        of segments not copied whole yet)."""
        log = self.log
        segments = log.segments
        present = set(segments)
        for gone in [segment for segment in self._copied if segment not in present]:
            del self._copied[gone]
            self._sealed.discard(gone)
        plan = Plan([], [], 0, self.log_end_offset)
        budget = max_bytes
        caught_up = True  # every segment so far is copied, or will be by this plan
        for position, segment in enumerate(segments):
            if segment in self._sealed:
                continue
            copied = self._copied.get(segment)
            work = _SegmentCopy(segment, sealed=position < len(segments) - 1)
            for suffix in SEGMENT_SUFFIXES:
                path = segment_path(log.directory, segment.base_offset, suffix)
                size = segment.size if suffix == LOG_SUFFIX else _size(path, self.source)
                if size is None:
                    continue  # no such file (a segment without aborts has no .txnindex)
                start = 0 if copied is None else copied.get(suffix, 0)
                if copied is not None and start >= size:
                    continue
                plan.remaining += size - start
                end = min(size, start + max(budget, 0))
                if end < size:
                    work.whole = False
                if budget > 0 or start == end == 0:
                    work.files.append(_FileCopy(path.name, start, end, segment.handle if suffix == LOG_SUFFIX else None))
                    budget -= end - start
            if work.files:
                plan.segments.append(work)
            caught_up = caught_up and work.whole
            if caught_up:
                plan.reached = segment.next_offset
        names = _listdir(log.directory, self.source)
        plan.snapshots = sorted(name for name in names if name.endswith(SNAPSHOT_SUFFIX) and name not in self._snapshots)
        return plan

    def copy(self, plan: Plan) -> None:
        """Copy what ``plan`` names (blocking: a worker thread; the last step's on the event loop).
        Raises MoveFailed."""
        for work in plan.segments:
            copied = self._copied.setdefault(work.segment, {})
            for item in work.files:
                if self.cancelled:
                    return
                done = _copy_range(self.log.directory / item.name, item.handle, self.future_dir / item.name,
                                   item.start, item.end, self.source, self.target)
                if item.name.endswith(LOG_SUFFIX):
                    self.copied_bytes += done - item.start
                copied[Path(item.name).suffix] = done
            if work.sealed and work.whole:
                self._sealed.add(work.segment)
        for name in plan.snapshots:
            try:
                data = (self.log.directory / name).read_bytes()
            except FileNotFoundError:
                continue  # dropped with its segment meanwhile
            except OSError as exc:
                raise MoveFailed(self.source, exc) from exc
            try:
                (self.future_dir / name).write_bytes(data)
            except OSError as exc:
                raise MoveFailed(self.target, exc) from exc
            self._snapshots.add(name)
        if not self.cancelled:
            self.log_end_offset = max(self.log_end_offset, plan.reached)

    def finish(self) -> tuple[PartitionLog, Path | None]:
        """The last step (event loop, no await: see the module docstring): the log that replaces
        the current one, and the renamed current directory to remove later (None if the rename
        failed: its directory is offline then, and the new log carries on). Raises MoveFailed
        if the new log cannot take over."""
        self.copy(self.plan(max_bytes=1 << 62))
        self._prune()
        log = self.log
        final = self.target.path / log.directory.name
        try:
            self.future_dir.rename(final)
        except OSError as exc:
            raise MoveFailed(self.target, exc) from exc
        doomed = log.directory.with_name(f"{log.directory.name}.{uuid.uuid4().hex}-delete")
        try:
            log.directory.rename(doomed)
        except OSError as exc:
            self.source.fail(exc)
            doomed = None
        moved = log.relocated(final)
        moved.log_dir = self.target
        self.log_end_offset = moved.log_end_offset
        return moved, doomed

    def cancel(self) -> None:
        """Give up (event loop): the future directory is renamed for removal (``doomed``), so that
        a restart does not take it for a move to resume."""
        if self.cancelled:
            return
        self.cancelled = True
        doomed = self.future_dir.with_name(self.future_dir.name[: -len(FUTURE_SUFFIX)] + "-delete")
        try:
            self.future_dir.rename(doomed)
        except FileNotFoundError:
            return
        except OSError as exc:
            self.target.fail(exc)
            return
        self.doomed = doomed

    def _prune(self) -> None:
        """Remove copies of files the current log no longer has (segments and snapshots it dropped)."""
        wanted = set(_listdir(self.log.directory, self.source))
        try:
            for name in os.listdir(self.future_dir):
                if name not in wanted:
                    os.unlink(self.future_dir / name)
        except OSError as exc:
            raise MoveFailed(self.target, exc) from exc


def _size(path: Path, log_dir: LogDir) -> int | None:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MoveFailed(log_dir, exc) from exc


def _listdir(directory: Path, log_dir: LogDir) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError as exc:
        raise MoveFailed(log_dir, exc) from exc


def _copy_range(source: Path, handle: FileHandle | None, target: Path, start: int, end: int,
                source_dir: LogDir, target_dir: LogDir) -> int:
    """Copy bytes [start, end) of ``source`` (read through ``handle`` if given) to the same place
    in ``target``, which is created, or emptied, when ``start`` is 0; the position reached."""
    try:
        fd = handle.fd if handle is not None else os.open(source, os.O_RDONLY)
    except FileNotFoundError:
        return start  # its segment left the log meanwhile: the next ``plan`` forgets it
    except OSError as exc:
        raise MoveFailed(source_dir, exc) from exc
    try:
        try:
            out = os.open(target, os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if start == 0 else 0), 0o644)
        except OSError as exc:
            raise MoveFailed(target_dir, exc) from exc
        try:
            position = start
            while position < end:
                try:
                    data = os.pread(fd, min(_CHUNK, end - position), position)
                except OSError as exc:
                    raise MoveFailed(source_dir, exc) from exc
                if not data:
                    raise MoveFailed(source_dir, OSError(f"{source} ends at byte {position}, before {end}"))
                try:
                    written = 0
                    while written < len(data):
                        written += os.pwrite(out, memoryview(data)[written:], position + written)
                except OSError as exc:
                    raise MoveFailed(target_dir, exc) from exc
                position += len(data)
            return position
        finally:
            os.close(out)
    finally:
        if handle is None:
            os.close(fd)
