"""All topics of the broker's log directories: their metadata, configs and partition logs.

Layout of each log directory (``log.dirs``; ``log_dirs`` opens, locks and watches them)::

    .lock                      held (flock) while the broker has the directory open
    .kafka_cleanshutdown       written by a clean close, removed at startup: the logs need no replay
    log-start-offset-checkpoint   log start offsets DeleteRecords moved inside a segment
    cleaner-offset-checkpoint     where compaction stopped in each compacted partition
    <topic>-<partition>/       one PartitionLog each, plus Kafka's partition.metadata
    <topic>-<partition>.<id>-future   a partition being moved here (see ``log_mover``)
    <topic>-<partition>.<id>-delete   a partition deleted or moved away (removed at startup if left over)
    <topic>-<partition>.<id>-stray    a directory no known topic owns, set aside and left alone

Each directory's checkpoints cover its own partitions, as in Kafka. The first directory, the
metadata directory, also holds ``odradek-topics.json``: topic names, ids, partition counts and
config overrides. It lives there only, as Kafka keeps its metadata log in one directory
(``metadata.log.dir``, by default the first of ``log.dirs``), because it must be one consistent
record: copies in every directory would need a rule for which one wins after a directory missed
changes while it was offline. The price is Kafka's too: when the metadata directory fails, the
broker stops (the server does that). Which directory holds a partition is not recorded: start-up
scans every online directory and finds each partition in exactly one. A partition the metadata
names but no directory holds starts empty, unless a directory is offline: then it is taken to be
in that one, and is offline too.

New partitions go to the online directory holding the fewest partitions (moves under way
included), Kafka's ``LogManager.nextLogDirs``. A partition of an offline directory is neither
served nor touched: ``partition`` returns None for it, and ``is_offline`` tells it from one that
does not exist (KAFKA_STORAGE_ERROR, not UNKNOWN_TOPIC_OR_PARTITION). ``settle_failures`` lets go
of its files.

Changes are ordered so that a crash leaves nothing half-visible: a new
topic's directories are made before the metadata names it (leftovers become
strays at the next startup); a deleted topic leaves the metadata before its
directories are renamed away and removed.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .atomic_file import fsync_directory, write_atomically
from .errors import (
    InvalidPartitionsError,
    InvalidTopicError,
    KafkaStorageError,
    LogDirError,
    LogDirNotFoundError,
    TopicExistsError,
    UnknownTopicError,
)
from .log_cleaner import CleaningPlan
from .log_config import LogConfig, validate_topic_configs
from .log_dirs import LogDir, LogDirs
from .log_mover import FUTURE_SUFFIX, LogMove, MoveFailed
from .offset_checkpoint import (
    CLEANER_CHECKPOINT,
    LOG_START_CHECKPOINT,
    REPLICATION_CHECKPOINT,
    read_offset_checkpoint,
    write_offset_checkpoint,
)
from .partition_log import PartitionLog, wall_clock_ms
from .producer_state_config import ProducerStateConfig
from .topic_metadata import (
    TopicInfo,
    load_topics,
    new_kafka_uuid,
    read_partition_metadata,
    save_topics,
    write_partition_metadata,
)
from .topic_names import collision_key, validate_topic_name

logger = logging.getLogger(__package__)

CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown"
DELETE_SUFFIX = "-delete"
STRAY_SUFFIX = "-stray"
_MAX_FILE_NAME = 255
BUILD_THREADS = 8  # partitions of a big new topic are created by this many threads at once (``build``)
PARALLEL_BUILD_MIN = 64  # below this many new partitions, one thread builds them
_FUTURE_NAME_TAIL = len(f".{uuid.uuid4().hex}{FUTURE_SUFFIX}")

Key = tuple[str, int]


@dataclasses.dataclass
class TopicChange:
    """A topic being created, grown or reconfigured: ``new_partitions`` are built on disk, in the
    log directories ``dirs`` names, into ``logs`` before the manager takes the change (see
    ``LogManager.plan_topic``)."""

    topic: TopicInfo
    config: LogConfig
    new_partitions: Sequence[int]
    dirs: dict[int, LogDir] = dataclasses.field(default_factory=dict)
    logs: dict[int, PartitionLog | None] = dataclasses.field(default_factory=dict)


class LogManager:
    def __init__(self, log_dirs: str | os.PathLike | Sequence[str | os.PathLike],
                 broker_props: Mapping[str, str]) -> None:
        paths = [log_dirs] if isinstance(log_dirs, (str, os.PathLike)) else list(log_dirs)
        self.dirs = LogDirs(paths)
        self.broker_props = dict(broker_props)
        LogConfig.from_props(self.broker_props, {})  # fail fast on bad log.* broker properties
        self.producer_config = ProducerStateConfig.from_props(self.broker_props)
        self._topics: dict[str, TopicInfo] = {}
        self._configs: dict[str, LogConfig] = {}
        self._names_by_id: dict[uuid.UUID, str] = {}
        self._partitions: dict[Key, PartitionLog] = {}
        self._being_created: set[str] = set()  # names planned but not yet committed
        self._moves: dict[Key, LogMove] = {}
        self._resumable: list[tuple[str, int, str]] = []  # moves a restart cut short
        self._loaded = False  # startup finished: the logs are whole, checkpoints and markers may be written
        self._checkpoint_lock = threading.Lock()
        self._checkpoints_written: dict[Path, dict[Key, int]] = {}

    @property
    def data_dir(self) -> Path:
        """The metadata directory (the first log directory), which holds the topic metadata."""
        return self.dirs.metadata_dir.path

    # --- lifecycle ---------------------------------------------------------------------------

    def open_dirs(self) -> None:
        """Create and lock the log directories (see ``log_dirs``): before anything writes into
        them. Raises LogDirError when start-up must stop. Idempotent."""
        self.dirs.open()

    def startup(self) -> None:
        """Lock the log directories, load topic metadata, open and recover every partition.

        Raises LogDirError when start-up must stop: the metadata directory is unusable, or a
        partition is in two directories. A disk error in another directory takes it offline."""
        self.open_dirs()
        try:
            topics = load_topics(self.data_dir)
        except OSError as exc:
            raise LogDirError(self.data_dir, f"cannot be read: {exc}") from None
        for topic in topics.values():
            self._register(topic, LogConfig.from_props(self.broker_props, topic.configs))
        found: dict[Key, Path] = {}
        for log_dir in self.dirs.online():
            try:
                self._sweep_directories(log_dir, found)
            except OSError as exc:
                log_dir.fail(exc)
        for log_dir in self.dirs.online():
            self._load_directory(log_dir, [key for key, path in found.items() if path.parent == log_dir.path])
        metadata_dir = self.dirs.metadata_dir
        if not metadata_dir.online:
            raise LogDirError(metadata_dir.path, metadata_dir.problem)
        missing = [(topic, index) for topic in self._topics.values() for index in topic.hosted
                   if (topic.name, index) not in found]
        if missing and self.dirs.any_offline():
            logger.warning("%d partition(s) are in no online log directory, so taken to be in an offline one: "
                           "they are offline too", len(missing))
        elif missing:
            counts = self._partition_counts()
            for topic, index in missing:
                log_dir = self._next_dirs(counts, 1)[0]
                self._load_missing(topic, index, log_dir)
        for log_dir in self.dirs.online():
            marker = log_dir.path / CLEAN_SHUTDOWN_FILE
            try:
                if marker.exists():  # from now on a crash must not pass for a clean shutdown
                    marker.unlink()
                    fsync_directory(log_dir.path)
            except OSError as exc:
                log_dir.fail(exc)
        self.settle_failures()
        self._loaded = True
        logger.info("Loaded %d topic(s), %d partition(s) from %s", len(self._topics), len(self._partitions),
                    ", ".join(str(log_dir.path) for log_dir in self.dirs.all))

    def flush(self) -> None:
        flush_all(self._online_logs())

    def close(self) -> None:
        """Flush and close every partition and release the log directories. After a complete
        start-up, also checkpoint each online directory and mark its shutdown clean; a start-up
        that stopped part-way leaves no marker, so the next one recovers the logs. Idempotent."""
        if self._loaded:
            self.save_log_start_offsets(self.log_start_offsets())
            self.save_cleaner_offsets(self.cleaner_offsets())
        for log in self._partitions.values():
            if not log.log_dir.online:
                log.abandon()
                continue
            try:
                log.close()
            except KafkaStorageError:
                pass  # its directory is offline now, and gets no clean-shutdown marker
        self._partitions.clear()
        self._moves.clear()  # their future directories stay: the next start-up resumes them
        if self._loaded:
            self._loaded = False
            for log_dir in self.dirs.online():
                try:
                    write_atomically(log_dir.path / CLEAN_SHUTDOWN_FILE, b"")
                except OSError as exc:
                    log_dir.fail(exc)
        self.dirs.close()

    # --- queries -----------------------------------------------------------------------------

    def topics(self) -> list[TopicInfo]:
        return sorted(self._topics.values(), key=lambda t: t.name)

    def get_topic(self, name: str) -> TopicInfo | None:
        return self._topics.get(name)

    def get_topic_by_id(self, topic_id: uuid.UUID) -> TopicInfo | None:
        name = self._names_by_id.get(topic_id)
        return None if name is None else self._topics[name]

    def partition(self, topic: str, index: int) -> PartitionLog | None:
        """The partition's log; None if there is no such partition or it is offline (``is_offline``)."""
        log = self._partitions.get((topic, index))
        return log if log is not None and log.log_dir.online else None

    def is_offline(self, topic: str, index: int) -> bool:
        """Whether the partition exists but its log directory is offline."""
        info = self._topics.get(topic)
        return info is not None and info.hosts(index) and self.partition(topic, index) is None

    def offline_partitions(self, topic: str) -> list[int]:
        """The topic's partitions whose log directory is offline (cheap while none is)."""
        info = self._topics.get(topic)
        if info is None or not self.dirs.any_offline():
            return []
        return [index for index in info.hosted if self.partition(topic, index) is None]

    def partitions_by_dir(self) -> dict[LogDir, list[PartitionLog]]:
        """Every log directory, in ``log.dirs`` order, with the partitions it serves (none if offline)."""
        found: dict[LogDir, list[PartitionLog]] = {log_dir: [] for log_dir in self.dirs.all}
        for log in self._online_logs():
            found[log.log_dir].append(log)
        return found

    def moves(self) -> list[LogMove]:
        """The moves to another log directory under way (the future replicas)."""
        return list(self._moves.values())

    def resumable_moves(self) -> list[tuple[str, int, str]]:
        """(topic, partition, log directory) of the moves that the last shutdown cut short, to
        start again (``alter_log_dir``) once the broker runs."""
        found, self._resumable = self._resumable, []
        return found

    def topic_config(self, name: str) -> LogConfig:
        self._existing(name)
        return self._configs[name]

    def log_start_offsets(self) -> dict[Path, dict[Key, int]]:
        """What each log start offset checkpoint file must hold now (cheap; for the event loop)."""
        found: dict[Path, dict[Key, int]] = {log_dir.path / LOG_START_CHECKPOINT: {}
                                             for log_dir in self.dirs.online()}
        for key, log in self._partitions.items():
            offset = log.checkpointed_log_start_offset
            if offset is not None and log.log_dir.online:
                found[log.log_dir.path / LOG_START_CHECKPOINT][key] = offset
        return found

    def save_log_start_offsets(self, checkpoints: Mapping[Path, Mapping[Key, int]]) -> None:
        """Write the log start offset checkpoints (blocking: for a worker thread; one writer at a time)."""
        self._save_checkpoints(checkpoints)

    def cleaner_offsets(self) -> dict[Path, dict[Key, int]]:
        """What each cleaner offset checkpoint file must hold now (cheap; for the event loop)."""
        found: dict[Path, dict[Key, int]] = {log_dir.path / CLEANER_CHECKPOINT: {}
                                             for log_dir in self.dirs.online()}
        for key, log in self._partitions.items():
            if log.first_dirty_offset and log.log_dir.online:
                found[log.log_dir.path / CLEANER_CHECKPOINT][key] = log.first_dirty_offset
        return found

    def save_cleaner_offsets(self, checkpoints: Mapping[Path, Mapping[Key, int]]) -> None:
        """Write Kafka's cleaner offset checkpoints (blocking: for a worker thread; one writer at a time)."""
        self._save_checkpoints(checkpoints)

    def _save_checkpoints(self, checkpoints: Mapping[Path, Mapping[Key, int]]) -> None:
        """Write each checkpoint file whose content changed since it was last written."""
        with self._checkpoint_lock:
            for path, offsets in checkpoints.items():
                log_dir = self.dirs.containing(path)
                if not log_dir.online or self._checkpoints_written.get(path) == offsets:
                    continue
                try:
                    write_offset_checkpoint(path, offsets)
                except OSError as exc:
                    log_dir.fail(exc)
                    continue
                self._checkpoints_written[path] = dict(offsets)

    def flush_due(self, now_ms: int | None = None) -> list[PartitionLog]:
        """The partitions whose flush policy calls for an fsync now (see ``PartitionLog.take_flush``)."""
        return [log for log in self._online_logs() if log.take_flush(now_ms)]

    def cleaning_plans(self, now_ms: int | None = None) -> list[tuple[PartitionLog, CleaningPlan]]:
        """The partitions compaction should clean now, with what to rewrite (see ``log_cleaner``).
        Partitions being moved to another directory are left alone until they are there, as Kafka
        pauses their cleaning."""
        plans = []
        for log in self._online_logs():
            if (log.topic, log.partition) in self._moves:
                continue
            try:
                plan = log.cleaning_plan(now_ms)
            except KafkaStorageError:
                continue
            if plan is not None:
                plans.append((log, plan))
        return plans

    # --- changes -----------------------------------------------------------------------------

    def create_topic(
        self, name: str, num_partitions: int, configs: Mapping[str, str] = {}, validate_only: bool = False
    ) -> TopicInfo:
        """Create a topic (or, with ``validate_only``, just check that it could be created)."""
        if validate_only:
            self._check_new_topic(name, num_partitions)
            self._validated_config(dict(configs))
            return TopicInfo(name, new_kafka_uuid(), num_partitions, dict(configs))
        change = self.plan_topic(name, num_partitions, configs)
        self._apply(change)
        return change.topic

    def plan_topic(self, name: str, num_partitions: int, configs: Mapping[str, str] = {}) -> TopicChange:
        """Validate a new topic, choose its partitions' log directories and reserve its name; then
        ``build`` it (in a worker thread if it is big: creating thousands of partition directories
        takes seconds) and ``commit`` it, or ``discard`` the plan."""
        self._check_new_topic(name, num_partitions)
        configs = dict(configs)
        config = self._validated_config(configs)
        change = TopicChange(TopicInfo(name, new_kafka_uuid(), num_partitions, configs), config, range(num_partitions))
        self._place(change)
        self._being_created.add(name)
        return change

    def build(self, change: TopicChange) -> None:
        """Create the change's new partitions on disk and open them.  Touches no state of the
        manager, so it may run in a worker thread; if it fails, ``discard`` removes what it made.
        A disk error takes the directory offline and raises KafkaStorageError.

        A big change is built by ``BUILD_THREADS`` threads at once: each partition is a few file
        system operations (a directory, two files) that wait on the disk's journal, and several
        in flight overlap (1,000 partitions in about half the time on this machine's ext4)."""
        indexes = list(change.new_partitions)
        now = wall_clock_ms()
        if len(indexes) < PARALLEL_BUILD_MIN:
            self._build_partitions(change, indexes, now, threading.Event())
            return
        failed = threading.Event()  # the first failure stops the other threads' work
        errors: list[BaseException] = []

        def build_share(share: list[int]) -> None:
            try:
                self._build_partitions(change, share, now, failed)
            except BaseException as exc:  # noqa: BLE001 - raised again below, in the caller's thread
                errors.append(exc)
                failed.set()

        threads = [threading.Thread(target=build_share, args=(indexes[k::BUILD_THREADS],), daemon=True,
                                    name=f"build {change.topic.name} {k}") for k in range(BUILD_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def _build_partitions(self, change: TopicChange, indexes: list[int], now: int, failed: threading.Event) -> None:
        for index in indexes:
            if failed.is_set():
                return
            log_dir = change.dirs[index]
            path = log_dir.path / f"{change.topic.name}-{index}"
            if not log_dir.online:
                raise KafkaStorageError(f"Log directory {log_dir.path} is offline")
            try:
                try:
                    path.mkdir()
                except FileExistsError:  # a leftover no topic owns: kept aside, as start-up does
                    self._set_aside(path, STRAY_SUFFIX)
                    path.mkdir()
                change.logs[index] = None  # made: ``discard`` removes it even if opening fails
                # Not fsynced, one by one: ``commit`` saves the topics file durably (and with it
                # the data dir's new entries) only after this, and start-up rewrites a lost file.
                write_partition_metadata(path, change.topic.topic_id, sync=False, new_directory=True)
                log = PartitionLog.create(path, change.topic.name, index, change.config, self.producer_config,
                                          now_ms=now)
            except OSError as exc:
                log_dir.fail(exc)
                raise KafkaStorageError(f"Error while creating partition {change.topic.name}-{index} "
                                        f"in dir {log_dir.path}: {exc}") from exc
            log.log_dir = log_dir
            change.logs[index] = log

    def commit(self, change: TopicChange) -> None:
        """Persist the changed topic and make it and its built partitions visible."""
        topic = change.topic
        try:
            self._save_topics({**self._topics, topic.name: topic}.values())
        except BaseException:
            self.discard(change)
            raise
        for index, log in change.logs.items():
            self._partitions[topic.name, index] = log
        self._register(topic, change.config)
        self._being_created.discard(topic.name)
        if topic.replicas is None and change.new_partitions and change.new_partitions[0] == 0:
            logger.info("Created topic %s (id %s) with %d partition(s)", topic.name, topic.topic_id,
                        topic.num_partitions)

    def discard(self, change: TopicChange) -> None:
        """Give up a planned change: its built partitions are closed and removed."""
        for index, log in change.logs.items():
            if log is not None:
                try:
                    log.close()
                except KafkaStorageError:
                    pass
            shutil.rmtree(change.dirs[index].path / f"{change.topic.name}-{index}", ignore_errors=True)
        change.logs.clear()
        self._being_created.discard(change.topic.name)

    def delete_topic(self, name: str, suffix: str = DELETE_SUFFIX) -> list[Path]:
        """Forget the topic, close its partitions and set their directories aside for removal.

        Returns the set-aside directories: removing them can take long for a big topic, so the
        caller does it with ``remove_deleted`` off the event loop (and start-up finishes any
        removal a crash interrupted). Partitions of offline directories are left where they are:
        a restart that finds them sets them aside as strays.
        """
        topic = self._existing(name)
        self._save_topics(t for t in self._topics.values() if t.name != name)
        del self._topics[name], self._configs[name], self._names_by_id[topic.topic_id]
        doomed = self._close_and_set_aside(name, topic.hosted, suffix)
        logger.info("Deleted topic %s (id %s)", name, topic.topic_id)
        return doomed

    def _close_and_set_aside(self, name: str, indexes: Iterable[int], suffix: str = DELETE_SUFFIX) -> list[Path]:
        """Close partitions of a topic and set their directories aside (for removal, with the
        default ``-delete`` suffix; to be looked at and kept, with ``-stray``)."""
        doomed = []
        had_checkpoint = False
        for index in indexes:
            move = self._moves.pop((name, index), None)
            if move is not None:
                move.cancel()
            log = self._partitions.pop((name, index), None)
            if log is None or not log.log_dir.online:
                continue
            had_checkpoint |= log.checkpointed_log_start_offset is not None
            try:
                log.close()
                doomed.append(self._set_aside(log.directory, suffix))
            except KafkaStorageError:
                continue
            except OSError as exc:
                log.log_dir.fail(exc)
        if had_checkpoint:  # a new topic of the same name must not inherit its log start offsets
            self.save_log_start_offsets(self.log_start_offsets())
        return doomed

    @staticmethod
    def remove_deleted(paths: Iterable[Path]) -> None:
        """Remove directories that ``delete_topic`` or a move set aside (blocking; for a worker
        thread). Raises OSError (see ``report_disk_error``)."""
        for path in paths:
            shutil.rmtree(path)

    def delete_old_segments(self, now_ms: int | None = None) -> list[tuple[PartitionLog, list[Path]]]:
        """Apply retention to every partition (see ``PartitionLog.delete_old_segments``): each
        partition that dropped segments, with the renamed files to remove (``remove_files``)."""
        dropped = []
        for log in self._online_logs():
            try:
                renamed = log.delete_old_segments(now_ms)
            except KafkaStorageError:
                continue
            if renamed:
                dropped.append((log, renamed))
        return dropped

    @staticmethod
    def remove_files(paths: Iterable[Path]) -> None:
        """Remove files of deleted segments (blocking; for a worker thread); already gone is fine.
        Raises OSError (see ``report_disk_error``)."""
        for path in paths:
            path.unlink(missing_ok=True)

    def create_partitions(self, name: str, new_total: int) -> None:
        """Grow a topic to ``new_total`` partitions."""
        topic = self._existing(name)
        if new_total < topic.num_partitions:
            raise InvalidPartitionsError(
                f"Topic currently has {topic.num_partitions} partitions, "
                f"which is higher than the requested {new_total}."
            )
        if new_total == topic.num_partitions:
            raise InvalidPartitionsError(f"Topic already has {topic.num_partitions} partitions.")
        grown = dataclasses.replace(topic, num_partitions=new_total)
        change = TopicChange(grown, self._configs[name], range(topic.num_partitions, new_total))
        self._place(change)
        self._apply(change)
        logger.info("Topic %s now has %d partitions", name, new_total)

    # --- replicas (cluster mode) ---------------------------------------------------------------

    def plan_replicas(self, name: str, topic_id: uuid.UUID, indexes: Iterable[int],
                      configs: Mapping[str, str]) -> TopicChange:
        """Replicas the controller gave this broker: the partitions of ``indexes`` not hosted yet,
        placed in log directories and reserved; ``build`` then ``commit`` them, or ``discard``.
        A local topic of that name with another id (deleted and created again while this broker
        was away) must first go with ``delete_topic``; KafkaStorageError otherwise."""
        existing = self._topics.get(name)
        if existing is not None and existing.topic_id != topic_id:
            raise KafkaStorageError(f"Topic {name} is held here with id {existing.topic_id}, not {topic_id}")
        configs = dict(configs)
        config = self._validated_config(configs)
        hosted = set(existing.hosted) if existing is not None else set()
        new = sorted(set(indexes) - hosted)
        replicas = frozenset(hosted | set(new))
        info = TopicInfo(name, topic_id, max([existing.num_partitions if existing else 0, *(i + 1 for i in replicas)]),
                         configs, replicas)
        change = TopicChange(info, config, new)
        self._place(change)
        return change

    def delete_replicas(self, name: str, indexes: Iterable[int], stray: bool = False) -> list[Path]:
        """Stop hosting these partitions of a topic (a reassignment moved them, or the topic is
        deleted): closed and set aside, the directories returned for ``remove_deleted``. A
        ``stray`` replica (one the controller no longer names, KIP-516) is set aside as
        ``-stray`` instead and kept, as Kafka keeps them, for an operator to look at."""
        topic = self._topics.get(name)
        if topic is None:
            return []
        suffix = STRAY_SUFFIX if stray else DELETE_SUFFIX
        indexes = [i for i in indexes if topic.hosts(i)]
        left = frozenset(set(topic.hosted) - set(indexes))
        if not left:
            doomed = self.delete_topic(name, suffix)
        else:
            shrunk = dataclasses.replace(topic, replicas=left)
            self._save_topics({**self._topics, name: shrunk}.values())
            self._topics[name] = shrunk
            doomed = self._close_and_set_aside(name, indexes, suffix)
            logger.info("%s replicas %s of topic %s", "Set aside stray" if stray else "Deleted", indexes, name)
        return [] if stray else doomed

    def high_watermarks(self) -> dict[Key, int]:
        """The high watermarks last checkpointed (Kafka's replication-offset-checkpoint), in
        every online directory: a replicated partition starts from its own (blocking)."""
        found: dict[Key, int] = {}
        for log_dir in self.dirs.online():
            try:
                found.update(read_offset_checkpoint(log_dir.path / REPLICATION_CHECKPOINT))
            except OSError as exc:
                log_dir.fail(exc)
        return found

    def save_high_watermarks(self, marks: Mapping[Key, int]) -> None:
        """Checkpoint replicated partitions' high watermarks, each in its own directory (blocking)."""
        by_dir: dict[Path, dict[Key, int]] = {log_dir.path: {} for log_dir in self.dirs.online()}
        for key, mark in marks.items():
            log = self.partition(*key)
            if log is not None and log.log_dir.path in by_dir:
                by_dir[log.log_dir.path][key] = mark
        for path, checkpoint in by_dir.items():
            try:
                write_offset_checkpoint(path / REPLICATION_CHECKPOINT, checkpoint)
            except OSError as exc:
                self.report_disk_error(path, exc)

    def alter_topic_configs(self, name: str, configs: Mapping[str, str], validate_only: bool = False) -> TopicInfo:
        """Replace the topic's config overrides with ``configs`` (AlterConfigs semantics)."""
        topic = self._existing(name)
        configs = dict(configs)
        config = self._validated_config(configs)
        if validate_only:
            return topic
        topic = dataclasses.replace(topic, configs=configs)
        self._apply(TopicChange(topic, config, range(0)))
        for log in self._topic_logs(name):
            log.config = config
        return topic

    def set_broker_props(self, broker_props: Mapping[str, str], validate_only: bool = False) -> None:
        """Change the broker defaults topic configs fall back to (dynamic broker configs): every
        topic's effective config, and so every live partition's, changes at once, and so does
        ``producer.id.expiration.ms``. Raises InvalidConfigError, changing nothing, if any topic
        would end up with an invalid config."""
        props = dict(broker_props)
        LogConfig.from_props(props, {})
        configs = {name: LogConfig.from_props(props, topic.configs) for name, topic in self._topics.items()}
        producer_config = ProducerStateConfig.from_props(props)
        if validate_only:
            return
        self.broker_props = props
        for name, config in configs.items():
            self._configs[name] = config
            for log in self._topic_logs(name):
                log.config = config
        if producer_config != self.producer_config:
            self.producer_config = producer_config
            for partition in self._partitions.values():
                partition.set_producer_config(producer_config)

    # --- moves between log directories and failures --------------------------------------------

    def alter_log_dir(self, topic: str, index: int, path: str) -> LogMove | None:
        """AlterReplicaLogDirs for one partition: move it to the log directory ``path`` (event loop).

        Returns the move to run (see ``log_mover``: the caller copies with ``LogMove.plan`` and
        ``copy`` and ends with ``finish_move``), or None if there is nothing to copy: the partition
        is there already (a move elsewhere is cancelled), or on its way. Raises what Kafka answers:
        InvalidTopicError (a name too long for the future directory), LogDirNotFoundError,
        KafkaStorageError (the directory, the partition or any directory offline: the partition
        might be in that one too), UnknownTopicError."""
        if len(f"{topic}-{index}") + _FUTURE_NAME_TAIL > _MAX_FILE_NAME:
            raise InvalidTopicError("The topic name is too long.")
        target = self.dirs.find(path)
        if target is None:
            raise LogDirNotFoundError(f"Log dir {path} is not found in the config.")
        if not target.online:
            raise KafkaStorageError(f"Log dir {path} is offline")
        info = self._topics.get(topic)
        if info is None or not info.hosts(index):
            raise UnknownTopicError("This server does not host this topic-partition.")
        log = self.partition(topic, index)
        if log is None:
            raise KafkaStorageError(f"Partition {topic}-{index} is offline")
        key = topic, index
        move = self._moves.get(key)
        if move is not None:
            if move.target is target:
                return None
            del self._moves[key]
            move.cancel()
        if log.log_dir is target:
            return None
        if self.dirs.any_offline():
            offline = ", ".join(str(log_dir.path) for log_dir in self.dirs.all if not log_dir.online)
            raise KafkaStorageError(f"Can not create log for {topic}-{index} because log directories {offline} "
                                    "are offline")
        move = LogMove(log, target, info.topic_id)
        try:
            move.create()
        except MoveFailed as exc:
            target.fail(exc.error)
            raise
        self._moves[key] = move
        logger.info("Moving %s-%d from %s to %s", topic, index, log.log_dir.path, target.path)
        return move

    def finish_move(self, move: LogMove) -> list[Path]:
        """The move's last step (event loop; see ``log_mover``): the copy takes the current log's
        place. Returns the old directory, to remove later with ``remove_deleted``. Raises
        MoveFailed if the copy could not take over (see ``move_failed``)."""
        key = move.log.topic, move.log.partition
        if self._moves.get(key) is not move:
            return []
        if not (move.source.online and move.target.online):
            self.settle_failures()
            return []
        moved, doomed = move.finish()
        del self._moves[key]
        self._partitions[key] = moved
        logger.info("Moved %s-%d from %s to %s", move.log.topic, move.log.partition, move.source.path,
                    move.target.path)
        return [] if doomed is None else [doomed]

    def move_failed(self, move: LogMove, exc: MoveFailed) -> None:
        """Give up a move a disk error stopped; the directory it came from goes offline (unless
        the move was cancelled meanwhile: then the error is the cancellation's doing)."""
        if not move.cancelled:
            exc.log_dir.fail(exc.error)
        key = move.log.topic, move.log.partition
        if self._moves.get(key) is move:
            del self._moves[key]
        move.cancel()

    def sync_moved(self, move: LogMove) -> None:
        """Make a finished move durable: the new log's files and both directories' renames
        (blocking; for a worker thread, before the old directory is removed)."""
        moved = move.log.moved_to
        if moved is None:
            return
        try:
            moved.flush()
        except KafkaStorageError:
            return
        for log_dir in (move.target, move.source):
            if log_dir.online:
                try:
                    fsync_directory(log_dir.path)
                except OSError as exc:
                    log_dir.fail(exc)

    def report_disk_error(self, path: Path, exc: OSError) -> None:
        """A disk error met outside the manager (removing files it handed out, say): the log
        directory holding ``path`` goes offline."""
        log_dir = self.dirs.containing(path)
        if log_dir is not None:
            log_dir.fail(exc)

    def settle_failures(self) -> None:
        """Let go of the partitions of log directories that went offline, without touching their
        disk, and give up the moves from or to them (event loop)."""
        for key, log in list(self._partitions.items()):
            if not log.log_dir.online:
                del self._partitions[key]
                log.abandon()
        for key, move in list(self._moves.items()):
            if not (move.source.online and move.target.online):
                del self._moves[key]
                move.cancel()

    # --- helpers -----------------------------------------------------------------------------

    def _online_logs(self) -> list[PartitionLog]:
        return [log for log in self._partitions.values() if log.log_dir.online]

    def _topic_logs(self, name: str) -> list[PartitionLog]:
        """The topic's partitions that are open (online or not)."""
        return [log for index in self._topics[name].hosted
                if (log := self._partitions.get((name, index))) is not None]

    def _partition_counts(self) -> dict[LogDir, int]:
        counts = {log_dir: 0 for log_dir in self.dirs.online()}
        for log in self._partitions.values():
            if log.log_dir in counts:
                counts[log.log_dir] += 1
        for move in self._moves.values():
            if move.target in counts:
                counts[move.target] += 1
        return counts

    @staticmethod
    def _next_dirs(counts: dict[LogDir, int], n: int) -> list[LogDir]:
        """Kafka's nextLogDirs, for ``n`` new partitions: each goes to the directory with the fewest
        partitions (the first such in ``log.dirs``), counting those placed before it."""
        if not counts:
            raise KafkaStorageError("No log directory is online")
        chosen = []
        for _ in range(n):
            log_dir = min(counts, key=counts.__getitem__)
            counts[log_dir] += 1
            chosen.append(log_dir)
        return chosen

    def _place(self, change: TopicChange) -> None:
        dirs = self._next_dirs(self._partition_counts(), len(change.new_partitions))
        change.dirs = dict(zip(change.new_partitions, dirs))

    def _save_topics(self, topics: Iterable[TopicInfo]) -> None:
        """Replace the topic metadata; a disk error is the metadata directory's failure."""
        try:
            save_topics(self.data_dir, topics)
        except OSError as exc:
            self.dirs.metadata_dir.fail(exc)
            raise KafkaStorageError(f"Error while writing the topic metadata in {self.data_dir}: {exc}") from exc

    def _existing(self, name: str) -> TopicInfo:
        topic = self._topics.get(name)
        if topic is None:
            raise UnknownTopicError(f"Topic '{name}' does not exist.")
        return topic

    def _validated_config(self, configs: dict[str, str]) -> LogConfig:
        validate_topic_configs(configs)
        return LogConfig.from_props(self.broker_props, configs)

    def _register(self, topic: TopicInfo, config: LogConfig) -> None:
        self._topics[topic.name] = topic
        self._configs[topic.name] = config
        self._names_by_id[topic.topic_id] = topic.name

    def _check_new_topic(self, name: str, num_partitions: int) -> None:
        validate_topic_name(name)
        if name in self._topics or name in self._being_created:
            raise TopicExistsError(f"Topic '{name}' already exists.")
        for existing in self._topics:
            if collision_key(existing) == collision_key(name):
                raise InvalidTopicError(f"Topic '{name}' collides with existing topic: {existing}")
        if num_partitions <= 0:
            raise InvalidPartitionsError("Number of partitions must be larger than 0.")

    def _apply(self, change: TopicChange) -> None:
        """Build and commit ``change`` here and now; on failure nothing is changed."""
        try:
            self.build(change)
        except BaseException:
            self.discard(change)
            raise
        self.commit(change)

    def _load_directory(self, log_dir: LogDir, keys: list[Key]) -> None:
        """Open and recover the partitions found in ``log_dir``; a disk error takes it offline."""
        try:
            log_starts = read_offset_checkpoint(log_dir.path / LOG_START_CHECKPOINT)
            first_dirty = read_offset_checkpoint(log_dir.path / CLEANER_CHECKPOINT)
            clean = (log_dir.path / CLEAN_SHUTDOWN_FILE).exists()
            for key in keys:
                self._partitions[key] = self._open_partition(key, log_dir, log_starts.get(key, 0),
                                                             first_dirty.get(key, 0), clean)
        except OSError as exc:
            log_dir.fail(exc)

    def _load_missing(self, topic: TopicInfo, index: int, log_dir: LogDir) -> None:
        logger.warning("Partition directory %s-%d is missing; starting it empty in %s", topic.name, index,
                       log_dir.path)
        try:
            (log_dir.path / f"{topic.name}-{index}").mkdir()
            self._partitions[topic.name, index] = self._open_partition((topic.name, index), log_dir, 0, 0, False)
        except OSError as exc:
            log_dir.fail(exc)

    def _open_partition(self, key: Key, log_dir: LogDir, log_start_offset: int,
                        first_dirty_offset: int, clean_shutdown: bool) -> PartitionLog:
        topic = self._topics[key[0]]
        path = log_dir.path / f"{key[0]}-{key[1]}"
        if read_partition_metadata(path) != topic.topic_id:
            write_partition_metadata(path, topic.topic_id)
        log = PartitionLog.open(path, topic.name, key[1], self._configs[topic.name], self.producer_config,
                                log_start_offset=log_start_offset, first_dirty_offset=first_dirty_offset,
                                clean_shutdown=clean_shutdown)
        log.log_dir = log_dir
        return log

    def _sweep_directories(self, log_dir: LogDir, found: dict[Key, Path]) -> None:
        """Finish interrupted deletions; remove the copies of interrupted moves (noting them to
        resume); set aside partition directories no known topic owns; note where the others are
        (``found``). Raises LogDirError for a partition found in a second directory."""
        for entry in os.scandir(log_dir.path):
            if not entry.is_dir():
                continue
            path = Path(entry.path)
            if entry.name.endswith(DELETE_SUFFIX):
                logger.info("Removing %s, left over from a deletion", path)
                shutil.rmtree(path)
                continue
            if entry.name.endswith(FUTURE_SUFFIX):
                self._sweep_future(log_dir, path)
                continue
            owner = _parse_partition_dir(entry.name)
            if owner is None:
                continue
            topic = self._topics.get(owner[0])
            recorded_id = read_partition_metadata(path)
            if (
                topic is None
                or not topic.hosts(owner[1])
                or (recorded_id is not None and recorded_id != topic.topic_id)
            ):
                stray = self._set_aside(path, STRAY_SUFFIX)
                logger.warning("No known topic owns %s; moved it to %s", path, stray)
                continue
            if owner in found:
                raise LogDirError(log_dir.path, f"holds partition {owner[0]}-{owner[1]}, and so does "
                                  f"{found[owner].parent}: a move between them was cut short; remove one "
                                  f"of {found[owner]} and {path}")
            found[owner] = path

    def _sweep_future(self, log_dir: LogDir, path: Path) -> None:
        """A move's copy left by a restart: removed, and the move noted to start again."""
        owner = _parse_partition_dir(path.name.rpartition(".")[0])
        topic = self._topics.get(owner[0]) if owner is not None else None
        if topic is not None and topic.hosts(owner[1]) and read_partition_metadata(path) == topic.topic_id:
            self._resumable.append((owner[0], owner[1], str(log_dir.path)))
            logger.info("Removing %s, the copy of a move a restart cut short; the move starts again", path)
        else:
            logger.info("Removing %s, the copy of a move whose partition is gone", path)
        shutil.rmtree(path)

    def _set_aside(self, path: Path, suffix: str) -> Path:
        """Rename a partition directory to ``<name>.<unique id><suffix>``, shortened to a legal file name."""
        tail = f".{uuid.uuid4().hex}{suffix}"
        target = path.with_name(path.name[: _MAX_FILE_NAME - len(tail)] + tail)
        path.rename(target)
        return target


def flush_all(logs: Iterable[PartitionLog]) -> None:
    """fsync the partitions (blocking: for a worker thread); those whose directory fails are skipped."""
    for log in logs:
        try:
            log.flush()
        except KafkaStorageError:
            pass  # its directory is offline now: ``log_dirs`` logged it


def _parse_partition_dir(name: str) -> tuple[str, int] | None:
    """(topic, partition) for a ``<topic>-<n>`` directory name, else None."""
    topic, dash, partition = name.rpartition("-")
    if not dash or not (partition.isascii() and partition.isdigit()):
        return None
    try:
        validate_topic_name(topic)
    except InvalidTopicError:
        return None
    return topic, int(partition)
