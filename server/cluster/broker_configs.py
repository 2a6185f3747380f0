"""Dynamic broker configs in cluster mode: ``dynamic_broker_configs``' layers kept in ZooKeeper.

As in Kafka's ZooKeeper era, the cluster-wide defaults (the BROKER resource named "") live in
``/config/brokers/<default>`` and a broker's own in ``/config/brokers/<id>``. Any broker changes
the cluster-wide ones (the per-broker ones only the broker itself: the admin client sends them
there), then announces it (``config_changes``); each broker reads the layer again and applies it.

The layers are read once the broker has joined the cluster, in the worker thread that opens its
storage (``Broker.open_storage``), so this store's blocking calls reach ZooKeeper through the
event loop. A new cluster's ``min.insync.replicas`` default (see ``dynamic_broker_configs``) is
written by the first broker that finds it missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import trio

from odradek.storage.errors import InvalidConfigError
from odradek.storage.log_config import DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG

from ..connection_limits import resolve_override_hosts
from .config_changes import ConfigChanges, read_config, write_config
from .zk_client import ZkClient

log = logging.getLogger("odradek.cluster")

ENTITY_TYPE = "brokers"
DEFAULT_ENTITY = "<default>"
BROKERS_CONFIG = "/config/brokers"


class ZkConfigStore:
    def __init__(self, zk: ZkClient, broker, broker_id: int, changes: ConfigChanges):
        self.zk = zk
        self.broker = broker
        self._entities = {DYNAMIC_BROKER_CONFIG: str(broker_id), DYNAMIC_DEFAULT_BROKER_CONFIG: DEFAULT_ENTITY}
        self._changes = changes
        changes.subscribe(ENTITY_TYPE, self._apply)

    def _path(self, source: int) -> str:
        return f"{BROKERS_CONFIG}/{self._entities[source]}"

    def load(self) -> dict[int, dict[str, str]]:
        """Both layers as ZooKeeper holds them (blocking: from a worker thread of the broker's)."""
        return trio.from_thread.run(self._read)

    async def _read(self) -> dict[int, dict[str, str]]:
        return {source: await read_config(self.zk, self._path(source)) for source in self._entities}

    def save_all(self, layers: Mapping[int, Mapping[str, str]]) -> None:
        """What ``load`` added (blocking, as ``load``): the cluster's defaults, written once."""
        trio.from_thread.run(write_config, self.zk, self._path(DYNAMIC_DEFAULT_BROKER_CONFIG),
                             layers[DYNAMIC_DEFAULT_BROKER_CONFIG])

    async def save(self, source: int, layers: Mapping[int, Mapping[str, str]]) -> None:
        """Write the layer that changed, and tell every broker."""
        await write_config(self.zk, self._path(source), layers[source])
        await self._changes.notify(ENTITY_TYPE, self._entities[source])

    async def _apply(self, entity: str) -> None:
        """A notification names a layer: this broker's, or the cluster's defaults; read and apply it."""
        source = next((s for s, name in self._entities.items() if name == entity), None)
        if source is None:
            return  # another broker's own configs
        configs = await read_config(self.zk, self._path(source))
        dynamic = self.broker.dynamic_configs
        if configs == dynamic.layers[source]:
            return  # this broker made the change: applied already
        await resolve_override_hosts(dynamic.effective((source, configs)))  # host names: in a thread
        try:
            self.broker.logs.set_broker_props(dynamic.effective((source, configs)), validate_only=True)
        except InvalidConfigError as exc:
            log.warning("Ignoring the new dynamic configs %s of %s: %s", configs, self._path(source), exc)
            return
        dynamic.reloaded(source, configs)
        self.broker.apply_dynamic_configs()
        log.info("Applied new dynamic broker configs of %s: %s", self._path(source), configs)
