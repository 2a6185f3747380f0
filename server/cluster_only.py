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

from .close_connection import CloseConnection


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


def to_controller(handler):
    """The cluster-mode route handler of an API only the controller serves (``cluster.forwarding``)."""

    async def route(ctx, request):
        from .cluster.forwarding import serve_or_forward

        return await serve_or_forward(ctx, request, handler)

    return route
