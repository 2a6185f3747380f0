"""Client quotas in cluster mode: kept in ZooKeeper where ZooKeeper-era Kafka keeps them.

An entity's quotas are configs of its znode, in Kafka's layout (names sanitized as its Sanitizer
does, ``<default>`` for a default)::

    /config/clients/<client-id>                 {"version":1,"config":{"producer_byte_rate":"1024"}}
    /config/users/<user>                        (beside the user's SCRAM credentials, kept as they are)
    /config/users/<user>/clients/<client-id>

Whoever changes them (AlterClientQuotas on any broker) writes the znode and announces it under
``/config/changes`` (``clients/<client-id>``, ``users/<user>``, ``users/<user>/clients/<client-id>``);
every broker reads the znode again and holds its clients to the new quotas (``entity_configs``
does the ZooKeeper part, one store per entity type; an ip's quotas are ``/config/ips/<ip>``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import trio

from ..quotas.entities import CLIENT_KEYS, Entity, from_zk_path, keys_for, zk_path
from .config_changes import ConfigChanges
from .entity_configs import ZkEntityConfigStore
from .zk_client import ZkClient

log = logging.getLogger("odradek.cluster")

#: the entity types that hold quotas, and the one nested below each (a user's client ids)
ENTITY_TYPES = {"clients": None, "users": "clients", "ips": None}


class ZkQuotaStore:
    def __init__(self, zk: ZkClient, broker, changes: ConfigChanges):
        self.broker = broker
        self._stores = {entity_type: ZkEntityConfigStore(
            zk, changes, entity_type, self._applied, nested=nested,
            znode_name=lambda entity: zk_path(entity).partition("/")[2],
            key_of=lambda name, entity_type=entity_type: from_zk_path(f"{entity_type}/{name}"))
            for entity_type, nested in ENTITY_TYPES.items()}

    def load(self) -> dict[Entity, dict[str, float]]:
        """Every entity's quotas as ZooKeeper holds them (blocking: from a worker thread of the broker's)."""
        return trio.from_thread.run(self._read_all)

    async def _read_all(self) -> dict[Entity, dict[str, float]]:
        found: dict[Entity, dict[str, float]] = {}
        for store in self._stores.values():
            for entity, configs in (await store.read_all()).items():
                quotas = _quotas(entity, configs)
                if quotas:
                    found[entity] = quotas
        return found

    async def save(self, entity: Entity, configs: Mapping[str, float]) -> None:
        """Write the entity's quotas (keeping the SCRAM credentials of a user), and tell every broker."""
        store = self._stores[zk_path(entity).partition("/")[0]]
        kept = {k: v for k, v in (await store.read(entity)).items() if k not in keys_for(entity)}
        await store.save(entity, {**kept, **{k: _text(k, v) for k, v in configs.items()}})

    def _applied(self, entity: Entity, configs: Mapping[str, str]) -> None:
        quotas = _quotas(entity, configs)
        if self.broker.client_quotas.quotas.get(entity, {}) != quotas:
            self.broker.client_quotas.reloaded(entity, quotas)


def _quotas(entity: Entity, configs: Mapping[str, str]) -> dict[str, float]:
    """The quota configs among a znode's configs (a user's also holds its SCRAM credentials)."""
    found = {}
    for key in keys_for(entity):
        if key in configs:
            try:
                found[key] = float(configs[key])
            except ValueError:
                log.warning("Ignoring quota %s=%r of %s: not a number", key, configs[key], entity)
    return found


def _text(key: str, value: float) -> str:
    """As Kafka's tools wrote them: ``1024`` for a byte rate, ``50.0`` for a percentage."""
    return str(int(value)) if CLIENT_KEYS.get(key) else repr(float(value))
