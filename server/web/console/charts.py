"""Line charts drawn by the server as inline SVG (no chart library, no JavaScript): a series of
(time, value) points scaled into a fixed box, drawn by the ``svg_chart`` macro (``_chart.html``)."""

from __future__ import annotations

from dataclasses import dataclass

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
