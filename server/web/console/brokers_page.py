"""``/``: the brokers of the cluster."""

from __future__ import annotations

from starlette.routing import Route


def routes(console) -> list[Route]:
    async def brokers(request):
        return console.render.page("brokers.html", nav="brokers", **console.common(),
                                   brokers=console.cluster.brokers(), mode=console.cluster.mode,
                                   controller_id=console.cluster.controller_id,
                                   topics=len(console.access().topics([t.name for t in console.broker.metadata.topics()])),
                                   rates=console.throughput.total())

    return [Route("/", brokers)]
