"""The broker's open client connections: when each was last active, and a way to close it.

``connections.max.idle.ms`` (Kafka's default ten minutes; -1 never) closes a connection that has
neither received nor sent anything for that long, as Kafka's selector expires idle channels,
including one muted while it waits for request memory. One reaper task looks at every connection
a few times per idle period, so the request path pays only for one clock read per socket read.

``last_active`` also ranks connections for ``close_least_recently_used``: when the inter-broker
listener takes the broker over ``max.connections``, the least recently active connections of the
other listeners are closed, as Kafka closes its selectors' least recently used channels.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import trio

from .stats.network_stats import CLOSED_IDLE, CLOSED_LEAST_RECENTLY_USED, NullNetworkStats
from .throttled_log import ThrottledLog

log = logging.getLogger("odradek.server")


@dataclass(eq=False)
class OpenConnection:
    listener: str
    ip: str
    peer: str
    last_active: float = field(default_factory=time.monotonic)
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    idle_closed: bool = False
    evicted: bool = False       # closed as the least recently used, over max.connections


class OpenConnections:
    def __init__(self, max_idle_ms: int, network=NullNetworkStats()) -> None:
        self.max_idle_ms = max_idle_ms
        self.network = network  # counts the connections closed here, by reason (server/stats)
        self.open: set[OpenConnection] = set()
        self._closing_log = ThrottledLog(log, level=logging.INFO)  # a thousand idle clients: not a thousand lines

    def close_least_recently_used(self, count: int, spared) -> int:
        """Close the ``count`` least recently active connections whose listener ``spared(listener)``
        does not protect, not counting those already closing for this; how many were closed."""
        if count <= 0:
            return 0
        candidates = [c for c in self.open if not spared(c.listener)]
        count -= sum(c.evicted for c in candidates)   # still open until their tasks finish
        closing = sorted((c for c in candidates if not c.evicted), key=lambda c: c.last_active)[:max(0, count)]
        for connection in closing:
            connection.evicted = True
            self.network.closing(connection.listener, CLOSED_LEAST_RECENTLY_USED)
            self._closing_log.write("evicted", f"closing connection from {connection.peer} on "
                                    f"{connection.listener}, the least recently used: over "
                                    f"max.connections (the inter-broker listener is exempt)")
            connection.scope.cancel()
        return len(closing)

    async def reap_idle(self) -> None:
        """Close idle connections until cancelled (returns at once if idle connections are kept)."""
        if self.max_idle_ms < 0:
            return
        idle = self.max_idle_ms / 1000
        interval = min(max(idle / 10, 0.01), 5.0)
        while True:
            await trio.sleep(interval)
            oldest = time.monotonic() - idle
            for connection in [c for c in self.open if c.last_active < oldest and not c.idle_closed]:
                connection.idle_closed = True
                self.network.closing(connection.listener, CLOSED_IDLE)
                self._closing_log.write("idle", f"closing connection from {connection.peer} on "
                                        f"{connection.listener}: idle for more than "
                                        f"connections.max.idle.ms={self.max_idle_ms}")
                connection.scope.cancel()
