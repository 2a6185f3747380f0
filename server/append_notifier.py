"""Wake long-polling Fetch requests when data arrives.

A Fetch that has fewer than ``min_bytes`` waits for an append to any partition it reads, or for
its ``max_wait_ms`` to pass. Appends drive the wake-ups, so nothing polls on a timer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Hashable

import trio


class AppendNotifier:
    def __init__(self) -> None:
        self._waiters: dict[Hashable, set[trio.Event]] = defaultdict(set)

    def notify(self, key: Hashable) -> None:
        """Wake every waiter watching ``key`` (for example a ``(topic, partition)``)."""
        for event in self._waiters.pop(key, ()):
            event.set()

    async def wait_any(self, keys: Iterable[Hashable]) -> None:
        """Return once any of ``keys`` is notified; cancel with a cancel scope for a timeout."""
        event = trio.Event()
        keys = list(keys)
        for key in keys:
            self._waiters[key].add(event)
        try:
            await event.wait()
        finally:
            for key in keys:
                watchers = self._waiters.get(key)
                if watchers is not None:
                    watchers.discard(event)
                    if not watchers:
                        del self._waiters[key]
