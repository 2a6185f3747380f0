"""Bind the HTTP port at start-up, then serve the web app on it with hypercorn's trio worker.

Binding happens with the Kafka listeners, before storage is opened, through the same code
(``listener_sockets``), so a port in use is one line naming it. Hypercorn takes the bound socket
over by its file descriptor (``fd://``) when serving starts; until then the socket is ours to
close. Serving is a task of the broker's nursery and ends when it is cancelled (SIGTERM).
"""

from __future__ import annotations

import logging

import trio
from hypercorn.config import Config
from hypercorn.trio import serve

from ..listener_sockets import BoundListener, bind_listener
from ..listeners import Listener
from ..startup_error import StartupError
from .app import WebApp
from .web_settings import PORT, WebSettings

log = logging.getLogger("odradek.web")
_hypercorn_log = logging.getLogger("odradek.web.hypercorn")
_hypercorn_log.setLevel(logging.WARNING)  # not its "Running on ... (CTRL + C to quit)"


class HttpServer:
    def __init__(self, broker, settings: WebSettings):
        self.broker = broker
        self.settings = settings
        self._bound: BoundListener | None = None
        self.url = ""  # where /metrics is served, once bound

    async def bind(self) -> None:
        """Bind the port (StartupError naming ``metrics.port`` if it cannot be)."""
        try:
            self._bound = await bind_listener(Listener("HTTP", self.settings.host, self.settings.port))
        except StartupError as exc:
            raise StartupError(f"{PORT}: {exc}") from None
        host, port = self._bound.addresses[0]
        host = self.settings.host or host
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}/metrics"

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        app = WebApp(self.broker)
        config = Config()
        config.bind = [f"fd://{listener.socket.detach()}" for listener in self._bound.sockets]
        config.accesslog = None
        config.errorlog = _hypercorn_log
        async with trio.open_nursery() as nursery:
            for part in app.parts:
                nursery.start_soon(part.run)
            await nursery.start(serve, app.asgi, config)
            log.info("serving metrics on %s", self.url)
            task_status.started()

    async def aclose(self) -> None:
        if self._bound is not None:
            await self._bound.aclose()
