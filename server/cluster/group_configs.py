"""Group configs in cluster mode: kept in ZooKeeper, and known to every broker.

Any broker may coordinate a group, so every broker keeps every group's configs in memory
(``DynamicGroupConfigs``), read from ``/config/groups/<group>`` when it starts. Whoever changes a
group's configs (IncrementalAlterConfigs on any broker) writes that znode, or deletes it when the
group sets nothing any more, then announces it (``config_changes``, entity ``groups/<group>``),
as topic configs are; each broker reads the znode again and takes the new configs
(``entity_configs`` does the ZooKeeper part).

The znodes are read once the broker has joined the cluster, in the worker thread that opens its
storage (``Broker.open_storage``), so ``load`` reaches ZooKeeper through the event loop.
"""

from __future__ import annotations

import logging

from . import zk_data
from .config_changes import ConfigChanges
from .entity_configs import ZkEntityConfigStore
from .zk_client import ZkClient

log = logging.getLogger("odradek.cluster")

ENTITY_TYPE = "groups"


class ZkGroupConfigStore(ZkEntityConfigStore[str]):
    def __init__(self, zk: ZkClient, broker, changes: ConfigChanges):
        super().__init__(zk, changes, ENTITY_TYPE, self._applied,
                         znode_name=zk_data.group_entity, key_of=zk_data.group_id_of)
        self.broker = broker

    def _applied(self, group_id: str, configs: dict[str, str]) -> None:
        self.broker.group_configs.reloaded(group_id, configs)
        log.info("Group %s now has the configs %s", group_id, configs)
