"""The ASGI app served on the HTTP port, composed from its parts' route lists.

Each part is an object with ``routes`` (Starlette routes) and ``run()`` (its background work, run
in the HTTP server's nursery, or nothing to do): the metrics at ``/metrics``, the web console
(``console/``) at ``/`` and the pages under it.
"""

from __future__ import annotations

import secrets

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware

from .console.part import Console
from .metrics.endpoint import MetricsEndpoint


class WebApp:
    def __init__(self, broker):
        self.metrics = MetricsEndpoint(broker)
        self.console = Console(broker)
        self.parts = [self.metrics, self.console]
        # the console's login cookie, signed with a key of this run (see console/login.py)
        session = Middleware(SessionMiddleware, secret_key=secrets.token_urlsafe(32), session_cookie="odradek_console",
                             same_site="strict", max_age=12 * 3600)
        self.asgi = Starlette(routes=[route for part in self.parts for route in part.routes], middleware=[session])
