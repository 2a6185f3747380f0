"""Connections to the other brokers by broker id, on the inter-broker listener: what a
coordinator uses to reach the brokers that lead or coordinate what it needs (WriteTxnMarkers to a
partition's leader, AddPartitionsToTxn to a transactional id's coordinator).

The address is looked up in the metadata at each request, so a broker that re-registered
elsewhere is followed; a broker the metadata does not list as alive is BrokerUnavailable at once.
Each peer has one ``BrokerConnection``: requests to it go one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping

from construct import Container

from .broker_channel import BrokerConnection, BrokerUnavailable


class Peers:
    def __init__(self, broker, purpose: str, timeout_s: float):
        self._broker = broker
        self._client_id = f"broker-{broker.config.node_id}-{purpose}"
        self._timeout_s = timeout_s
        self._connections: dict[int, BrokerConnection] = {}

    async def request(self, broker_id: int, api_key: int, version: int, body: Mapping,
                      timeout_s: float | None = None) -> Container:
        listener = self._broker.config.listener_config.inter_broker
        endpoint = self._broker.metadata.endpoint(broker_id, listener)
        if endpoint is None:
            raise BrokerUnavailable(f"broker {broker_id} is not alive on listener {listener}")
        connection = self._connections.get(broker_id)
        if connection is None:
            connection = self._connections[broker_id] = BrokerConnection(broker_id, self._client_id, self._timeout_s,
                                                                         self._broker.config.inter_broker_security)
        connection.point_at(endpoint.host, endpoint.port)
        return await connection.request(api_key, version, body, timeout_s)

    async def aclose(self) -> None:
        connections, self._connections = self._connections, {}
        for connection in connections.values():
            await connection.aclose()
