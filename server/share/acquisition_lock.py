"""An acquisition lock: how long a member may hold the records it acquired.

Kafka schedules a timer task per lock (``AcquisitionLockTimerTask``); here a lock is a deadline
on the share partition's clock that its ``lock_timer`` heap orders, and the partition's owner
expires the due ones. A lock is *cancelled* when its records leave the ACQUIRED state for good
(acknowledged, released, split into per-record locks, renewed) and *expired* once its deadline
has been processed: a record whose acknowledgement was still being written then falls back to
AVAILABLE (or ARCHIVED) rather than ACQUIRED if that write fails.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field


@dataclass(eq=False)
class AcquisitionLock:
    deadline_ms: float
    member_id: str
    first_offset: int
    last_offset: int
    cancelled: bool = False
    expired: bool = False


@dataclass
class LockTimer:
    """The share partition's locks by deadline; cancelled ones are dropped lazily."""

    _heap: list = field(default_factory=list)
    _order: itertools.count = field(default_factory=itertools.count)

    def add(self, lock: AcquisitionLock) -> AcquisitionLock:
        heapq.heappush(self._heap, (lock.deadline_ms, next(self._order), lock))
        return lock

    def next_deadline(self) -> float | None:
        """The earliest deadline of a lock still live, None when there is none."""
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ms: float) -> list[AcquisitionLock]:
        """The live locks whose deadline is at or before ``now_ms``, earliest first, now removed."""
        due = []
        while self._heap and self._heap[0][0] <= now_ms:
            lock = heapq.heappop(self._heap)[2]
            if not lock.cancelled:
                due.append(lock)
        return due
