"""One kind of entity's configs in cluster mode, kept in ZooKeeper as ZooKeeper-era Kafka keeps them.

Topics, groups, users and client ids each keep their configs the same way: a znode per entity,
``/config/<entity-type>/<name>`` holding ``{"version":1,"config":{...}}`` (the name as the
entity's sanitizer makes it; a user's client ids nested below it,
``/config/users/<user>/clients/<client-id>``). Whoever changes an entity's configs writes the
znode, then announces it (``config_changes``: a ``config_change_NNNNNNNNNN`` znode naming
``<entity-type>/<name>``); every broker reads the znode again and takes the new configs.

``ZkEntityConfigStore`` is that, once: what differs between the kinds (the entity type, how a key
becomes a znode name and back, whether entities nest, what taking new configs means) is given to
it by ``topic_configs``, ``group_configs``, ``user_scram`` and ``client_quotas``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

import trio

from .config_changes import ConfigChanges, read_config, write_config
from .zk_client import ZkClient

log = logging.getLogger("odradek.cluster")

CONFIG = "/config"

K = TypeVar("K")


def _same(name):
    return name


class ZkEntityConfigStore(Generic[K]):
    """The configs of one entity type's entities, by key (a topic, a group id, a quota entity).

    ``znode_name`` makes a key its name under ``/config/<entity_type>`` and ``key_of`` the key back
    (it may raise ValueError or KeyError: a change of such a name is ignored, with a warning);
    ``nested`` is the entity type each entity may hold below it (``clients`` below a user), whose
    names are ``<name>/<nested>/<child>``; ``applied(key, configs)`` takes an entity's configs
    changed here or on another broker, as they are now (none: it has none)."""

    def __init__(self, zk: ZkClient, changes: ConfigChanges, entity_type: str,
                 applied: Callable[[K, dict[str, str]], None], *,
                 znode_name: Callable[[K], str] = _same, key_of: Callable[[str], K] = _same,
                 nested: str | None = None):
        self.zk = zk
        self.entity_type = entity_type
        self._changes = changes
        self._applied = applied
        self._znode_name = znode_name
        self._key_of = key_of
        self._nested = nested
        changes.subscribe(entity_type, self._apply)

    def path(self, key: K) -> str:
        return self._path(self._znode_name(key))

    def _path(self, name: str) -> str:
        return f"{CONFIG}/{self.entity_type}/{name}"

    def load(self) -> dict[K, dict[str, str]]:
        """Every entity that has configs, as ZooKeeper holds them (blocking: from a worker thread
        of the broker's, which reaches ZooKeeper through the event loop)."""
        return trio.from_thread.run(self.read_all)

    async def read_all(self) -> dict[K, dict[str, str]]:
        found: dict[K, dict[str, str]] = {}
        for name in await self._names():
            configs = await read_config(self.zk, self._path(name))
            if configs:
                found[self._key_of(name)] = configs
        return found

    async def _names(self) -> list[str]:
        names = await self.zk.children(f"{CONFIG}/{self.entity_type}")
        if self._nested is None:
            return names
        nested = []
        for name in names:
            nested += [f"{name}/{self._nested}/{child}"
                       for child in await self.zk.children(f"{self._path(name)}/{self._nested}")]
        return names + nested

    async def read(self, key: K) -> dict[str, str]:
        return await read_config(self.zk, self.path(key))

    async def write(self, key: K, configs: Mapping[str, str], *, notify: bool = True) -> None:
        """Replace the entity's configs and tell every broker (Kafka's AdminZkClient.changeEntityConfig);
        without ``notify``, tell no one (a topic no broker hosts yet)."""
        await write_config(self.zk, self.path(key), configs)
        if notify:
            await self._changes.notify(self.entity_type, self._znode_name(key))

    async def save(self, key: K, configs: Mapping[str, str]) -> None:
        """As ``write``, but an entity left with no configs (and no nested entity) loses its znode."""
        path = self.path(key)
        if configs or await self.zk.children(path):
            await write_config(self.zk, path, configs)
        else:
            await self.zk.delete(path)  # gone already: fine
        await self._changes.notify(self.entity_type, self._znode_name(key))

    async def _apply(self, name: str) -> None:
        """A notification names one of this type's entities: read its configs again and take them."""
        if name.count("/") > (0 if self._nested is None else 2):
            return  # deeper than this store's entities
        try:
            key = self._key_of(name)
        except (ValueError, KeyError):
            log.warning("Ignoring a config change of %s/%s: not an entity of that type", self.entity_type, name)
            return
        self._applied(key, await read_config(self.zk, self._path(name)))
