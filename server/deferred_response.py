"""An answer that is not ready when its handler returns: a Produce with acks=all waiting for the ISR.

Kafka answers a connection's requests in order, and holds each request's successors back until
it is answered. A Produce that waits for its followers would then keep the producer's next
batches (librdkafka and the Java client send up to five at once) out of the log for a whole
replication round trip each, so every batch would wait for the one before it to be replicated
first. Instead, a handler may return ``Deferred``: the work that must happen in order (checks,
appends) is done, and only the wait remains. The connection reads and handles the next requests
meanwhile, and still sends every answer in the order of the requests (``connection``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable


class Deferred:
    """A handler's answer, to be awaited: ``await deferred.result()`` gives the body (or chunks)."""

    __slots__ = ("_finish",)

    def __init__(self, finish: Callable[[], Awaitable[object]]):
        self._finish = finish

    async def result(self):
        return await self._finish()
