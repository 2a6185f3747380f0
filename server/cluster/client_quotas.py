"""Client quotas in cluster mode: kept in ZooKeeper where ZooKeeper-era Kafka keeps them.

An entity's quotas are configs of its znode, in Kafka's layout (names sanitized as its Sanitizer
does, ``<default>`` for a default)::

    /config/clients/<client-id>                 {"version":1,"config":{"producer_byte_rate":"1024"}}
    /config/users/<user>                        (beside the user's SCRAM credentials, kept as they are)
    /config/users/<user>/clients/<client-id>

Whoever changes them (AlterClientQuotas on any broker) writes the znode and announces it under
``/config/changes`` (``clients/<client-id>``, ``users/<user>``, ``users/<user>/clients/<client-id>``);
every broker reads the znode again and holds its clients to the new quotas.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import trio

from ..quotas.entities import CLIENT_ID, CLIENT_KEYS, USER, Entity, from_zk_path, keys_for, zk_path
from .config_changes import ConfigChanges, read_config, write_config
from .zk_client import ZkClient

log = logging.getLogger("odradek.cluster")

CONFIG = "/config"


class ZkQuotaStore:
    def __init__(self, zk: ZkClient, broker, changes: ConfigChanges):
        self.zk = zk
        self.broker = broker
        self._changes = changes
        changes.appliers["clients"] = self._apply_clients
        earlier_users = changes.appliers.get("users")  # SCRAM credentials share the users' znodes

        async def apply_users(name: str) -> None:
            if earlier_users is not None and "/" not in name:
                await earlier_users(name)
            await self._apply(f"users/{name}")

        changes.appliers["users"] = apply_users

    def load(self) -> dict[Entity, dict[str, float]]:
        """Every entity's quotas as ZooKeeper holds them (blocking: from a worker thread of the broker's)."""
        return trio.from_thread.run(self._read_all)

    async def _read_all(self) -> dict[Entity, dict[str, float]]:
        found: dict[Entity, dict[str, float]] = {}
        paths = [f"clients/{client}" for client in await self.zk.children(f"{CONFIG}/clients")]
        for user in await self.zk.children(f"{CONFIG}/users"):
            paths.append(f"users/{user}")
            paths += [f"users/{user}/clients/{client}"
                      for client in await self.zk.children(f"{CONFIG}/users/{user}/clients")]
        for path in paths:
            entity = from_zk_path(path)
            configs = _quotas(entity, await read_config(self.zk, f"{CONFIG}/{path}"))
            if configs:
                found[entity] = configs
        return found

    async def save(self, entity: Entity, configs: Mapping[str, float]) -> None:
        """Write the entity's quotas (keeping the SCRAM credentials of a user), and tell every broker."""
        path = zk_path(entity)
        znode = f"{CONFIG}/{path}"
        kept = {k: v for k, v in (await read_config(self.zk, znode)).items() if k not in keys_for(entity)}
        written = {**kept, **{k: _text(k, v) for k, v in configs.items()}}
        if written or await self.zk.children(znode):
            await write_config(self.zk, znode, written)
        else:
            await self.zk.delete(znode)  # gone already: fine
        entity_type, _, name = path.partition("/")
        await self._changes.notify(entity_type, name)

    async def _apply_clients(self, name: str) -> None:
        await self._apply(f"clients/{name}")

    async def _apply(self, path: str) -> None:
        try:
            entity = from_zk_path(path)
        except (ValueError, KeyError):
            log.warning("Ignoring a config change of %s: not a client quota entity", path)
            return
        configs = _quotas(entity, await read_config(self.zk, f"{CONFIG}/{path}"))
        quotas = self.broker.client_quotas
        if quotas.quotas.get(entity, {}) != configs:
            quotas.reloaded(entity, configs)


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
