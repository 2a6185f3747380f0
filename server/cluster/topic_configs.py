"""Topic configs in cluster mode: kept in ZooKeeper, and applied by every broker that hosts the topic.

As in Kafka, a topic's overrides live in ``/config/topics/<topic>``; whoever changes them
(AlterConfigs on any broker) announces it (``config_changes``), and every broker re-reads the
topic's configs and applies them to the replicas it hosts.
"""

from __future__ import annotations

import logging

from odradek.storage.errors import StorageError

from . import zk_data
from .config_changes import ConfigChanges, read_config, write_config
from .zk_client import ZkClient

log = logging.getLogger("odradek.cluster")

ENTITY_TYPE = "topics"


class TopicConfigs:
    def __init__(self, zk: ZkClient, broker, changes: ConfigChanges):
        self.zk = zk
        self.broker = broker
        self._changes = changes
        changes.appliers[ENTITY_TYPE] = self._apply

    async def read(self, topic: str) -> dict[str, str]:
        return await read_config(self.zk, zk_data.topic_config_path(topic))

    async def write(self, topic: str, configs: dict[str, str]) -> None:
        """Replace a topic's overrides and tell every broker (Kafka's AdminZkClient.changeTopicConfig)."""
        await self.write_quietly(topic, configs)
        await self._changes.notify(ENTITY_TYPE, topic)

    async def write_quietly(self, topic: str, configs: dict[str, str]) -> None:
        """Replace a topic's overrides without a notification (a topic no broker hosts yet)."""
        await write_config(self.zk, zk_data.topic_config_path(topic), configs)

    async def _apply(self, topic: str) -> None:
        configs = await self.read(topic)
        logs = self.broker.logs
        if logs.get_topic(topic) is None:
            return  # no replica of it here
        try:
            logs.alter_topic_configs(topic, configs)
        except StorageError as exc:  # invalid with this broker's own settings: the old ones stay
            log.warning("Ignoring the new configs %s of topic %s: %s", configs, topic, exc)
            return
        log.info("Applied new configs of topic %s: %s", topic, configs)
