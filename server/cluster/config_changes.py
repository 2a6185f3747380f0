"""Config changes in cluster mode: kept in ZooKeeper, announced to every broker.

As in Kafka, whoever changes an entity's configs (a topic's ``/config/topics/<topic>``, the
brokers' ``/config/brokers/<default>`` or ``/config/brokers/<id>``) writes the znode, then adds a
sequential notification under ``/config/changes`` naming the entity (``topics/<topic>``,
``brokers/<id>``). Every broker watches the notifications and hands each to the part that keeps
that entity type's configs (``topic_configs``, ``broker_configs``), which reads the znode again
and applies it. Notifications older than 15 minutes are removed, as Kafka's listener does, so
they do not pile up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

import trio

from . import zk_data
from .zk_client import KazooException, NoNodeError, NodeExistsError, ZkClient

log = logging.getLogger("odradek.cluster")

NOTIFICATION_EXPIRY_MS = 15 * 60 * 1000


async def read_config(zk: ZkClient, path: str) -> dict[str, str]:
    """A config znode's configs; none if it does not exist."""
    found = await zk.get(path)
    return zk_data.decode_config(found[0] if found else None)


async def write_config(zk: ZkClient, path: str, configs: Mapping[str, str]) -> None:
    """Replace a config znode's configs (creating it if need be), without a notification."""
    data = zk_data.encode_config(configs)
    try:
        await zk.set(path, data)
    except NoNodeError:
        try:
            await zk.create(path, data, makepath=True)
        except NodeExistsError:  # another broker created it meanwhile: the last write wins
            await zk.set(path, data)


class ConfigChanges:
    def __init__(self, zk: ZkClient):
        self.zk = zk
        #: entity type ("topics", "brokers") -> what applies a change of the named entity, in the
        #: order subscribed (a user's SCRAM credentials and quotas share its znode)
        self.appliers: dict[str, list[Callable[[str], Awaitable[None]]]] = {}
        self._last_seen: str | None = None  # the newest notification already handled
        self._changed = trio.Event()

    def subscribe(self, entity_type: str, apply: Callable[[str], Awaitable[None]]) -> None:
        """Have ``apply(entity_name)`` called at each change of an entity of that type."""
        self.appliers.setdefault(entity_type, []).append(apply)

    async def notify(self, entity_type: str, entity_name: str) -> None:
        """Tell every broker (this one too) that the entity's configs changed."""
        await self.zk.create(f"{zk_data.CONFIG_CHANGES}/{zk_data.CONFIG_CHANGE_PREFIX}",
                             zk_data.encode_config_change(entity_type, entity_name), sequence=True)

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
            for apply in self.appliers.get(entity_type, ()):
                await apply(name)
            stat = await self.zk.stat(path)
            if stat is not None and now_ms - stat.ctime > NOTIFICATION_EXPIRY_MS:
                await self.zk.delete(path)
