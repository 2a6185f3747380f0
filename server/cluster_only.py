"""What handlers of cluster-only APIs share: finding the cluster member, and the controller; and
the route of the APIs only the controller serves, which other brokers forward to it.

Inter-broker APIs (LeaderAndIsr, UpdateMetadata, ...) are served only in cluster mode; a single
broker closes a connection that sends one, as Kafka closes one that sends an API it does not
serve. Requests for the controller run as one of its events; on a broker that is not the
controller they get NOT_CONTROLLER, which the sender handles (brokers retry at the controller
the metadata names).
"""

from __future__ import annotations

from odradek.wire import ErrorCode
from odradek.wire.apis import API_BY_KEY

from .close_connection import CloseConnection
from .security.acl.codes import AclOperation


def require_cluster(ctx):
    member = ctx.broker.cluster
    if member is None:
        raise CloseConnection(f"API {ctx.header.api_key} is only served in cluster mode")
    return member


async def controller_call(ctx, action):
    """``action(controller)`` run as a controller event; its result, or an error code int."""
    from .controller.controller import NotController

    controller = require_cluster(ctx).controller
    if controller is None:
        return ErrorCode.NOT_CONTROLLER
    try:
        return await controller.call(lambda: action(controller))
    except NotController:
        return ErrorCode.NOT_CONTROLLER


def to_controller(handler, operation: AclOperation):
    """The cluster-mode route handler of an API only the controller serves (``cluster.forwarding``).
    The client's principal is checked here, before forwarding: the controller sees the forwarding
    broker's principal (a super user on a SASL inter-broker listener), not the client's, so a
    refused client is answered by ``handler`` here, with its authorization error."""

    async def route(ctx, request):
        from .cluster.forwarding import serve_or_forward

        if not ctx.authorize_cluster(operation):
            return await handler(ctx, request)
        return await serve_or_forward(ctx, request, handler)

    return route


def cluster_action_only(module):
    """The route handler of an inter-broker API: CLUSTER_AUTHORIZATION_FAILED unless the principal
    may CLUSTER_ACTION (the module's ``refused(request)`` answer, else its top-level error)."""
    handle = module.handle

    async def guarded(ctx, request):
        if ctx.authorize_cluster(AclOperation.CLUSTER_ACTION):
            return await handle(ctx, request)
        refused = getattr(module, "refused", None)
        if refused is not None:
            return refused(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
        return _top_level_error(module.API_KEY, ErrorCode.CLUSTER_AUTHORIZATION_FAILED)

    return guarded


def _top_level_error(api_key: int, code: ErrorCode) -> dict:
    body = {}
    for field in API_BY_KEY[api_key].response.fields:
        if field.name == "error_code":
            body["error_code"] = code
        elif field.type.startswith("[]"):
            body[field.name] = []
        elif field.name == "throttle_time_ms":
            body[field.name] = 0
    return body
