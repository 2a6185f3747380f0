"""Requests from one broker to another, over Kafka's protocol, in trio.

The controller tells brokers their roles (LeaderAndIsr, UpdateMetadata, StopReplica), brokers ask
the controller to change an ISR (AlterPartition) or to move leaders away before they stop
(ControlledShutdown), followers fetch from leaders, and transaction coordinators write markers
to other brokers' partitions (WriteTxnMarkers). All of it is the same wire protocol clients
speak, at versions every odradek broker serves, on the peer's inter-broker listener.

A ``BrokerConnection`` sends one request at a time and waits for its answer (Kafka's controller
and replica fetchers do the same per peer); one that fails or times out is closed, and the next
request opens a new one. Records stay bytes: a Fetch answer's batches are views of the frame.

When the inter-broker listener is TLS (``inter.broker.listener.name`` names an SSL or SASL_SSL
listener), each connection is wrapped in TLS with the broker's client context (its truststore
checks the peer; its keystore answers a peer that asks for a certificate). When it is SASL
(SASL_PLAINTEXT, SASL_SSL), each new connection logs in first, as Kafka's brokers do: SaslHandshake
v1 naming ``sasl.mechanism.inter.broker.protocol``, then SaslAuthenticate v2 until the mechanism
is done, with the broker's own user (``BrokerConfig.inter_broker_security``). A peer that bounds
the session (KIP-368 ``connections.max.reauth.ms``) gets a new, freshly authenticated connection
before the session ends. A refused login is BrokerUnavailable like any other failure, logged
once per peer until it succeeds again.

A single broker imports this module too (for ``BrokerUnavailable``), so the SASL code is imported
only by a connection that logs in (start-up time).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import trio
from construct import Container

from odradek.wire import ApiKey, FrameSplitter, FramingError, encode_request, parse_response

if TYPE_CHECKING:
    from ..security.inter_broker import InterBrokerSecurity

log = logging.getLogger("odradek.cluster")

RECEIVE_CHUNK = 1 << 20
MAX_FRAME = 1 << 30
SASL_HANDSHAKE_VERSION = 1  # tokens in SaslAuthenticate requests (v0 would send them bare)
SASL_AUTHENTICATE_VERSION = 2
#: Reconnect once this share of a bounded session has passed (Kafka's clients re-authenticate
#: between 85% and 95% of it).
REAUTH_SHARE = 0.85


class BrokerUnavailable(Exception):
    """The peer could not be reached, or did not answer in time; the request may or may not
    have been processed."""


class _LoginRefused(Exception):
    """The peer refused this broker's SASL login (or the exchange broke down)."""


class BrokerConnection:
    def __init__(self, broker_id: int, client_id: str, timeout_s: float,
                 security: InterBrokerSecurity | None = None):
        self.broker_id = broker_id  # of the peer
        self.client_id = client_id
        self.timeout_s = timeout_s
        self.tls = security.tls if security else None  # the client context for a TLS inter-broker listener
        self.sasl = security.sasl if security else None  # this broker's login for a SASL inter-broker listener
        self.address: tuple[str, int] | None = None
        self._stream: trio.abc.Stream | None = None
        self._session_ends: float | None = None  # time.monotonic() to reconnect by (a bounded SASL session)
        self._refusal: str | None = None  # the last login refusal logged, so each is logged once
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
            if self._session_ends is not None and time.monotonic() >= self._session_ends:
                self._drop()  # the peer would close it: log in again on a new one
            try:
                with trio.fail_after(self.timeout_s if timeout_s is None else timeout_s):
                    stream = await self._connected()
                    return await self._exchange(stream, api_key, version, body)
            except (OSError, trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError,
                    FramingError, _LoginRefused) as exc:
                self._drop()
                raise BrokerUnavailable(f"broker {self.broker_id} at {_where(self.address)}: "
                                        f"{type(exc).__name__} {exc}") from None

    async def _exchange(self, stream: trio.abc.Stream, api_key: int, version: int, body: Mapping) -> Container:
        correlation_id = next(self._ids)
        await stream.send_all(encode_request(api_key, version, correlation_id, self.client_id, body))
        frame = await self._read_frame(stream)
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
            self._session_ends = None
            if self.sasl is not None:
                await self._log_in(stream)
        return self._stream

    async def _log_in(self, stream: trio.abc.Stream) -> None:
        """SaslHandshake, then SaslAuthenticate until the mechanism is done; _LoginRefused if the
        peer says no (the caller closes the connection, as the peer does)."""
        from ..security.sasl.sasl_client import SaslClientError  # only when logging in: start-up time

        login = self.sasl
        answer = await self._exchange(stream, ApiKey.SASL_HANDSHAKE, SASL_HANDSHAKE_VERSION,
                                      {"mechanism": login.mechanism})
        if answer.error_code:
            self._refused(f"SaslHandshake error {answer.error_code}: the peer enables {', '.join(answer.mechanisms)}, "
                          f"not {login.mechanism}")
        exchange = login.start()
        token = exchange.first()
        while token is not None:
            answer = await self._exchange(stream, ApiKey.SASL_AUTHENTICATE, SASL_AUTHENTICATE_VERSION,
                                          {"auth_bytes": token})
            if answer.error_code:
                self._refused(f"SaslAuthenticate error {answer.error_code}: {answer.error_message}")
            try:
                token = exchange.next(bytes(answer.auth_bytes))
            except SaslClientError as exc:
                self._refused(str(exc))
        if answer.session_lifetime_ms > 0:
            self._session_ends = time.monotonic() + answer.session_lifetime_ms * REAUTH_SHARE / 1000
        if self._refusal is not None:
            log.info("Broker %s at %s accepts the %s login of %s again", self.broker_id, _where(self.address),
                     login.mechanism, login.username)
            self._refusal = None

    def _refused(self, why: str):
        if why != self._refusal:
            log.error("Broker %s at %s refused this broker's %s login as %s: %s", self.broker_id,
                      _where(self.address), self.sasl.mechanism, self.sasl.username, why)
            self._refusal = why
        raise _LoginRefused(why)

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
