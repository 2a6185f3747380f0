"""The broker: storage, configuration and listeners, run under one trio nursery.

It is the composition root, in two modes. Alone (the default), this node is the whole cluster:
``LocalReplicas``, ``LocalMetadata`` and ``LocalTopicAdmin`` answer the handlers' questions about
partitions, the cluster and topics. With ``zookeeper.connect`` set, it is one member of a cluster
(``cluster.member.ClusterMember``): the replica manager, the controller-fed metadata cache and
topic changes written to ZooKeeper answer the same questions, and the cluster code is imported
only then.

Start-up binds the listeners' sockets first (a port in use is the commonest mistake, and is best
found before anything touches the data directory), recovers the logs in a worker thread (it may
read a lot of disk), then starts accepting; connections made meanwhile wait in the listen backlog.
Shutdown (cancellation, e.g. on SIGTERM) stops accepting, then flushes and closes every log
before returning.
"""

from __future__ import annotations

import gc
import logging
from functools import partial

import trio

from odradek.storage.log_manager import LogManager

from .append_notifier import AppendNotifier
from .broker_config import BrokerConfig
from .cluster_identity import load_or_create_cluster_id
from .dynamic_broker_configs import DynamicBrokerConfigs
from .group_flush import GroupFlusher
from .groups.group_coordinator import GroupCoordinator
from .connection import serve_connection
from .listener_sockets import BoundListener, bind_all
from .listeners import Listener
from .cluster.cluster_config import ClusterConfig
from .local_metadata import LocalMetadata
from .local_replicas import LocalReplicas
from .log_maintenance import LogMaintenance
from .producer_ids import ProducerIdAllocator
from .routes import CLUSTER_ROUTES, ROUTES
from .topic_admin import LocalTopicAdmin
from .transactions.coordinator import TransactionCoordinator

log = logging.getLogger("odradek.server")
#: The ready and stopped lines, which print at every log level (see tools/serve.py).
lifecycle = logging.getLogger("odradek.lifecycle")


class Broker:
    def __init__(self, config: BrokerConfig):
        self.config = config
        self.dynamic_configs = DynamicBrokerConfigs(config.data_dir, config.props)
        self.dynamic_configs.load()
        self.logs = LogManager(config.data_dir, self.dynamic_configs.effective())
        self.appends = AppendNotifier()
        self.flusher = GroupFlusher()  # fsyncs a flush policy asks of Produce, shared
        self.producer_ids = ProducerIdAllocator(config.data_dir)
        self.groups = GroupCoordinator(self)
        self.transactions = TransactionCoordinator(self)
        self.maintenance = LogMaintenance(self)
        self.cluster_id = ""
        # listener name -> where its clients connect; the bound port replaces port 0 once listening
        self.advertised_listeners: dict[str, Listener] = dict(config.listener_config.advertised)
        cluster_config = ClusterConfig.from_props(config.props, config.cluster_broker_id)
        if cluster_config is None:
            self.cluster = None
            self.replicas = LocalReplicas(self.logs)
            self.metadata = LocalMetadata(self)
            self.topic_admin = LocalTopicAdmin(self)
            self.routes = ROUTES
        else:
            from .cluster.member import ClusterMember
            from .cluster.topic_admin import ClusterTopicAdmin

            self.cluster = ClusterMember(self, cluster_config)
            self.replicas = self.cluster.replicas
            self.metadata = self.cluster.metadata
            self.topic_admin = ClusterTopicAdmin(self.cluster)
            self.routes = CLUSTER_ROUTES

    @property
    def advertised(self) -> Listener:
        """The first listener's advertised address (the one the ready line names)."""
        return self.advertised_listeners[self.config.listener.name]

    def advertised_for(self, listener_name: str) -> Listener:
        """Where clients that came in on ``listener_name`` are told to reach this broker."""
        return self.advertised_listeners[listener_name]

    async def serve(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Run until cancelled; ``task_status.started`` receives the bound (host, port) pairs."""
        bound = await bind_all(self.config.listener_config.listeners)
        try:
            await self._serve(bound, task_status)
        finally:
            for listener in bound:
                await listener.aclose()

    async def _serve(self, bound: list[BoundListener], task_status) -> None:
        for listener in bound:
            self.advertised_listeners[listener.listener.name] = _with_bound_port(
                self.advertised_listeners[listener.listener.name], listener.port)
        if self.cluster is not None:
            await self.cluster.join(read_cluster_id(self.config.data_dir))
        self.cluster_id = load_or_create_cluster_id(self.config.data_dir, self.config.node_id)
        self.dynamic_configs.save_if_new()  # the cluster's built-in defaults, once the data dir exists
        self.producer_ids.load()
        await trio.to_thread.run_sync(self.logs.startup)
        self.groups.adopt(await trio.to_thread.run_sync(self.groups.load))
        # after the groups: finishing a decided transaction may settle their pending offsets
        self.transactions.adopt(await trio.to_thread.run_sync(self.transactions.load))
        # What was loaded lives as long as the broker: keep the collector's full passes (which
        # every burst of allocations can trigger) from rescanning thousands of partitions' state.
        gc.freeze()
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self.groups.run)
                nursery.start_soon(self.transactions.run)
                nursery.start_soon(self.maintenance.run)
                for listener in bound:
                    handler = partial(serve_connection, self, listener.listener.name)
                    nursery.start_soon(partial(trio.serve_listeners, handler, listener.sockets))
                task_status.started([address for listener in bound for address in listener.addresses])
        finally:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(self.logs.close)
            lifecycle.info("odradek stopped: logs flushed and closed")


def _with_bound_port(advertised: Listener, bound_port: int) -> Listener:
    if advertised.port != 0:
        return advertised
    return Listener(advertised.name, advertised.host, bound_port)
