"""Jinja2 set up for the console: templates and the stylesheet ship inside the package, and
autoescaping is on for everything (record keys and values, topic and group names are untrusted)."""

from __future__ import annotations

import datetime
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _bytes(size: float | None) -> str:
    if size is None:
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def _time_ms(ms: int) -> str:
    if ms < 0:
        return "—"
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value < 100 and not float(value).is_integer() else f"{value:,.0f}"


def make_environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["bytes"] = _bytes
    env.filters["duration"] = _duration
    env.filters["time_ms"] = _time_ms
    env.filters["rate"] = _rate
    env.filters["seg"] = lambda value: quote(str(value), safe="")  # one URL path segment
    return env


class Renderer:
    def __init__(self):
        self.env = make_environment()

    def page(self, template: str, status_code: int = 200, **context) -> HTMLResponse:
        html = self.env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status_code)
