"""The ``/metrics`` route: the collectors' figures exposed in Prometheus' text format (or
OpenMetrics, when the scraper asks for it).

A scrape at thousands of partitions must not hold the event loop (every client waits while it
does). So it happens in two steps: the collectors read the broker's state in the loop, pausing
every few hundred rows (``pacing``), into metric families; then the families, plain data by
then, are written out in the text format by ``prometheus-client``'s encoder in a worker thread.
"""

from __future__ import annotations

import trio
from prometheus_client import ProcessCollector
from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .event_loop_lag import EventLoopLag
from .fetch_sessions import FetchSessionCollector
from .group_lag import GroupLagCollector
from .logs import LogCollector
from .pacing import PAUSE
from .replicas import ReplicaCollector
from .request_pool import RequestPoolCollector
from .traffic import TrafficCollector


class Gathered:
    """Metric families already read, as a registry hands them to an encoder, and the process's
    own figures, which ``ProcessCollector`` reads from ``/proc`` (listing every open file: one per
    segment file) when encoding starts, in the worker thread."""

    def __init__(self, families: list, process: ProcessCollector):
        self.families = families
        self.process = process

    def collect(self):
        yield from self.families
        yield from self.process.collect()


class MetricsEndpoint:
    def __init__(self, broker):
        self.loop_lag = EventLoopLag()
        self.collectors = [TrafficCollector(broker.stats), ReplicaCollector(broker), LogCollector(broker.logs),
                           GroupLagCollector(broker), FetchSessionCollector(broker), RequestPoolCollector(broker),
                           self.loop_lag]
        self.process = ProcessCollector(registry=None)  # process_resident_memory_bytes, open fds, CPU
        self.routes = [Route("/metrics", self.scrape)]

    async def run(self) -> None:
        await self.loop_lag.run()

    async def gather(self) -> Gathered:
        """Every collector's families, read in the event loop with a checkpoint at each pause."""
        families = []
        for collector in self.collectors:
            for item in collector.collect():
                if item is PAUSE:
                    await trio.lowlevel.checkpoint()
                else:
                    families.append(item)
        return Gathered(families, self.process)

    async def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The scrape's body and content type, for a scraper sending ``accept``."""
        encoder, content_type = choose_encoder(accept)
        gathered = await self.gather()
        return await trio.to_thread.run_sync(encoder, gathered), content_type

    async def scrape(self, request: Request) -> Response:
        body, content_type = await self.exposition(request.headers.get("accept"))
        return Response(body, media_type=content_type)
