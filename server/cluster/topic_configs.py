"""Topic configs in cluster mode: kept in ZooKeeper, and applied by every broker that hosts the topic.

As in Kafka, a topic's overrides live in ``/config/topics/<topic>``; whoever changes them
(AlterConfigs on any broker) announces it (``config_changes``), and every broker re-reads the
topic's configs and applies them to the replicas it hosts (``entity_configs`` does the ZooKeeper
part: ``write`` replaces the overrides and tells every broker, ``write(..., notify=False)`` tells
no one, for a topic no broker hosts yet).
"""

from __future__ import annotations

import logging

from odradek.storage.errors import StorageError

from .config_changes import ConfigChanges
from .entity_configs import ZkEntityConfigStore
from .zk_client import ZkClient

log = logging.getLogger("odradek.cluster")

ENTITY_TYPE = "topics"


class TopicConfigs(ZkEntityConfigStore[str]):
    def __init__(self, zk: ZkClient, broker, changes: ConfigChanges):
        super().__init__(zk, changes, ENTITY_TYPE, self._applied)
        self.broker = broker

    def _applied(self, topic: str, configs: dict[str, str]) -> None:
        logs = self.broker.logs
        if logs.get_topic(topic) is None:
            return  # no replica of it here
        try:
            logs.alter_topic_configs(topic, configs)
        except StorageError as exc:  # invalid with this broker's own settings: the old ones stay
            log.warning("Ignoring the new configs %s of topic %s: %s", configs, topic, exc)
            return
        log.info("Applied new configs of topic %s: %s", topic, configs)
