"""Group commit: Produce requests that must wait for an fsync of the same partition share one.

With a flush policy such as ``flush.messages=1`` every acknowledged append waits for an fsync.
Run one after the other, they would cap a partition at one request per disk sync.  Instead
a request registers, then queues for the partition's flush lock; whoever holds the lock fsyncs
once for everyone registered by then, and those it covered find their turn already done.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import trio

from odradek.storage.errors import KafkaStorageError


@dataclass
class _Syncs:
    lock: trio.Lock = field(default_factory=trio.Lock)
    requested: int = 0   # requests registered so far, numbered from 1
    covered: int = 0     # every request up to this number has been fsynced
    failed: bool = False  # an fsync failed: the log's directory is offline, nothing more is synced


class GroupFlusher:
    """fsyncs partition logs in a worker thread, one fsync serving every request waiting on it."""

    def __init__(self) -> None:
        self._syncs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def flush(self, logs) -> set:
        """Return once everything appended to ``logs`` before the call is on disk; the logs whose
        fsync failed instead (KafkaStorageError: their log directory went offline)."""
        failed = set()
        for log in logs:
            if not await self._flush_one(log):
                failed.add(log)
        return failed

    async def _flush_one(self, log) -> bool:
        syncs = self._syncs.get(log)
        if syncs is None:
            syncs = self._syncs[log] = _Syncs()
        syncs.requested += 1
        mine = syncs.requested
        async with syncs.lock:
            if syncs.failed:
                return False
            if syncs.covered >= mine:
                return True  # an fsync that started after this request registered has finished
            covering = syncs.requested
            try:
                await trio.to_thread.run_sync(log.flush)
            except KafkaStorageError:
                syncs.failed = True
                return False
            syncs.covered = covering
            return True
