"""Rebuilding a partition's producer state at startup, once ``log_loader`` has checked its segments.

The state comes from the newest readable snapshot at or below the log end (without
one: the log start, with no producers), then from replaying what follows it: batch
headers, plus the one record of each control batch, which holds a transaction marker.
The replay also rebuilds the transaction indexes from the snapshot's offset on, since
a crash can lose an index entry whose marker reached the log, or keep one whose marker
was torn off. After a clean close the snapshot stands at the log end: nothing is
replayed. As Kafka does, a replay ends with a snapshot at the log end, and one at the
base of each of the last two segments it passes.

Snapshots no longer of use are deleted: those past the log end (the log was cut back),
and, by Kafka's rule, those at no segment base except the newest if it lies in the
last segment (a clean close's).
"""

from __future__ import annotations

import logging
from pathlib import Path

from .errors import StorageError
from .file_batches import iter_batches, read_batch
from .producer_snapshot import CorruptSnapshotError, read_snapshot, snapshot_offsets, snapshot_path, write_snapshot
from .producer_state_config import ProducerStateConfig
from .producer_state_manager import ProducerStateManager
from .segment import LogSegment
from .transaction_marker import read_marker

logger = logging.getLogger(__package__)


def load_producer_state(
    directory: Path, segments: list[LogSegment], config: ProducerStateConfig, now_ms: int
) -> tuple[ProducerStateManager, int]:
    """The producer state at the log end, and the offset of the newest snapshot now on disk
    (the log start if there is none)."""
    manager = ProducerStateManager(config.producer_id_expiration_ms)
    log_end = segments[-1].next_offset
    start = segments[0].base_offset
    for offset in reversed(_usable_snapshots(directory, segments)):
        try:
            entries = read_snapshot(directory, offset)
        except (CorruptSnapshotError, OSError) as exc:
            logger.warning("Deleting unreadable producer snapshot %s: %s", snapshot_path(directory, offset), exc)
            snapshot_path(directory, offset).unlink(missing_ok=True)
            continue
        manager.load(entry for entry in entries if not entry.is_expired(now_ms, manager.expiration_ms))
        start = offset
        break
    if start < log_end:
        logger.info("Rebuilding producer state of %s from offset %d to %d", directory, start, log_end)
        _replay(directory, segments, manager, start)
        write_snapshot(directory, log_end, manager.entries())
        start = log_end
    manager.remove_expired(now_ms)
    return manager, start


def _usable_snapshots(directory: Path, segments: list[LogSegment]) -> list[int]:
    log_end = segments[-1].next_offset
    bases = {segment.base_offset for segment in segments}
    offsets = snapshot_offsets(directory)
    strays = [offset for offset in offsets if offset not in bases and offset <= log_end]
    kept_stray = strays[-1] if strays and strays[-1] > segments[-1].base_offset else None
    usable = []
    for offset in offsets:
        if offset > log_end or (offset not in bases and offset != kept_stray):
            logger.info("Deleting producer snapshot %s: no longer of use", snapshot_path(directory, offset))
            snapshot_path(directory, offset).unlink()
        else:
            usable.append(offset)
    return usable


def _replay(directory: Path, segments: list[LogSegment], manager: ProducerStateManager, start: int) -> None:
    """Apply every producer batch from ``start`` to the log end; rebuild the transaction indexes there."""
    last_two_bases = [segment.base_offset for segment in segments[-2:]]
    for segment in segments:
        if segment.next_offset < start:
            continue
        if segment.base_offset > start and segment.base_offset in last_two_bases:
            write_snapshot(directory, segment.base_offset, manager.entries())
        index = segment.txn_index
        index.rebuild_from(start)
        found = segment.locate(max(start, segment.base_offset))
        try:
            for position, header in iter_batches(segment.fd, found[0] if found else segment.size, segment.size):
                if header.producer_id < 0:
                    continue
                marker = None
                if header.is_control:
                    marker = read_marker(read_batch(segment.fd, position, header.size))
                    if marker is None:
                        logger.warning("Skipping control batch at offset %d of %s: it holds no transaction marker",
                                       header.base_offset, directory)
                        continue
                for txn in manager.replay(header, marker):
                    index.append(txn)
        except StorageError as exc:
            logger.error("Cannot replay the rest of segment %d of %s (%s); its producer state is incomplete",
                         segment.base_offset, directory, exc)
        if index.save_if_changed():
            logger.warning("Rebuilt transaction index %s (%d entries)", index.path, len(index))
