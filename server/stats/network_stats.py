"""Client connections open per listener, and the bytes of requests read and responses written.

Bytes are counted per request frame (its size prefix included) and per response as written (log
slices sent with sendfile by their size), so they are the Kafka protocol's traffic; TLS framing,
once there is TLS, is not in them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps


@dataclass
class NetworkStats:
    connections: dict[str, int] = field(default_factory=dict)  # listener name -> open now
    connections_opened: dict[str, int] = field(default_factory=dict)  # listener name -> ever
    bytes_in: int = 0
    bytes_out: int = 0

    def counted(self, listener: str, serve):
        """``serve(stream)`` (one connection's task) counted while it runs."""
        self.connections.setdefault(listener, 0)
        self.connections_opened.setdefault(listener, 0)

        @wraps(serve)
        async def serve_counted(stream) -> None:
            self.connections[listener] += 1
            self.connections_opened[listener] += 1
            try:
                await serve(stream)
            finally:
                self.connections[listener] -= 1

        return serve_counted
