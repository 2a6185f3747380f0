"""The broker's open client connections: when each was last active, and a way to close it.

``connections.max.idle.ms`` (Kafka's default ten minutes; -1 never) closes a connection that has
neither received nor sent anything for that long, as Kafka's selector expires idle channels,
including one muted while it waits for request memory. One reaper task looks at every connection
a few times per idle period, so the request path pays only for one clock read per socket read.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import trio

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


class OpenConnections:
    def __init__(self, max_idle_ms: int) -> None:
        self.max_idle_ms = max_idle_ms
        self.open: set[OpenConnection] = set()
        self._closing_log = ThrottledLog(log, level=logging.INFO)  # a thousand idle clients: not a thousand lines

    async def reap_idle(self) -> None:
        """Close idle connections until cancelled (returns at once if idle connections are kept)."""
        if self.max_idle_ms < 0:
            return
        idle = self.max_idle_ms / 1000
        interval = min(max(idle / 10, 0.01), 5.0)
        while True:
            await trio.sleep(interval)
            oldest = time.monotonic() - idle
            for connection in [c for c in self.open if c.last_active < oldest]:
                connection.idle_closed = True
                self._closing_log.write("idle", f"closing connection from {connection.peer} on "
                                        f"{connection.listener}: idle for more than "
                                        f"connections.max.idle.ms={self.max_idle_ms}")
                connection.scope.cancel()
