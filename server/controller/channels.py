"""The controller's connections to the live brokers: one sender task and queue per broker.

Requests to one broker go out in the order the controller made them, one at a time (Kafka's
RequestSendThread), so a broker sees its roles change in the controller's order. A request that
fails is retried after a short back-off for as long as that broker is registered: a broker that
is alive must eventually hear every decision about it. Answers are passed to the request's
callback, which runs in the sender task; callbacks only queue events for the controller.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import trio

from ..cluster.broker_channel import BrokerConnection, BrokerUnavailable
from ..cluster.zk_data import BrokerRegistration
from ..security.inter_broker import InterBrokerSecurity

log = logging.getLogger("odradek.controller")

RETRY_BACKOFF_S = 0.1


@dataclass
class _Request:
    api_key: int
    version: int
    body: Mapping
    on_response: Callable[[object], None] | None


class _Sender:
    def __init__(self, registration: BrokerRegistration, listener: str, client_id: str, timeout_s: float,
                 security: InterBrokerSecurity | None = None):
        self.registration = registration
        self.connection = BrokerConnection(registration.broker_id, client_id, timeout_s, security)
        self.listener = listener
        self._point(registration)
        self.queue_in, self.queue_out = trio.open_memory_channel(math.inf)
        self.cancel_scope = trio.CancelScope()

    def _point(self, registration: BrokerRegistration) -> None:
        endpoint = registration.endpoint(self.listener)
        if endpoint is not None:
            self.connection.point_at(endpoint.host, endpoint.port)

    async def run(self) -> None:
        with self.cancel_scope:
            try:
                async for request in self.queue_out:
                    await self._deliver(request)
            finally:
                await self.connection.aclose()

    async def _deliver(self, request: _Request) -> None:
        while True:
            try:
                response = await self.connection.request(request.api_key, request.version, request.body)
            except BrokerUnavailable as exc:
                log.debug("controller request to broker %d failed, retrying: %s", self.registration.broker_id, exc)
                await trio.sleep(RETRY_BACKOFF_S)
                continue
            if request.on_response is not None:
                request.on_response(response)
            return


class ControllerChannels:
    def __init__(self, nursery: trio.Nursery, listener: str, client_id: str, timeout_s: float,
                 security: InterBrokerSecurity | None = None):
        self._nursery = nursery
        self._listener = listener
        self._client_id = client_id
        self._timeout_s = timeout_s
        self._security = security  # TLS and SASL towards the brokers, if their listener has either
        self._senders: dict[int, _Sender] = {}

    def add_broker(self, registration: BrokerRegistration) -> None:
        """Start talking to a broker (again, when it re-registered: a new sender, a new queue)."""
        self.remove_broker(registration.broker_id)
        sender = _Sender(registration, self._listener, self._client_id, self._timeout_s, self._security)
        self._senders[registration.broker_id] = sender
        self._nursery.start_soon(sender.run)

    def remove_broker(self, broker_id: int) -> None:
        sender = self._senders.pop(broker_id, None)
        if sender is not None:
            sender.queue_in.close()
            sender.cancel_scope.cancel()

    def send(self, broker_id: int, api_key: int, version: int, body: Mapping,
             on_response: Callable[[object], None] | None = None) -> None:
        sender = self._senders.get(broker_id)
        if sender is None:
            return  # not live: it will get the whole state when it registers again
        sender.queue_in.send_nowait(_Request(api_key, version, body, on_response))

    def close(self) -> None:
        for broker_id in list(self._senders):
            self.remove_broker(broker_id)
