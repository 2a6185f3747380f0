"""One task per client connection: split frames, handle requests in order, write responses.

Kafka answers the requests of one connection strictly in order (clients pipeline them and match
responses by order as well as correlation id), so each connection handles one request at a time,
exactly as Kafka mutes a channel while a request is in flight. Concurrency comes from serving many
connections at once.
"""

from __future__ import annotations

import logging

import trio

from odradek.wire import FrameSplitter, FramingError

from .close_connection import CloseConnection
from .dispatch import dispatch
from .response_writer import send_chunks
from .socket_options import apply_socket_options

log = logging.getLogger("odradek.server")

RECEIVE_CHUNK = 1 << 20


async def serve_connection(broker, listener_name: str, stream: trio.SocketStream) -> None:
    peer = _peer_name(stream)
    config = broker.config
    apply_socket_options(stream.socket, config.socket_send_buffer_bytes, config.socket_receive_buffer_bytes)
    splitter = FrameSplitter(config.socket_request_max_bytes)
    try:
        async with stream:
            while True:
                data = await stream.receive_some(RECEIVE_CHUNK)
                if not data:
                    return
                for frame in splitter.feed(data):
                    response = await dispatch(broker, frame, peer, listener_name)
                    if response is not None:
                        await send_chunks(stream, response)
    except FramingError as exc:
        log.warning("closing connection from %s: %s", peer, exc)
    except CloseConnection as exc:
        log.log(logging.DEBUG if exc.quiet else logging.WARNING, "closing connection from %s: %s", peer, exc)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass


def _peer_name(stream: trio.SocketStream) -> str:
    try:
        host, port, *_ = stream.socket.getpeername()
    except OSError:
        return "?"
    return f"{host}:{port}"
