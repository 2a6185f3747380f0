"""Produce and Fetch with client quota accounting, in the broker's routes only while a byte-rate
quota is configured: without one they are the plain handlers, and cost nothing extra.

As Kafka's KafkaApis does: a Produce counts its record bytes against the producer's quota after
the append; a consumer's Fetch is first capped at what the quota window allows (Kafka's
``maxValueInQuotaWindow``), then counts the bytes it returns, and, when that breaks the quota, is
answered empty (the bytes taken back) so the consumer asks again later. Either way the answer
carries ``throttle_time_ms`` and the connection is muted for that long (KIP-219): it reads no
further request from the client until then. A follower's fetch (replication) is not counted.
"""

from __future__ import annotations

import dataclasses

import trio

from odradek.wire import ApiKey, ErrorCode

from ..deferred_response import Deferred
from ..handlers.fetch import _replica_id


def install(broker, plain_routes: dict) -> None:
    """Point the broker's Produce/Fetch routes at the counting handlers, or back at the plain ones."""
    quotas = broker.client_quotas
    if not quotas.enforcing:
        broker.routes = plain_routes
        return
    routes = dict(plain_routes)
    for api_key, wrap in ((ApiKey.PRODUCE, _produce), (ApiKey.FETCH, _fetch)):
        route = plain_routes.get(api_key)
        if route is not None:
            routes[api_key] = dataclasses.replace(route, handler=wrap(route.handler))
    broker.routes = routes


def _who(ctx) -> tuple[str, str]:
    return ctx.principal.name, ctx.header.client_id or ""


def _mute(ctx, throttle_ms: int) -> None:
    session = ctx.session
    if session is not None:
        session.muted_until = max(session.muted_until, trio.current_time() + throttle_ms / 1000)


def _produce(handle):
    async def produce(ctx, request):
        body = await handle(ctx, request)
        manager = ctx.broker.client_quotas.produce
        if not manager.enabled:
            return body
        size = sum(len(part.records or b"") for topic in request.topic_data for part in topic.partition_data)
        user, client_id = _who(ctx)
        throttle_ms = manager.record(user, client_id, size)
        if throttle_ms:
            _mute(ctx, throttle_ms)
        if body is None or not throttle_ms:
            return body
        if isinstance(body, Deferred):
            async def finish():
                answer = await body.result()
                answer["throttle_time_ms"] = throttle_ms
                return answer
            return Deferred(finish)
        body["throttle_time_ms"] = throttle_ms
        return body
    return produce


def _fetch(handle):
    async def fetch(ctx, request):
        manager = ctx.broker.client_quotas.fetch
        if not manager.enabled or _replica_id(ctx, request) >= 0:
            return await handle(ctx, request)
        user, client_id = _who(ctx)
        window = manager.max_value_in_window(user, client_id)
        if window is not None and request.max_bytes > window:
            request.max_bytes = max(int(window), 1)
        body = await handle(ctx, request)
        if body.get("error_code", ErrorCode.NONE) != ErrorCode.NONE:
            return body
        size = sum(len(p["records"] or b"") for topic in body["responses"] for p in topic["partitions"])
        throttle_ms = manager.record(user, client_id, size)
        if not throttle_ms:
            return body
        manager.unrecord(user, client_id, size)
        _mute(ctx, throttle_ms)
        return {"throttle_time_ms": throttle_ms, "error_code": ErrorCode.NONE, "session_id": 0, "responses": []}
    return fetch

