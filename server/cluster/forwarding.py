"""Requests only the controller can answer, sent on by any other broker that receives them.

Admin clients send reassignments and elections to the broker Metadata names as controller, but
that can change under them. Rather than answer NOT_CONTROLLER and make them retry, a broker that
is not the controller forwards the request, unchanged and at the same version, to the one that
is, and relays its answer (as KRaft-era brokers forward to theirs). A forwarded request is never
forwarded again (its client id says it was): a broker that receives one but is not the
controller (it just lost the role) answers NOT_CONTROLLER, and the client retries. So does a
broker that knows of no controller, or cannot reach it.
"""

from __future__ import annotations

import trio

from odradek.wire import ErrorCode

from .broker_channel import BrokerConnection, BrokerUnavailable

FORWARDER_SUFFIX = "-forwarder"


class NoController(Exception):
    """No controller is known, or it could not be reached: the client should retry."""

    code = ErrorCode.NOT_CONTROLLER


def was_forwarded(client_id: str | None) -> bool:
    """Whether a request came from another broker's forwarder."""
    return bool(client_id) and client_id.startswith("broker-") and client_id.endswith(FORWARDER_SUFFIX)


async def serve_or_forward(ctx, request, handler):
    """For an API only the controller serves: ``handler`` answers here when this broker is the
    controller (or the request was forwarded to it already: it then answers NOT_CONTROLLER
    itself); otherwise the request goes to the controller, and its answer is ours."""
    member = ctx.broker.cluster
    if member.controller is None and not was_forwarded(ctx.header.client_id):
        try:
            return await member.forwarder.forward(ctx.header.api_key, ctx.header.api_version, request,
                                                  getattr(request, "timeout_ms", None))
        except NoController:
            pass  # the handler answers NOT_CONTROLLER (unless this broker just became it)
    return await handler(ctx, request)


class Forwarder:
    def __init__(self, member):
        self.member = member
        self._connection = BrokerConnection(-1, f"broker-{member.broker_id}{FORWARDER_SUFFIX}",
                                            member.config.controller_socket_timeout_ms / 1000,
                                            member.config.inter_broker_security)
        self._lock = trio.Lock()

    async def forward(self, api_key: int, version: int, request, timeout_ms: int | None = None):
        """The controller's answer to ``request``; NoController if there is none to ask."""
        member = self.member
        controller = member.metadata.controller_id
        if controller == member.broker_id:  # the cache is behind: this broker no longer is
            raise NoController()
        endpoint = member.metadata.endpoint(controller, member.listener)
        if endpoint is None:
            raise NoController()
        timeout_s = member.config.controller_socket_timeout_ms / 1000
        if timeout_ms is not None:
            timeout_s = max(timeout_s, timeout_ms / 1000 + 5)
        async with self._lock:  # one connection: requests go one at a time, each to the current controller
            self._connection.point_at(endpoint.host, endpoint.port)
            try:
                return await self._connection.request(api_key, version, request, timeout_s=timeout_s)
            except BrokerUnavailable:
                raise NoController() from None

    async def aclose(self) -> None:
        await self._connection.aclose()
