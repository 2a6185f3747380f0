"""SCRAM credentials in cluster mode: kept in ZooKeeper, as ZooKeeper-era Kafka keeps them.

A user's credentials are configs of the ``users`` entity, ``/config/users/<user>`` (the name
sanitized as Kafka's Sanitizer does), one per mechanism::

    {"version":1,"config":{"SCRAM-SHA-256":"salt=...,stored_key=...,server_key=...,iterations=4096"}}

Whoever changes them (AlterUserScramCredentials on any broker) writes the znode, keeping any other
config the user has (quotas), then announces it under ``/config/changes`` (entity
``users/<user>``); every broker reads the znode again and takes the new credentials, so a user
added through one broker can log in on all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import trio

from . import zk_data
from .config_changes import ConfigChanges, read_config, write_config
from .zk_client import ZkClient

log = logging.getLogger("odradek.cluster")

ENTITY_TYPE = "users"


class ZkScramStore:
    def __init__(self, zk: ZkClient, broker, changes: ConfigChanges):
        self.zk = zk
        self.broker = broker
        self._changes = changes
        changes.appliers[ENTITY_TYPE] = self._apply

    def load(self) -> dict[str, dict[str, str]]:
        """Every user's configs as ZooKeeper holds them (blocking: from a worker thread of the broker's)."""
        return trio.from_thread.run(self._read_all)

    async def _read_all(self) -> dict[str, dict[str, str]]:
        entities = await self.zk.children(zk_data.CONFIG_USERS)
        return {zk_data.user_of(entity): await read_config(self.zk, f"{zk_data.CONFIG_USERS}/{entity}")
                for entity in entities}

    async def read(self, user: str) -> dict[str, str]:
        return await read_config(self.zk, zk_data.user_config_path(user))

    async def save(self, user: str, configs: Mapping[str, str]) -> None:
        """Write the user's configs (none: delete its znode), and tell every broker."""
        path = zk_data.user_config_path(user)
        if configs:
            await write_config(self.zk, path, configs)
        else:
            await self.zk.delete(path)  # gone already: fine
        await self._changes.notify(ENTITY_TYPE, zk_data.user_entity(user))

    async def _apply(self, entity: str) -> None:
        user = zk_data.user_of(entity)
        configs = await read_config(self.zk, zk_data.user_config_path(user))
        self.broker.scram_credentials.reloaded(user, configs)
        log.info("User %s now has SCRAM credentials for %s", user,
                 ", ".join(sorted(k for k in configs if k.startswith("SCRAM-"))) or "no mechanism")
