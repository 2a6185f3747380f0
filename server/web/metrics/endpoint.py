"""The ``/metrics`` route: the collectors in a registry of their own, exposed in Prometheus' text
format (or OpenMetrics, when the scraper asks for it)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .event_loop_lag import EventLoopLag
from .fetch_sessions import FetchSessionCollector
from .group_lag import GroupLagCollector
from .logs import LogCollector
from .replicas import ReplicaCollector
from .traffic import TrafficCollector


class MetricsEndpoint:
    def __init__(self, broker):
        self.registry = CollectorRegistry(auto_describe=False)
        self.loop_lag = EventLoopLag()
        for collector in (TrafficCollector(broker.stats), ReplicaCollector(broker), LogCollector(broker.logs),
                          GroupLagCollector(broker), FetchSessionCollector(broker), self.loop_lag):
            self.registry.register(collector)
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes, process_open_fds, CPU
        self.routes = [Route("/metrics", self.scrape)]

    async def run(self) -> None:
        await self.loop_lag.run()

    async def scrape(self, request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("accept"))
        return Response(encoder(self.registry), media_type=content_type)
