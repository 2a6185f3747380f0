"""Topic configs in cluster mode: kept in ZooKeeper, and applied by every broker that hosts the topic.

As in Kafka, a topic's overrides live in ``/config/topics/<topic>``, and whoever changes them
(AlterConfigs on any broker) then adds a sequential notification under ``/config/changes``
naming the topic. Every broker watches the notifications and re-reads the configs of the topics
they name, applying them to the replicas it hosts. Notifications older than 15 minutes are
removed, as Kafka's listener does, so they do not pile up.
"""

from __future__ import annotations

import logging
import time

import trio

from . import zk_data
from .zk_client import KazooException, NoNodeError, ZkClient

log = logging.getLogger("odradek.cluster")

NOTIFICATION_EXPIRY_MS = 15 * 60 * 1000


class TopicConfigWatcher:
    def __init__(self, zk: ZkClient, broker):
        self.zk = zk
        self.broker = broker
        self._last_seen: str | None = None  # the newest notification already handled
        self._changed = trio.Event()

    async def read(self, topic: str) -> dict[str, str]:
        found = await self.zk.get(zk_data.topic_config_path(topic))
        return zk_data.decode_config(found[0] if found else None)

    async def write(self, topic: str, configs: dict[str, str]) -> None:
        """Replace a topic's overrides and tell every broker (Kafka's AdminZkClient.changeTopicConfig)."""
        await self.write_quietly(topic, configs)
        await self.zk.create(f"{zk_data.CONFIG_CHANGES}/{zk_data.CONFIG_CHANGE_PREFIX}",
                             zk_data.encode_config_change("topics", topic), sequence=True)

    async def write_quietly(self, topic: str, configs: dict[str, str]) -> None:
        """Replace a topic's overrides without a notification (a topic no broker hosts yet)."""
        path = zk_data.topic_config_path(topic)
        data = zk_data.encode_config(configs)
        try:
            await self.zk.set(path, data)
        except NoNodeError:
            await self.zk.create(path, data, makepath=True)

    async def run(self) -> None:
        """Apply the changes the notifications name (across sessions)."""
        while True:
            await self._changed.wait()
            self._changed = trio.Event()
            try:
                await self._process()
            except KazooException as exc:  # the session or connection went: the next one retries
                log.warning("Config change notifications wait for ZooKeeper: %s", type(exc).__name__)

    async def watch_session(self) -> None:
        """Within one session: arm the watch on /config/changes (re-armed at each change)."""
        if self._last_seen is None:  # the first session: what came before is already in effect
            existing = await self.zk.children(zk_data.CONFIG_CHANGES)
            self._last_seen = existing[-1] if existing else ""
        self._changed.set()
        await trio.sleep_forever()

    async def _process(self) -> None:
        children = await self.zk.children(zk_data.CONFIG_CHANGES, watch=lambda: self._changed.set())
        now_ms = time.time() * 1000
        for child in children:
            if child <= (self._last_seen or ""):
                continue
            path = f"{zk_data.CONFIG_CHANGES}/{child}"
            found = await self.zk.get(path)
            self._last_seen = child
            if found is None:
                continue
            entity_type, name = zk_data.decode_config_change(found[0])
            if entity_type == "topics":
                await self._apply(name)
            stat = await self.zk.stat(path)
            if stat is not None and now_ms - stat.ctime > NOTIFICATION_EXPIRY_MS:
                await self.zk.delete(path)

    async def _apply(self, topic: str) -> None:
        configs = await self.read(topic)
        logs = self.broker.logs
        if logs.get_topic(topic) is not None:
            logs.alter_topic_configs(topic, configs)
            log.info("Applied new configs of topic %s: %s", topic, configs)
