"""Wake long-polling Fetch requests when data arrives.

A Fetch that has fewer than ``min_bytes`` waits for an append to any partition it reads, or for
its ``max_wait_ms`` to pass. Appends drive the wake-ups, so nothing polls on a timer.

Two ways to wait: ``wait_any(keys)`` registers for the keys for one wait (a full fetch, which
names its partitions anyway), and a ``Subscription`` holds a standing interest in a set of keys
(an incremental fetch session's partitions): it is registered once, and again only for the keys
that change, so that each wait of a session of 10,000 partitions costs one event, not 10,000
registrations. A subscription wakes only the waits under way: the broker's event loop runs a
Fetch from its last read of the logs to its wait without a checkpoint, so no append can come in
between unseen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Hashable

import trio


class AppendNotifier:
    def __init__(self) -> None:
        self._waiters: dict[Hashable, set[trio.Event]] = defaultdict(set)
        self._subscribers: dict[Hashable, set[Subscription]] = defaultdict(set)

    def notify(self, key: Hashable) -> None:
        """Wake every waiter watching ``key`` (for example a ``(topic, partition)``)."""
        for event in self._waiters.pop(key, ()):
            event.set()
        subscribers = self._subscribers.get(key)
        if subscribers:
            for subscription in subscribers:
                if subscription.waiting:
                    subscription.wake()

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

    def subscribe(self, keys: Iterable[Hashable]) -> Subscription:
        """A standing interest in ``keys``, until ``close``."""
        subscription = Subscription(self)
        subscription.update(keys)
        return subscription

    @property
    def subscribed_keys(self) -> int:
        """How many keys some subscription watches (for tests: closed subscriptions leave none)."""
        return len(self._subscribers)


class Subscription:
    """A set of keys whose notifications wake this subscription's waits (see the module's doc)."""

    def __init__(self, notifier: AppendNotifier) -> None:
        self._notifier = notifier
        self.keys: frozenset = frozenset()
        self._events: list[trio.Event] = []

    @property
    def waiting(self) -> bool:
        return bool(self._events)

    def update(self, keys: Iterable[Hashable]) -> None:
        """Watch ``keys`` from now on: only the keys added or dropped are (un)registered."""
        keys = frozenset(keys)
        subscribers = self._notifier._subscribers
        for key in keys - self.keys:
            subscribers[key].add(self)
        for key in self.keys - keys:
            self._drop(key)
        self.keys = keys

    def close(self) -> None:
        for key in self.keys:
            self._drop(key)
        self.keys = frozenset()
        self.wake()

    def wake(self) -> None:
        events, self._events = self._events, []
        for event in events:
            event.set()

    async def wait(self) -> None:
        """Return once any of the keys is notified (or the subscription closes); cancel with a
        cancel scope for a timeout."""
        event = trio.Event()
        self._events.append(event)
        try:
            await event.wait()
        finally:
            if event in self._events:
                self._events.remove(event)

    def _drop(self, key: Hashable) -> None:
        subscribers = self._notifier._subscribers.get(key)
        if subscribers is not None:
            subscribers.discard(self)
            if not subscribers:
                del self._notifier._subscribers[key]
