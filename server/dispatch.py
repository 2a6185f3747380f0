"""Turn one request frame into one response frame (or none), the way Kafka's request channel does.

Kafka's rules for requests it cannot serve: an ApiVersions request of a version it does not know is
answered with UNSUPPORTED_VERSION and a v0 body listing what it does support (so the client can
retry at a version both know); any other unknown API or version, or a request that does not parse,
closes the connection.

On a SASL listener the connection's ``SaslAuthenticator`` (``session.sasl``) comes first: it
takes the bare tokens that follow a SaslHandshake v0, and closes the connection for any request
not allowed before authentication (or after the session expired).
"""

from __future__ import annotations

import logging
from functools import partial
from time import perf_counter

from odradek.wire import (
    ApiKey,
    DecodeError,
    ErrorCode,
    RequestHeader,
    UnsupportedVersionError,
    encode_response,
    encode_response_chunks,
    parse_request,
)

from .close_connection import CloseConnection
from .deferred_response import Deferred
from .handlers.api_versions import api_versions_body
from .request_context import RequestContext
from .security.session import Session

log = logging.getLogger("odradek.server")


async def dispatch(broker, frame, peer: str, listener: str, connection_id: str = "",
                   session: Session | None = None) -> list | Deferred | None:
    """The response as chunks for ``send_chunks`` (bytes, and log slices to sendfile), None for
    none, or a ``Deferred`` whose result is those chunks."""
    sasl = session.sasl if session is not None else None
    if sasl is not None and sasl.expects_raw_token:
        return sasl.raw_token(bytes(frame))
    try:
        header, request = parse_request(frame)
    except UnsupportedVersionError as exc:
        if exc.api_key == ApiKey.API_VERSIONS:
            return [_api_versions_fallback(broker, exc)]
        raise CloseConnection(
            f"unsupported API {exc.api_key} version {exc.api_version}"
        ) from None
    except DecodeError as exc:
        log.debug("malformed request frame from %s: %s", peer, bytes(frame).hex())
        raise CloseConnection(f"malformed request: {exc}") from None
    if broker.cut_off:
        raise CloseConnection("this broker is cut off from its cluster: its answers would be stale", quiet=True)
    if sasl is not None:
        sasl.check_request(header.api_key)
    route = broker.routes.get(header.api_key)
    if route is None or not route.accepts(header.api_version):
        raise CloseConnection(
            f"API {header.api_key} version {header.api_version} is not served"
        )
    ctx = RequestContext(broker, header, peer, listener, connection_id or peer, session)
    started = perf_counter()
    try:
        body = await route.handler(ctx, request)
    except CloseConnection:
        raise
    except Exception:
        log.exception("failed to handle API %s v%s from %s", header.api_key, header.api_version, peer)
        raise CloseConnection("internal error") from None
    if body is None:
        broker.stats.requests.served(header, started, len(frame), None, None)
        return None
    if isinstance(body, Deferred):
        return Deferred(partial(_finish, body, header, peer, broker, started, len(frame)))
    chunks = encode_response_chunks(header, body)
    broker.stats.requests.served(header, started, len(frame), body, chunks)
    return chunks


async def _finish(deferred: Deferred, header, peer: str, broker, started: float, size: int) -> list:
    try:
        body = await deferred.result()
    except Exception:
        log.exception("failed to handle API %s v%s from %s", header.api_key, header.api_version, peer)
        raise CloseConnection("internal error") from None
    chunks = encode_response_chunks(header, body)
    broker.stats.requests.served(header, started, size, body, chunks)
    return chunks


def _api_versions_fallback(broker, exc: UnsupportedVersionError) -> bytes:
    header = RequestHeader(ApiKey.API_VERSIONS, 0, exc.correlation_id, exc.client_id)
    return encode_response(header, api_versions_body(broker.routes, ErrorCode.UNSUPPORTED_VERSION))
