"""``/throughput``: records and bytes per second over the last minutes, drawn as inline SVG by
the server (no chart library), the page refreshing itself every few seconds; the same charts of
one topic on its page (``Throughput.history_of``)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.routing import Route

WIDTH, HEIGHT = 600, 160


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    points: str  # an SVG polyline's points
    peak: float
    last: float


def chart(title: str, unit: str, series: list[tuple[float, float]]) -> Chart:
    if not series:
        return Chart(title, unit, "", 0.0, 0.0)
    first, last_at = series[0][0], series[-1][0]
    span = max(last_at - first, 1e-9)
    peak = max(value for _, value in series)
    top = peak if peak > 0 else 1.0
    points = " ".join(f"{(at - first) / span * WIDTH:.1f},{HEIGHT - value / top * (HEIGHT - 10):.1f}"
                      for at, value in series)
    return Chart(title, unit, points, peak, series[-1][1])


def rate_charts(history) -> list[Chart]:
    """Records in, bytes in and bytes out over ``history``, (time, Rates) pairs."""
    return [
        chart("Records in", "records/s", [(at, r.records_in) for at, r in history]),
        chart("Bytes in", "bytes/s", [(at, r.bytes_in) for at, r in history]),
        chart("Bytes out (to consumers)", "bytes/s", [(at, r.bytes_out) for at, r in history]),
    ]


def routes(console) -> list[Route]:
    async def throughput(request):
        history = list(console.throughput.history)
        charts = rate_charts(history)
        return console.render.page("throughput.html", nav="throughput", **console.common(), charts=charts,
                                   width=WIDTH, height=HEIGHT, interval=console.throughput.interval_s,
                                   samples=len(history))

    return [Route("/throughput", throughput)]
