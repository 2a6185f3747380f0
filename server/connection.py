"""One task per client connection: split frames, handle requests in order, write responses.

Kafka answers the requests of one connection strictly in order (clients pipeline them and match
responses by order as well as correlation id), so each connection handles one request at a time,
exactly as Kafka mutes a channel while a request is in flight. Concurrency comes from serving many
connections at once.

The one exception is an answer that only waits (``deferred_response``: a Produce with acks=all
waiting for the ISR). Its successors are handled meanwhile, at most ``MAX_DEFERRED`` answers
behind, and every answer is still sent in request order: each waits for the one before it.
Without a deferred answer outstanding, answers are sent directly, as before. A client over its
quota (``quotas``) is answered at once and then muted: nothing more is read from it until its
throttle time is over, as Kafka mutes the channel (KIP-219).

A connection that cannot keep up with its answers simply stops being read: the loop is awaiting
the send, so its requests wait in the socket buffers (TCP pushes back on the client), and it costs
nothing but its own task. ``last_active`` is stamped on every read and every answer sent, for
``connections.max.idle.ms`` (``open_connections``). With ``queued.max.request.bytes`` set, requests
are read through ``_serve_pooled``, which waits for the shared pool (``request_memory``) before
reading a large one; without it the loop below is the one it always was.

On a TLS listener (SSL, SASL_SSL) the accepted socket is wrapped in TLS first
(``security/tls_handshake.py``), requests are read a socket read at a time
(``security/tls_receive.py``), and answers go through the TLS stream with log slices read rather
than sent with sendfile; plaintext connections take exactly the path they always did, and a broker
without a TLS listener never imports the TLS code (start-up time).
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from functools import partial
from time import monotonic

import trio

from odradek.wire import FrameSplitter, FramingError

from . import direct_socket
from .close_connection import CloseConnection
from .deferred_response import Deferred
from .dispatch import dispatch
from .open_connections import OpenConnection
from .request_memory import SMALL_REQUEST, RequestMemoryPool
from .response_writer import send_chunks, send_chunks_copied
from .security.session import Session
from .socket_options import apply_socket_options

log = logging.getLogger("odradek.server")

RECEIVE_CHUNK = 1 << 20
FRAME_PREFIX = 4  # the int32 length before every request
CLOSE_GRACE = 1.0  # seconds a refused client has to close first (_let_the_client_close_first)
MAX_DEFERRED = 5  # answers not yet sent, behind a deferred one (max.in.flight.requests.per.connection)
_connection_numbers = itertools.count()


async def serve_connection(broker, listener_name: str, stream: trio.SocketStream,
                           tracked: OpenConnection | None = None) -> None:
    peer = _peer_name(stream)
    connection_id = f"{listener_name}-{peer}-{next(_connection_numbers)}"
    config = broker.config
    session = Session.for_connection(listener_name, config.listener_config.protocols[listener_name],
                                     _peer_host(stream))
    sasl = session.sasl = broker.sasl_authenticator(listener_name, session)  # None unless a SASL listener
    apply_socket_options(stream.socket, config.socket_send_buffer_bytes, config.socket_receive_buffer_bytes)
    receive, send = partial(direct_socket.receive, stream.socket), send_chunks
    tls = config.listener_tls.get(listener_name)
    if tracked is None:
        tracked = OpenConnection(listener_name, _peer_host(stream), peer)
    if tls is not None:
        from .security.tls_handshake import handshake  # imported on a TLS listener only: start-up time
        from .security.tls_receive import receive_buffered

        stream = await handshake(stream, tls, session, peer)
        if stream is None:
            return
        receive, send = partial(receive_buffered, stream), send_chunks_copied
    max_frame = config.socket_request_max_bytes
    splitter = FrameSplitter(max_frame if sasl is None else sasl.frame_limit(max_frame))
    pool = broker.request_memory
    broker.stats.network.opened(listener_name)
    try:
        async with stream, trio.open_nursery() as nursery:
            answers = _OrderedAnswers(stream, nursery, send, tracked)
            if pool is not None:
                await _serve_pooled(broker, pool, receive, splitter, answers, tracked, peer, listener_name,
                                    connection_id, session, sasl, max_frame)
                return
            while True:
                data = await receive(RECEIVE_CHUNK)
                if not data:
                    await answers.drain()
                    return
                tracked.last_active = monotonic()
                for frame in splitter.feed(data):
                    response = await dispatch(broker, frame, peer, listener_name, connection_id, session)
                    await _answer(answers, response, session, sasl, receive)
                if sasl is not None:
                    splitter.max_frame_size = sasl.frame_limit(max_frame)
    except* FramingError as group:
        log.warning("closing connection from %s: %s", peer, group.exceptions[0])
    except* CloseConnection as group:
        exc = group.exceptions[0]
        log.log(logging.DEBUG if exc.quiet else logging.WARNING, "closing connection from %s: %s", peer, exc)
    except* (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    finally:
        broker.stats.network.closed(listener_name)
        broker.connection_closed(connection_id)


async def _answer(answers: "_OrderedAnswers", response, session, sasl, receive) -> None:
    """What follows each request in either loop: its answer queued, then, if a client quota
    throttled it, nothing read until the throttle time is over (KIP-219), and after a failed
    authentication the connection closed once the answer is out, as Kafka does."""
    if response is not None:
        await answers.send(response)
    if session.muted_until:
        await trio.sleep_until(session.muted_until)
        session.muted_until = 0.0
    if sasl is not None and sasl.failure is not None:
        await answers.drain()
        await _let_the_client_close_first(receive)
        raise CloseConnection(f"authentication failed: {sasl.failure}", quiet=True)


async def _let_the_client_close_first(receive) -> None:
    """Waits, at most ``CLOSE_GRACE`` seconds, for the client to close after reading a refusal.

    Closed at once, the answer and the connection's end reach the client together, and a client
    that reads both in one go may drop the answer with the end: kafka-python 3.0 then reports
    "socket disconnected" instead of the broker's message (seen in CI). Clients close as soon as
    they have read a refusal, so this wait is normally a few milliseconds.
    """
    with trio.move_on_after(CLOSE_GRACE):
        while await receive(RECEIVE_CHUNK):
            pass


async def _serve_pooled(broker, pool: RequestMemoryPool, receive, splitter: FrameSplitter,
                        answers: "_OrderedAnswers", tracked: OpenConnection, peer: str, listener_name: str,
                        connection_id: str, session, sasl, max_frame: int) -> None:
    """The request loop under ``queued.max.request.bytes`` (``request_memory``).

    A request larger than ``SMALL_REQUEST`` is read only once the pool has granted its announced
    size: until then the connection reads nothing (it is muted). Reads are sized so that no more
    than ``SMALL_REQUEST`` bytes beyond what the pool granted are ever taken from the socket.
    """
    reserved = 0  # bytes granted to the request being received
    try:
        while True:
            if not reserved:
                size = splitter.next_size()
                if size is not None and size > SMALL_REQUEST:
                    await pool.acquire(size)
                    reserved = size
            wanted = min(RECEIVE_CHUNK, reserved + FRAME_PREFIX - splitter.buffered) if reserved else SMALL_REQUEST
            data = await receive(wanted)
            if not data:
                await answers.drain()
                return
            tracked.last_active = monotonic()
            for frame in splitter.feed(data):
                response = await dispatch(broker, frame, peer, listener_name, connection_id, session)
                if reserved:  # this frame was the one granted (reads stop at its end): handled, so free
                    pool.release(reserved)
                    reserved = 0
                await _answer(answers, response, session, sasl, receive)
            if sasl is not None:
                splitter.max_frame_size = sasl.frame_limit(max_frame)
    finally:
        if reserved:
            pool.release(reserved)


class _OrderedAnswers:
    """Sends a connection's answers in request order, letting deferred ones finish meanwhile."""

    def __init__(self, stream: trio.abc.Stream, nursery: trio.Nursery, send=send_chunks,
                 tracked: OpenConnection | None = None):
        self._stream = stream
        self._tracked = tracked  # its last_active is set as each answer goes out
        self._nursery = nursery
        self._send = send  # send_chunks, or send_chunks_copied on a TLS stream
        self._sent: deque[trio.Event] = deque()  # set once each queued answer is sent, oldest first

    async def send(self, response) -> None:
        while self._sent and self._sent[0].is_set():
            self._sent.popleft()
        if not self._sent and not isinstance(response, Deferred):
            await self._send(self._stream, response)  # nothing waiting: straight out
            if self._tracked is not None:
                self._tracked.last_active = monotonic()
            return
        if len(self._sent) >= MAX_DEFERRED:
            await self._sent[0].wait()
            self._sent.popleft()
        previous = self._sent[-1] if self._sent else None
        sent = trio.Event()
        self._sent.append(sent)
        self._nursery.start_soon(self._send_after, previous, response, sent)

    async def drain(self) -> None:
        while self._sent:
            await self._sent.popleft().wait()

    async def _send_after(self, previous: trio.Event | None, response, sent: trio.Event) -> None:
        chunks = await response.result() if isinstance(response, Deferred) else response
        if previous is not None:
            await previous.wait()
        await self._send(self._stream, chunks)
        if self._tracked is not None:
            self._tracked.last_active = monotonic()
        sent.set()


def _peer_host(stream: trio.SocketStream) -> str:
    try:
        return stream.socket.getpeername()[0]
    except OSError:
        return "?"


def _peer_name(stream: trio.SocketStream) -> str:
    try:
        host, port, *_ = stream.socket.getpeername()
    except OSError:
        return "?"
    return f"{host}:{port}"
