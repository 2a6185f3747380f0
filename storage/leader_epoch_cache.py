"""Where each leader epoch begins in one partition's log (Kafka's LeaderEpochFileCache, KIP-101/279).

Every batch a leader appends carries the leader's epoch; this cache keeps, per epoch, the
offset of its first batch: (epoch, start offset) entries, increasing in both. It answers
OffsetForLeaderEpoch (``end_offset_for``), which lets a follower find where its log parts from
the leader's after a leader change and truncate there, instead of at its high watermark (which
can lose or diverge committed data). Single-node partitions have no use for it: they get no
file, and their logs are read for epochs only if the data directory later joins a cluster.

The entries live in ``leader-epoch-checkpoint`` (``leader_epoch_checkpoint``). A new epoch is
written durably before the batches that start it, so after a crash the file never lacks an
epoch the log holds; entries beyond the log end are dropped when the log opens. Cutting entries
off the end (log truncation) is durable too, since a log that grows again in an older epoch
must not meet the cut entries at the next start-up; cutting from the start (retention,
DeleteRecords) is not: a stale first entry is harmless and cut again at start-up, and a file
lost or emptied by a power failure is rebuilt from the batches, which carry their epochs.

Not thread-safe: used from the partition's event-loop thread, like the log itself.
"""

from __future__ import annotations

import bisect
import logging
from pathlib import Path

from .errors import StorageError
from .file_batches import iter_batches
from .leader_epoch_checkpoint import (
    LEADER_EPOCH_CHECKPOINT,
    EpochEntry,
    read_epoch_checkpoint,
    write_epoch_checkpoint,
)
from .segment import LogSegment

logger = logging.getLogger(__package__)

UNDEFINED_EPOCH = -1  # Kafka's OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH
UNDEFINED_EPOCH_OFFSET = -1  # and UNDEFINED_EPOCH_OFFSET


class LeaderEpochCache:
    def __init__(self, path: Path, entries: list[EpochEntry] = ()) -> None:
        """A cache holding ``entries`` (already consistent, or fixed up as Kafka's constructor
        does by assigning them in turn); nothing is written."""
        self.path = path
        self._epochs: list[int] = []
        self._starts: list[int] = []
        for epoch, start in entries:
            self._assign(epoch, start)

    # --- queries -----------------------------------------------------------------------------

    def entries(self) -> list[EpochEntry]:
        return [EpochEntry(epoch, start) for epoch, start in zip(self._epochs, self._starts)]

    @property
    def latest_epoch(self) -> int:
        """The newest epoch with an entry (the leader's current one), UNDEFINED_EPOCH when empty."""
        return self._epochs[-1] if self._epochs else UNDEFINED_EPOCH

    def start_offset_of(self, epoch: int) -> int:
        """Where ``epoch`` begins, UNDEFINED_EPOCH_OFFSET if it has no entry."""
        index = bisect.bisect_left(self._epochs, epoch)
        found = index < len(self._epochs) and self._epochs[index] == epoch
        return self._starts[index] if found else UNDEFINED_EPOCH_OFFSET

    def end_offset_for(self, requested_epoch: int, log_end_offset: int) -> tuple[int, int]:
        """(epoch, end offset) as OffsetForLeaderEpoch answers for ``requested_epoch``.

        The latest epoch ends at the log end. An older one answers the largest epoch at or
        below it and the start of the next epoch after it, where the logs may part. An epoch
        older than every entry answers itself and the first entry's start (the log before is
        gone). UNDEFINED_EPOCH, or an epoch newer than the latest (an empty cache included),
        answers (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET): the follower then falls back to its
        high watermark.
        """
        if requested_epoch == UNDEFINED_EPOCH:
            return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
        if self._epochs and requested_epoch == self._epochs[-1]:
            return requested_epoch, log_end_offset
        higher = bisect.bisect_right(self._epochs, requested_epoch)
        if higher == len(self._epochs):
            return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
        if higher == 0:
            return requested_epoch, self._starts[0]
        return self._epochs[higher - 1], self._starts[higher]

    # --- changes -----------------------------------------------------------------------------

    def assign(self, epoch: int, start_offset: int) -> bool:
        """Record that ``epoch`` begins at ``start_offset``, by Kafka's rules; whether it changed.

        Nothing changes for the latest epoch at a later offset (its batches go on). A new
        epoch is added; so is an older epoch or an earlier start of the latest one, after
        dropping every entry that would break the order (an epoch at or above it, or a start
        at or after it): such an entry came from a leader whose batches never reached this
        log. Written durably when changed. Raises ValueError for a negative epoch or offset.
        """
        if not self._assign(epoch, start_offset):
            return False
        self.save(sync=True)
        return True

    def truncate_from_end(self, end_offset: int) -> bool:
        """Drop the entries starting at or after ``end_offset`` (the log was cut back there);
        whether any were. Written durably when changed."""
        cut = bisect.bisect_left(self._starts, end_offset)
        if end_offset < 0 or cut == len(self._starts):
            return False
        logger.debug("Leader epochs of %s from offset %d dropped: %s", self.path.parent, end_offset,
                     self.entries()[cut:])
        del self._epochs[cut:], self._starts[cut:]
        self.save(sync=True)
        return True

    def truncate_from_start(self, start_offset: int) -> bool:
        """Forget the epochs wholly before ``start_offset`` (the new log start); the epoch
        holding it now starts there. Whether anything changed; written, not synced."""
        keep = bisect.bisect_right(self._starts, start_offset)
        if keep == 0 or (keep == 1 and self._starts[0] == start_offset):
            return False
        epoch = self._epochs[keep - 1]
        del self._epochs[:keep], self._starts[:keep]
        self._epochs.insert(0, epoch)
        self._starts.insert(0, start_offset)
        self.save(sync=False)
        return True

    def clear(self) -> None:
        """Drop every entry (the log was emptied and starts afresh). Written durably."""
        self._epochs.clear()
        self._starts.clear()
        self.save(sync=True)

    def _assign(self, epoch: int, start_offset: int) -> bool:
        if epoch < 0 or start_offset < 0:
            raise ValueError(f"Invalid leader epoch entry: epoch {epoch} at offset {start_offset}")
        if self._epochs and epoch == self._epochs[-1] and start_offset >= self._starts[-1]:
            return False
        removed = []
        while self._epochs and (self._epochs[-1] >= epoch or self._starts[-1] >= start_offset):
            removed.append(EpochEntry(self._epochs.pop(), self._starts.pop()))
        if len(removed) > 1 or (removed and removed[0].start_offset != start_offset):
            logger.warning("Leader epoch %d at offset %d in %s replaced conflicting entries %s",
                           epoch, start_offset, self.path.parent, removed[::-1])
        self._epochs.append(epoch)
        self._starts.append(start_offset)
        return True

    def save(self, *, sync: bool = True) -> None:
        """Write the entries to the checkpoint file (see the module docstring for when)."""
        write_epoch_checkpoint(self.path, self.entries(), sync=sync)


def read_leader_epoch_cache(directory: Path, log_end_offset: int) -> LeaderEpochCache | None:
    """The partition's cache from its file, without the entries at or past ``log_end_offset``
    (``PartitionLog`` folds those before the log start); None if there is no readable file
    (a write that was not synced can leave it empty after a power failure): then
    ``rebuild_leader_epoch_cache`` makes one when it is first needed."""
    path = directory / LEADER_EPOCH_CHECKPOINT
    try:
        entries = read_epoch_checkpoint(path)
    except (OSError, ValueError) as exc:
        logger.warning("Ignoring the leader epoch checkpoint of %s: %s", directory, exc)
        return None
    if entries is None:
        return None
    cache = LeaderEpochCache(path, entries)
    cache.truncate_from_end(log_end_offset)
    return cache


def rebuild_leader_epoch_cache(directory: Path, segments: list[LogSegment]) -> LeaderEpochCache:
    """A cache rebuilt from the batches' partitionLeaderEpoch fields (those of -1, written
    without a leader epoch, are skipped), as Kafka's segment recovery assigns them, and saved.

    Reads every batch header of the log once: a single-node partition, whose batches carry no
    epoch, has no file until replication first needs its epochs.
    """
    cache = LeaderEpochCache(directory / LEADER_EPOCH_CHECKPOINT)
    has_batches = False
    for segment in segments:
        try:
            for _, header in iter_batches(segment.fd, 0, segment.size):
                has_batches = True
                epoch = header.partition_leader_epoch
                if epoch > cache.latest_epoch:  # -1: written without a leader epoch
                    cache._assign(epoch, header.base_offset)
        except StorageError as exc:
            logger.error("Cannot read the rest of segment %d of %s for its leader epochs: %s",
                         segment.base_offset, directory, exc)
    if has_batches:
        logger.info("Rebuilt the leader epoch cache of %s from its batches: %s", directory, cache.entries())
    cache.save(sync=has_batches)  # an empty log's file needs no sync: rebuilding it is free
    return cache
