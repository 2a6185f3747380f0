"""Requests only the controller can answer, sent on by any other broker that receives them.

Admin clients send topic creation, deletion, reassignments and elections to the broker Metadata
names as controller, but that can change under them. Rather than answer NOT_CONTROLLER and make
them retry, a broker that is not the controller forwards the request, unchanged and at the same
version, to the one that is, and relays its answer (as KRaft-era brokers forward to theirs).
"""

from __future__ import annotations

import trio

from odradek.wire import ErrorCode

from .broker_channel import BrokerConnection, BrokerUnavailable


class NoController(Exception):
    """No controller is known, or it could not be reached: the client should retry."""

    code = ErrorCode.NOT_CONTROLLER


class Forwarder:
    def __init__(self, member):
        self.member = member
        self._connection = BrokerConnection(-1, f"broker-{member.broker_id}-forwarder",
                                            member.config.controller_socket_timeout_ms / 1000)
        self._lock = trio.Lock()

    async def forward(self, api_key: int, version: int, request, timeout_ms: int | None = None):
        member = self.member
        controller = member.metadata.controller_id
        endpoint = member.metadata.endpoint(controller, member.listener)
        if endpoint is None:
            raise NoController()
        self._connection.point_at(endpoint.host, endpoint.port)
        timeout_s = member.config.controller_socket_timeout_ms / 1000
        if timeout_ms is not None:
            timeout_s = max(timeout_s, timeout_ms / 1000 + 5)
        try:
            return await self._connection.request(api_key, version, request, timeout_s=timeout_s)
        except BrokerUnavailable:
            raise NoController() from None
