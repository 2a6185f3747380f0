"""``queued.max.request.bytes``: one pool of memory for the requests of every connection.

Kafka's SocketServer gives each request a buffer from a ``SimpleMemoryPool`` in non-strict mode:
a request may start being read as long as the pool has *any* memory left, and it takes its whole
announced size (so the pool may dip below zero by at most one request, and Kafka insists that
``queued.max.request.bytes`` be at least ``socket.request.max.bytes``). A connection whose next
request finds the pool empty stops being read (it is muted) until some other request's memory is
released, which happens once that request has been handled.

odradek buffers a request as its bytes arrive, so the reservation is an upper bound on what is
really held. One deviation, so that a pool held by stalled large requests cannot lock every client
out: a request of at most ``SMALL_REQUEST`` bytes is read without a reservation. What such requests
hold is bounded by the number of connections (``max.connections``) times ``SMALL_REQUEST``; a
connection never holds more than that unless the pool granted it.
"""

from __future__ import annotations

import trio

SMALL_REQUEST = 64 * 1024  # heartbeats, metadata, fetch requests, small produce requests


class RequestMemoryPool:
    def __init__(self, size: int) -> None:
        self.size = size
        self.available = size
        self._released = trio.Event()
        self.waiting = 0  # connections muted until memory is released (for metrics and tests)

    async def acquire(self, size: int) -> None:
        """Reserve ``size`` bytes, waiting while the pool is exhausted (non-strict, as Kafka's)."""
        if self.available <= 0:
            self.waiting += 1
            try:
                while self.available <= 0:
                    await self._released.wait()
            finally:
                self.waiting -= 1
        self.available -= size

    def release(self, size: int) -> None:
        self.available += size
        if self.available > 0:
            self._released.set()
            self._released = trio.Event()
