"""The ASGI app served on the HTTP port, composed from its parts' route lists.

Each part is an object with ``routes`` (Starlette routes) and ``run()`` (its background work, run
in the HTTP server's nursery, or nothing to do): the metrics at ``/metrics``, the web console
(``console/``) at ``/`` and the pages under it.
"""

from __future__ import annotations

from starlette.applications import Starlette

from .console.part import Console
from .metrics.endpoint import MetricsEndpoint


class WebApp:
    def __init__(self, broker):
        self.metrics = MetricsEndpoint(broker)
        self.console = Console(broker)
        self.parts = [self.metrics, self.console]
        self.asgi = Starlette(routes=[route for part in self.parts for route in part.routes])
