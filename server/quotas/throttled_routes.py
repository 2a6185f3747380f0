"""The broker's routes with client quota accounting, put in place only while some quota that needs
it is configured: without one they are the plain handlers, and cost nothing extra.

Byte rates, as Kafka's KafkaApis does: a Produce counts its record bytes against the producer's
quota after the append; a consumer's Fetch is first capped at what the quota window allows
(Kafka's ``maxValueInQuotaWindow``), then counts the bytes it returns, and, when that breaks the
quota, is answered empty (the bytes taken back) so the consumer asks again later. A follower's
fetch (replication) is not counted.

Request time (``request_percentage``, KIP-124): every request's handling time
(``request_time.RequestClock``) is counted against the client's quota, and a request that takes
the client over it is throttled for at most one quota window. A Produce or Fetch throttled by
either quota gets the larger throttle time, and a Fetch throttled by either is answered empty.
As in Kafka, a cluster action (the inter-broker APIs, when the principal may CLUSTER_ACTION) and
a follower's fetch are exempt, and authentication requests (which Kafka's authenticator handles
before its request handlers) are neither counted nor throttled.

Either way the answer carries ``throttle_time_ms`` and the connection is muted for that long
(KIP-219): it reads no further request from the client until then.
"""

from __future__ import annotations

import trio

from odradek.wire import ApiKey, ErrorCode

from ..deferred_response import Deferred
from ..routes import CLUSTER_ACTION_KEYS
from ..security.acl.codes import AclOperation
from .request_time import SECONDS_TO_PERCENTAGE

#: handled by Kafka's SASL authenticator, not its request handlers
_NOT_COUNTED = frozenset({ApiKey.SASL_HANDSHAKE, ApiKey.SASL_AUTHENTICATE})


def install(broker, plain_routes: dict) -> None:
    """Point the broker's routes at the counting handlers, or back at the plain ones."""
    quotas = broker.client_quotas
    if not quotas.request.enabled:
        quotas.clock.uninstall()
    if not quotas.enforcing:
        broker.routes = plain_routes
        return
    routes = dict(plain_routes)
    if quotas.request.enabled:
        for api_key, route in plain_routes.items():
            if api_key in _NOT_COUNTED or api_key in (ApiKey.PRODUCE, ApiKey.FETCH):
                continue
            exempt = api_key in CLUSTER_ACTION_KEYS
            routes[api_key] = route.wrapped(lambda handle, exempt=exempt: _timed(handle, exempt))
    for api_key, wrap in ((ApiKey.PRODUCE, _produce), (ApiKey.FETCH, _fetch)):
        route = plain_routes.get(api_key)
        if route is not None:
            routes[api_key] = route.wrapped(wrap)
    broker.routes = routes


def _who(ctx) -> tuple[str, str]:
    return ctx.principal.name, ctx.header.client_id or ""


def _mute(ctx, throttle_ms: int) -> None:
    session = ctx.session
    if session is not None:
        session.muted_until = max(session.muted_until, trio.current_time() + throttle_ms / 1000)


async def _run(ctx, handle, request):
    """(answer, request-time throttle ms): the handler timed while a request quota is set."""
    quotas = ctx.broker.client_quotas
    if not quotas.request.enabled:
        return await handle(ctx, request), 0
    body, seconds = await quotas.clock.run(handle, ctx, request)
    user, client_id = _who(ctx)
    throttle_ms = quotas.request.record(user, client_id, seconds * SECONDS_TO_PERCENTAGE)
    return body, min(throttle_ms, quotas.max_request_throttle_ms)


def _with_throttle(body, throttle_ms: int):
    """The answer (or deferred answer) carrying ``throttle_ms`` (or a larger one it has already)."""
    if body is None or not throttle_ms:
        return body
    if isinstance(body, Deferred):
        async def finish():
            answer = await body.result()
            answer["throttle_time_ms"] = max(answer.get("throttle_time_ms") or 0, throttle_ms)
            return answer
        return Deferred(finish)
    body["throttle_time_ms"] = max(body.get("throttle_time_ms") or 0, throttle_ms)
    return body


def _timed(handle, cluster_action: bool):
    async def timed(ctx, request):
        if cluster_action and ctx.authorize_cluster(AclOperation.CLUSTER_ACTION):
            return await handle(ctx, request)  # exempt, as Kafka's sendResponseExemptThrottle
        body, throttle_ms = await _run(ctx, handle, request)
        if throttle_ms:
            _mute(ctx, throttle_ms)
        return _with_throttle(body, throttle_ms)
    return timed


def _produce(handle):
    async def produce(ctx, request):
        body, request_throttle_ms = await _run(ctx, handle, request)
        throttle_ms = request_throttle_ms
        manager = ctx.broker.client_quotas.produce
        if manager.enabled:
            size = sum(len(part.records or b"") for topic in request.topic_data for part in topic.partition_data)
            user, client_id = _who(ctx)
            throttle_ms = max(throttle_ms, manager.record(user, client_id, size))
        if throttle_ms:
            _mute(ctx, throttle_ms)
        return _with_throttle(body, throttle_ms)
    return produce


def _fetch(handle):
    from ..handlers.fetch import _replica_id  # the handler module, imported when quotas are first set

    async def fetch(ctx, request):
        quotas = ctx.broker.client_quotas
        if _replica_id(ctx, request) >= 0:
            return await handle(ctx, request)  # a follower's: exempt
        manager = quotas.fetch
        user, client_id = _who(ctx)
        if manager.enabled:
            window = manager.max_value_in_window(user, client_id)
            if window is not None and request.max_bytes > window:
                request.max_bytes = max(int(window), 1)
        body, request_throttle_ms = await _run(ctx, handle, request)
        if body.get("error_code", ErrorCode.NONE) != ErrorCode.NONE:
            return _with_throttle(body, request_throttle_ms)
        byte_throttle_ms = size = 0
        if manager.enabled:
            size = sum(len(p["records"] or b"") for topic in body["responses"] for p in topic["partitions"])
            byte_throttle_ms = manager.record(user, client_id, size)
        throttle_ms = max(byte_throttle_ms, request_throttle_ms)
        if not throttle_ms:
            return body
        if size:
            manager.unrecord(user, client_id, size)
        _mute(ctx, throttle_ms)
        return {"throttle_time_ms": throttle_ms, "error_code": ErrorCode.NONE, "session_id": 0, "responses": []}
    return fetch
