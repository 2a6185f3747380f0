"""Deadlines for the group coordinator, on one trio task.

Group timing (session expiry, rebalance and sync timeouts, the initial rebalance delay) is a set
of deadlines keyed by what they guard; setting a key again moves its deadline, cancelling removes
it. One task sleeps until the earliest deadline or until the set changes, so timing is exact to
the configured timeouts and nothing polls.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Hashable

import trio


class Scheduler:
    def __init__(self) -> None:
        self._deadlines: dict[Hashable, tuple[float, int, Callable[[], None]]] = {}
        self._heap: list[tuple[float, int, Hashable]] = []
        self._seq = itertools.count()
        self._changed = trio.Event()

    def at(self, key: Hashable, deadline: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` at ``deadline`` (trio clock), replacing any deadline set for ``key``."""
        seq = next(self._seq)
        self._deadlines[key] = (deadline, seq, callback)
        heapq.heappush(self._heap, (deadline, seq, key))
        self._changed.set()

    def after(self, key: Hashable, seconds: float, callback: Callable[[], None]) -> None:
        self.at(key, trio.current_time() + seconds, callback)

    def cancel(self, key: Hashable) -> None:
        self._deadlines.pop(key, None)

    def deadline(self, key: Hashable) -> float | None:
        entry = self._deadlines.get(key)
        return None if entry is None else entry[0]

    async def run(self) -> None:
        while True:
            self._fire_due(trio.current_time())
            self._changed = trio.Event()
            next_deadline = self._heap[0][0] if self._heap else float("inf")
            with trio.move_on_at(next_deadline):
                await self._changed.wait()

    def _fire_due(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            _, seq, key = heapq.heappop(self._heap)
            entry = self._deadlines.get(key)
            if entry is None or entry[1] != seq:
                continue  # moved or cancelled since
            del self._deadlines[key]
            entry[2]()
