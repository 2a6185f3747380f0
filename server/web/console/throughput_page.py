"""``/throughput``: records and bytes per second over the last minutes, across all topics
(``charts``), the page refreshing itself every few seconds."""

from __future__ import annotations

from starlette.routing import Route

from .charts import HEIGHT, WIDTH, rate_charts


def routes(console) -> list[Route]:
    async def throughput(request):
        history = list(console.throughput.history)
        charts = rate_charts(history)
        return console.render.page("throughput.html", nav="throughput", **console.common(), charts=charts,
                                   width=WIDTH, height=HEIGHT, interval=console.throughput.interval_s,
                                   samples=len(history))

    return [Route("/throughput", throughput)]
