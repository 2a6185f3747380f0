"""The console as a part of the web app (see ``server/web/app.py``): its routes, and its one
background task, sampling the traffic counters for the rates and charts. Every page is guarded
by the login (``login``), which is a no-op on a broker without authentication."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from . import brokers_page, groups_page, messages_page, throughput_page, topics_page, transactions_page
from .cluster_view import ClusterView
from .group_view import GroupView
from .lag_history import LagHistory
from .login import Login, current_access
from .offset_reset import OffsetReset
from .record_browser import RecordBrowser
from .rendering import STATIC, Renderer
from .throughput import Throughput
from .topic_view import TopicView


class Console:
    def __init__(self, broker):
        self.broker = broker
        self.render = Renderer()
        self.cluster = ClusterView(broker)
        self.topics = TopicView(broker)
        self.groups = GroupView(broker)
        self.records = RecordBrowser(broker)
        self.offset_reset = OffsetReset(broker)
        self.lag_history = LagHistory(broker)
        self.throughput = Throughput(broker.stats, also=[self.lag_history])
        self._css = (STATIC / "console.css").read_bytes()
        self.login = Login(broker, self.render, self.common)
        pages = [
            *brokers_page.routes(self),
            *topics_page.routes(self),
            *messages_page.routes(self),
            *groups_page.routes(self),
            *transactions_page.routes(self),
            *throughput_page.routes(self),
        ]
        self.routes = [Route("/static/console.css", self.stylesheet), *self.login.routes,
                       *(Route(page.path, self.login.guard(page.endpoint), methods=page.methods) for page in pages)]

    async def run(self) -> None:
        await self.throughput.run()

    async def stylesheet(self, request) -> Response:
        return Response(self._css, media_type="text/css", headers={"cache-control": "max-age=3600"})

    def access(self):
        """What the visitor of the page being served may see and do (``access.Access``)."""
        return current_access.get()

    def common(self) -> dict:
        """What every page's header shows."""
        principal = current_access.get().principal
        return {"node_id": self.broker.config.node_id, "cluster_id": self.broker.cluster_id,
                "user": principal.name if principal is not None else ""}
