"""Group configs in cluster mode: kept in ZooKeeper, and known to every broker.

Any broker may coordinate a group, so every broker keeps every group's configs in memory
(``DynamicGroupConfigs``), read from ``/config/groups/<group>`` when it starts. Whoever changes a
group's configs (IncrementalAlterConfigs on any broker) writes that znode, or deletes it when the
group sets nothing any more, then announces it (``config_changes``, entity ``groups/<group>``),
as topic configs are; each broker reads the znode again and takes the new configs.

The znodes are read once the broker has joined the cluster, in the worker thread that opens its
storage (``Broker.open_storage``), so ``load`` reaches ZooKeeper through the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import trio

from . import zk_data
from .config_changes import ConfigChanges, read_config, write_config
from .zk_client import ZkClient

log = logging.getLogger("odradek.cluster")

ENTITY_TYPE = "groups"


class ZkGroupConfigStore:
    def __init__(self, zk: ZkClient, broker, changes: ConfigChanges):
        self.zk = zk
        self.broker = broker
        self._changes = changes
        changes.appliers[ENTITY_TYPE] = self._apply

    def load(self) -> dict[str, dict[str, str]]:
        """Every group's configs as ZooKeeper holds them (blocking: from a worker thread of the broker's)."""
        return trio.from_thread.run(self._read_all)

    async def _read_all(self) -> dict[str, dict[str, str]]:
        entities = await self.zk.children(zk_data.CONFIG_GROUPS)
        groups = {zk_data.group_id_of(entity): await read_config(self.zk, f"{zk_data.CONFIG_GROUPS}/{entity}")
                  for entity in entities}
        return {group: configs for group, configs in groups.items() if configs}

    async def read(self, group_id: str) -> dict[str, str]:
        return await read_config(self.zk, zk_data.group_config_path(group_id))

    async def save(self, group_id: str, configs: Mapping[str, str]) -> None:
        """Write the group's configs (none: delete its znode), and tell every broker."""
        path = zk_data.group_config_path(group_id)
        if configs:
            await write_config(self.zk, path, configs)
        else:
            await self.zk.delete(path)  # gone already: fine
        await self._changes.notify(ENTITY_TYPE, zk_data.group_entity(group_id))

    async def _apply(self, entity: str) -> None:
        group_id = zk_data.group_id_of(entity)
        configs = await read_config(self.zk, zk_data.group_config_path(group_id))
        self.broker.group_configs.reloaded(group_id, configs)
        log.info("Group %s now has the configs %s", group_id, configs)
