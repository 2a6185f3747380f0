"""Requests from one broker to another, over Kafka's protocol, in trio.

The controller tells brokers their roles (LeaderAndIsr, UpdateMetadata, StopReplica), brokers ask
the controller to change an ISR (AlterPartition) or to move leaders away before they stop
(ControlledShutdown), followers fetch from leaders, and transaction coordinators write markers
to other brokers' partitions (WriteTxnMarkers). All of it is the same wire protocol clients
speak, at versions every odradek broker serves, on the peer's inter-broker listener.

A ``BrokerConnection`` sends one request at a time and waits for its answer (Kafka's controller
and replica fetchers do the same per peer); one that fails or times out is closed, and the next
request opens a new one. Records stay bytes: a Fetch answer's batches are views of the frame.

When the inter-broker listener is TLS (``inter.broker.listener.name`` names an SSL listener), each
connection is wrapped in TLS with the broker's client context (``BrokerConfig.inter_broker_tls``:
its truststore checks the peer; its keystore answers a peer that asks for a certificate).
"""

from __future__ import annotations

import itertools
import logging
import ssl
from collections.abc import Mapping

import trio
from construct import Container

from odradek.wire import FrameSplitter, FramingError, encode_request, parse_response

log = logging.getLogger("odradek.cluster")

RECEIVE_CHUNK = 1 << 20
MAX_FRAME = 1 << 30


class BrokerUnavailable(Exception):
    """The peer could not be reached, or did not answer in time; the request may or may not
    have been processed."""


class BrokerConnection:
    def __init__(self, broker_id: int, client_id: str, timeout_s: float, tls: ssl.SSLContext | None = None):
        self.broker_id = broker_id  # of the peer
        self.client_id = client_id
        self.timeout_s = timeout_s
        self.tls = tls  # the client context for a TLS inter-broker listener, else None
        self.address: tuple[str, int] | None = None
        self._stream: trio.abc.Stream | None = None
        self._splitter = FrameSplitter(MAX_FRAME)
        self._frames: list = []
        self._ids = itertools.count(1)
        self._lock = trio.Lock()

    def point_at(self, host: str, port: int) -> None:
        """Use this address from the next connection on (a broker that re-registered elsewhere)."""
        if self.address != (host, port):
            self.address = (host, port)
            self._drop()

    async def request(self, api_key: int, version: int, body: Mapping,
                      timeout_s: float | None = None) -> Container:
        """Send one request and return the decoded answer; BrokerUnavailable on any failure."""
        async with self._lock:
            if self.address is None:
                raise BrokerUnavailable(f"broker {self.broker_id} has no known address")
            correlation_id = next(self._ids)
            try:
                with trio.fail_after(self.timeout_s if timeout_s is None else timeout_s):
                    stream = await self._connected()
                    await stream.send_all(encode_request(api_key, version, correlation_id, self.client_id, body))
                    frame = await self._read_frame(stream)
            except (OSError, trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError,
                    FramingError) as exc:
                self._drop()
                raise BrokerUnavailable(f"broker {self.broker_id} at {_where(self.address)}: "
                                        f"{type(exc).__name__} {exc}") from None
            got, response = parse_response(api_key, version, frame)
            if got != correlation_id:
                self._drop()
                raise BrokerUnavailable(f"broker {self.broker_id} answered request {got}, expected {correlation_id}")
            return response

    async def aclose(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with trio.CancelScope(shield=True):
                await stream.aclose()

    async def _connected(self) -> trio.abc.Stream:
        if self._stream is None:
            host, port = self.address
            stream = await trio.open_tcp_stream(host, port)
            if self.tls is not None:
                stream = trio.SSLStream(stream, self.tls, server_hostname=host)
                try:
                    await stream.do_handshake()
                except BaseException:
                    stream.transport_stream.socket.close()
                    raise
            self._stream = stream
            self._splitter = FrameSplitter(MAX_FRAME)
            self._frames = []
        return self._stream

    async def _read_frame(self, stream: trio.SocketStream):
        while not self._frames:
            data = await stream.receive_some(RECEIVE_CHUNK)
            if not data:
                raise trio.BrokenResourceError("the peer closed the connection")
            self._frames.extend(self._splitter.feed(data))
        return self._frames.pop(0)

    def _drop(self) -> None:
        """Forget the connection (closing a trio stream needs no await for a socket)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            (stream.transport_stream if isinstance(stream, trio.SSLStream) else stream).socket.close()


def _where(address: tuple[str, int] | None) -> str:
    return "?" if address is None else f"{address[0]}:{address[1]}"
