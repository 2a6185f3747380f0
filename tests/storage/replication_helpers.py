"""Test helpers for replicated partition logs: a log's bytes, copying a leader's log to a follower
as a fetcher would, and batches numbered and stamped as a leader writes them."""

from __future__ import annotations

import struct

from batch_builder import split_batches
from conftest import NOW

from odradek.storage.errors import UnexpectedAppendOffsetError
from odradek.storage.log_manager import LogManager
from odradek.storage.replica_append import restart_offset
from odradek.storage.transaction_marker import TxnMarker, marker_batch

_PREFIX = struct.Struct(">q")
_EPOCH = struct.Struct(">i")


def log_bytes(log, start: int | None = None, end: int | None = None) -> bytes:
    """The log's batches from ``start`` (default: the log start) up to ``end`` (default: the log
    end; whole batches ending at or before it), back to back as Fetch returns them."""
    offset = log.log_start_offset if start is None else start
    end = log.log_end_offset if end is None else end
    out = b""
    while offset < end:
        chunk = split_batches(log.read(offset, 1 << 20).read())
        if not chunk:
            break
        for batch in chunk:
            next_offset = batch.base_offset + struct.unpack_from(">i", batch.raw, 23)[0] + 1
            if next_offset > end:
                return out
            out += batch.raw
            offset = next_offset
    return out


def replicate(leader, follower, max_bytes: int = 1 << 20, limit: int | None = None) -> int:
    """Fetch from the leader at the follower's log end and append, until caught up (or ``limit``
    fetches); the number of fetches."""
    fetches = 0
    while follower.log_end_offset < leader.log_end_offset and (limit is None or fetches < limit):
        records = leader.read(follower.log_end_offset, max_bytes).read()
        try:
            follower.append_as_follower(records, now_ms=NOW)
        except UnexpectedAppendOffsetError as exc:  # as the replica manager recovers (an empty log)
            restart = restart_offset(follower.log_start_offset, follower.log_end_offset, exc)
            if restart is None:
                raise
            LogManager.remove_files(follower.truncate_fully_and_start_at(restart, now_ms=NOW))
            follower.append_as_follower(records, now_ms=NOW)
        fetches += 1
    return fetches


def at(batch: bytes, base_offset: int, epoch: int | None = None) -> bytes:
    """``batch`` numbered from ``base_offset`` and, if given, stamped with leader ``epoch``: the
    fields a leader rewrites, outside the CRC."""
    data = bytearray(batch)
    _PREFIX.pack_into(data, 0, base_offset)
    if epoch is not None:
        _EPOCH.pack_into(data, 12, epoch)
    return bytes(data)


def marker(producer_id: int, commit: bool, base_offset: int, epoch: int = 0, producer_epoch: int = 0,
           coordinator_epoch: int = 0, timestamp: int = 2_000) -> bytes:
    """A COMMIT or ABORT control batch at ``base_offset`` as a leader wrote it."""
    return at(marker_batch(producer_id, producer_epoch, TxnMarker(commit, coordinator_epoch), timestamp),
              base_offset, epoch)


def epoch_of(raw: bytes) -> int:
    return _EPOCH.unpack_from(raw, 12)[0]
