"""The ASGI app served on the HTTP port, composed from its parts' route lists.

Each part is an object with ``routes`` (Starlette routes) and ``run()`` (its background work, run
in the HTTP server's nursery, or nothing to do). The metrics are the only part so far; the web
console joins ``parts`` here.
"""

from __future__ import annotations

from starlette.applications import Starlette

from .metrics.endpoint import MetricsEndpoint


class WebApp:
    def __init__(self, broker):
        self.metrics = MetricsEndpoint(broker)
        self.parts = [self.metrics]
        self.asgi = Starlette(routes=[route for part in self.parts for route in part.routes])
