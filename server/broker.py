"""The broker: storage, configuration and listeners, run under one trio nursery.

It is the composition root, in two modes. Alone (the default), this node is the whole cluster:
``LocalReplicas``, ``LocalMetadata``, ``LocalTopicAdmin`` and ``LocalPartitionAdmin`` answer the
handlers' questions about partitions, the cluster, topics, elections and reassignments, and the
dynamic broker configs and the groups' configs are kept in files. With ``zookeeper.connect`` set,
it is one member of a cluster (``cluster.member.ClusterMember``): the replica manager, the
controller-fed metadata cache, topic changes written to ZooKeeper and the controller's elections
and reassignments answer the same questions, the dynamic broker configs and the groups' configs
are kept in ZooKeeper, and the cluster code is imported only then.

``stats`` is what the broker counts as it serves; with ``metrics.port`` set, ``web`` serves it,
with the rest of the broker's state, as Prometheus metrics on an HTTP port (``server/web/``).

``group_configs`` (``dynamic_group_configs.DynamicGroupConfigs``) is where the coordinators read a
group's settings: ``broker.group_configs.effective(group_id)``.

Start-up binds the listeners' sockets (and the HTTP port) first (a port in use is the commonest
mistake, and is best found before anything touches the data directory), then locks the log
directories before anything reads or writes them, reads what the metadata directory holds and
recovers the logs, in a worker thread (it may read a lot of disk), then starts accepting;
connections made meanwhile wait in the listen backlog. A log directory that cannot be used stops start-up with one line naming it (a
StartupError, see ``lock_log_dirs`` and ``open_storage``). Shutdown (cancellation, e.g. on SIGTERM)
stops accepting, then flushes and closes every log before returning; a start-up that stopped
part-way closes what it opened but leaves no clean-shutdown marker (see ``LogManager.close``), and
is not "stopped".
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
from functools import partial
from typing import TYPE_CHECKING

import trio

from odradek.storage.errors import LogDirError
from odradek.storage.log_manager import LogManager

from .append_notifier import AppendNotifier
from .fetch_sessions import FetchSessionCache
from .broker_config import BrokerConfig
from .cluster_identity import load_or_create_cluster_id, recorded_cluster_id
from .dynamic_broker_configs import DynamicBrokerConfigs, FileConfigStore
from .dynamic_group_configs import DynamicGroupConfigs, FileGroupConfigStore
from .features import Features
from .group_flush import GroupFlusher
from .groups.group_coordinator import GroupCoordinator
from .groups.offsets_topic import OFFSETS_TOPIC
from .acceptor import Acceptor
from .connection import serve_connection
from .connection_limits import ConnectionQuotas
from .open_connections import OpenConnections
from .request_memory import RequestMemoryPool
from .listener_sockets import BoundListener, bind_all
from .listeners import Listener
from .cluster.cluster_config import ClusterConfig
from .local_metadata import LocalMetadata
from .local_replicas import LocalReplicas
from .log_dir_failures import LogDirFailures
from .log_dir_moves import LogDirMoves
from .log_maintenance import LogMaintenance
from .partition_admin import LocalPartitionAdmin
from .producer_ids import ProducerIdAllocator
from .quotas.client_quotas import ClientQuotas
from .quotas.stores import FileQuotaStore
from .quotas.throttled_routes import install as install_throttled_routes
from .routes import CLUSTER_ROUTES, ROUTES
from .security.acl.authorizer_config import authorizer_enabled
from .security.sasl.scram_file import FileScramStore
from .share import SHARE_STATE_TOPIC
from .share.share_on_demand import ShareOnDemand
from .startup_error import ConfigError, StartupError
from .stats import stats_for
from .topic_admin import LocalTopicAdmin
from .transactions.coordinator import TransactionCoordinator
from .transactions.txn_topic import TRANSACTION_STATE_TOPIC

if TYPE_CHECKING:  # the security code is imported where it is used: see ``Broker``
    from .security.acl.acl_admin import AclAdmin
    from .security.acl.authorizer import Authorizer
    from .security.sasl.authenticator import SaslAuthenticator
    from .security.sasl.scram_credentials import ScramCredentials

log = logging.getLogger("odradek.server")
#: The ready and stopped lines, which print at every log level (see tools/serve.py).
lifecycle = logging.getLogger("odradek.lifecycle")


class Broker:
    def __init__(self, config: BrokerConfig):
        self.config = config
        self.features = Features.from_broker(config)  # share.version: whether share groups are on
        # Nothing reads or writes the log directories before ``serve`` has locked them: the
        # dynamic configs are loaded, and applied, by ``open_storage``.
        self.logs = LogManager(config.log_dirs, config.props)
        cluster_config = ClusterConfig.from_props(config.props, config.cluster_broker_id)
        if cluster_config is not None and config.inter_broker_security is not None:
            cluster_config = dataclasses.replace(cluster_config, inter_broker_security=config.inter_broker_security)
        if cluster_config is None:
            self.cluster = None
            config_store = FileConfigStore(self.logs.dirs.metadata_dir)
            group_config_store = FileGroupConfigStore(self.logs.dirs.metadata_dir)
            scram_store = FileScramStore(self.logs.dirs.metadata_dir)
        else:
            from .cluster.member import ClusterMember

            self.cluster = ClusterMember(self, cluster_config)
            config_store = self.cluster.broker_configs
            group_config_store = self.cluster.group_configs
            scram_store = self.cluster.user_scram
        self.dynamic_configs = DynamicBrokerConfigs(config_store, config.props)
        self.group_configs = DynamicGroupConfigs(group_config_store, config.props)
        # SASL: each SASL listener's mechanisms, and the users' SCRAM credentials (salted and hashed),
        # made on first use (``scram_credentials``)
        self.sasl_listeners = config.sasl_listeners
        self._scram_store = scram_store
        self._scram_credentials: ScramCredentials | None = None
        self.appends = AppendNotifier()
        self.fetch_sessions = FetchSessionCache(config.fetch_session_cache_slots)
        self.flusher = GroupFlusher()  # fsyncs a flush policy asks of Produce, shared
        self.maintenance = LogMaintenance(self)
        self.log_dir_failures = LogDirFailures(self)
        self.log_dir_moves = LogDirMoves(self)
        self.cluster_id = ""
        # listener name -> where its clients connect; the bound port replaces port 0 once listening
        self.advertised_listeners: dict[str, Listener] = dict(config.listener_config.advertised)
        self.cut_off = False  # cluster mode: out of touch with the cluster, so serving no one (see member)
        # Holding up under load: request memory, connection quotas, idle connections (issue 18)
        queued = config.queued_max_request_bytes
        self.request_memory = RequestMemoryPool(queued) if queued > 0 else None
        self.connection_quotas = ConnectionQuotas(config.connection_limits, config.listener_config.inter_broker,
                                                  [item.name for item in config.listener_config.listeners])
        self.web = _web_server(self)  # None unless metrics.port is set
        self.stats = stats_for(counting=self.web is not None)  # chosen once: a null recorder without it
        self.open_connections = OpenConnections(config.connections_max_idle_ms, self.stats.network)
        self.acceptor = Acceptor(self.connection_quotas, self.open_connections, self.stats.network)
        if self.cluster is None:
            self.replicas = LocalReplicas(self.logs)
            self.metadata = LocalMetadata(self)
            self.topic_admin = LocalTopicAdmin(self)
            self.producer_ids = ProducerIdAllocator(self.logs.dirs.metadata_dir)
            self.partition_admin = LocalPartitionAdmin(self)
            self.routes = ROUTES
        else:
            from .cluster.partition_admin import ClusterPartitionAdmin
            from .cluster.producer_id_blocks import ZkProducerIdBlocks
            from .cluster.topic_admin import ClusterTopicAdmin

            self.replicas = self.cluster.replicas
            self.metadata = self.cluster.metadata
            self.topic_admin = ClusterTopicAdmin(self.cluster)
            self.producer_ids = ZkProducerIdBlocks(self.cluster)
            self.partition_admin = ClusterPartitionAdmin(self.cluster)
            self.routes = CLUSTER_ROUTES
        # client quotas: Produce/Fetch count bytes against them only while some byte rate is set
        plain_routes = self.routes
        self.client_quotas = ClientQuotas(FileQuotaStore(self.logs.dirs.metadata_dir) if self.cluster is None
                                          else self.cluster.client_quotas, config.props)
        self.client_quotas.on_change = lambda: install_throttled_routes(self, plain_routes)
        # authorizer.class.name set: every request is authorized with ACLs (kept in the metadata
        # directory alone, in ZooKeeper in a cluster); unset: ``authorizer`` is None, nothing is checked
        self.authorizer: Authorizer | None = None
        self.acl_admin: AclAdmin | None = None
        if authorizer_enabled(config.props):
            from .security.acl.acl_admin import AclAdmin  # only with an authorizer: start-up time
            from .security.acl.acl_file import FileAclStore
            from .security.acl.authorizer import Authorizer

            self.authorizer = Authorizer.from_props(config.props)
            acl_store = (FileAclStore(self.logs.dirs.metadata_dir.path) if self.cluster is None
                         else self.cluster.acls)
            self.acl_admin = AclAdmin(self.authorizer, acl_store)
            acl_store.index = self.authorizer.acls  # changes other brokers announce update it
        self.groups = GroupCoordinator(self)
        self.transactions = TransactionCoordinator(self)
        # Share groups' data path (KIP-932), built when first needed (``share.share_on_demand``);
        # the group coordinator initializes and deletes share partitions' state through it.
        self.share = ShareOnDemand(self)
        self.groups.share_persister = self.share
        if self.cluster is not None:  # coordinators load and unload partitions as leadership moves
            self.replicas.add_leadership_listener(OFFSETS_TOPIC, self.groups.on_leadership)
            self.replicas.add_leadership_listener(TRANSACTION_STATE_TOPIC, self.transactions.on_leadership)
            self.replicas.add_leadership_listener(SHARE_STATE_TOPIC, self.share_coordinator.on_leadership)
            self.replicas.add_any_leadership_listener(self.shares.on_leadership)

    @property
    def share_coordinator(self):
        """The share coordinator (``share.share_coordinator``), built on first use."""
        return self.share.path.coordinator

    @property
    def shares(self):
        """The share partitions and sessions (``share.share_partition_manager``), built on first use."""
        return self.share.path.partitions

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
            if self.web is not None:
                await self.web.bind()
            await self._serve(bound, task_status)
        finally:
            for listener in bound:
                await listener.aclose()
            if self.web is not None:
                await self.web.aclose()

    async def _serve(self, bound: list[BoundListener], task_status) -> None:
        for listener in bound:
            self.advertised_listeners[listener.listener.name] = _with_bound_port(
                self.advertised_listeners[listener.listener.name], listener.port)
        started = False
        try:
            await trio.to_thread.run_sync(self.lock_log_dirs)
            cluster_id = None
            if self.cluster is not None:
                local = recorded_cluster_id(self.logs.dirs.online(), self.config.node_id)
                cluster_id = await self.cluster.join(local)
            await trio.to_thread.run_sync(self.open_storage, cluster_id)
            if self.cluster is None:  # in a cluster, coordinators load as they become leaders
                self.groups.adopt(await trio.to_thread.run_sync(self.groups.load))
                # after the groups: finishing a decided transaction may settle their pending offsets
                self.transactions.adopt(await trio.to_thread.run_sync(self.transactions.load))
                await self.share.load_kept_state()
            # What was loaded lives as long as the broker: keep the collector's full passes (which
            # every burst of allocations can trigger) from rescanning thousands of partitions' state.
            gc.freeze()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self.log_dir_failures.run)
                await nursery.start(self.groups.run)
                await nursery.start(self.transactions.run)
                await nursery.start(self.share.run)
                nursery.start_soon(self.maintenance.run)
                nursery.start_soon(self.log_dir_moves.run)
                if self.web is not None:
                    await nursery.start(self.web.run)
                nursery.start_soon(self.open_connections.reap_idle)
                for listener in bound:
                    self.stats.network.listening(listener.listener.name)
                    handler = partial(serve_connection, self, listener.listener.name)
                    nursery.start_soon(self.acceptor.serve, listener.listener.name, listener.sockets, handler)
                if self.cluster is not None:
                    await nursery.start(self.cluster.run)  # returns once registered in ZooKeeper
                task_status.started([address for listener in bound for address in listener.addresses])
                started = True
        finally:
            with trio.CancelScope(shield=True):
                await self.share.aclose()
                if self.cluster is not None:
                    await self.cluster.close()
                await trio.to_thread.run_sync(self.logs.close)
            if started:
                lifecycle.info("odradek stopped: logs flushed and closed")

    @property
    def scram_credentials(self) -> ScramCredentials:
        """The users' SCRAM credentials, made on first use: most brokers have no SASL listener and
        no SCRAM user, and need not import the SCRAM code (start-up time). ``open_storage`` reads
        them as the broker starts if there are any to read; made later, there were none."""
        if self._scram_credentials is None:
            from .security.sasl.scram_credentials import ScramCredentials

            self._scram_credentials = ScramCredentials(self._scram_store)
        return self._scram_credentials

    def sasl_authenticator(self, listener_name: str, session) -> SaslAuthenticator | None:
        """A new connection's SASL exchange, if it came in on a SASL listener."""
        settings = self.sasl_listeners.get(listener_name)
        if settings is None:
            return None
        from .security.sasl.authenticator import SaslAuthenticator  # only on a SASL listener: start-up time

        return SaslAuthenticator(settings, session, self.scram_credentials)

    def connection_closed(self, connection_id: str) -> None:
        """A client connection ended: a share session it opened ends with it."""
        self.share.connection_closed(connection_id)

    async def prepare_shutdown(self) -> None:
        """Before stopping (SIGTERM): in a cluster, hand leadership to other brokers first."""
        if self.cluster is not None:
            await self.cluster.controlled_shutdown()

    def lock_log_dirs(self) -> None:
        """Create and lock the log directories (blocking): before anything reads or writes them."""
        with _unusable_log_dir_stops_start_up():
            self.logs.open_dirs()

    def open_storage(self, cluster_id: str | None = None) -> None:
        """Read what the metadata directory holds and recover the logs (blocking), the log
        directories locked. An unusable log directory is a StartupError naming it."""
        self.lock_log_dirs()
        with _unusable_log_dir_stops_start_up():
            self.cluster_id = load_or_create_cluster_id(self.logs.dirs.online(), self.config.node_id, cluster_id)
            try:
                self.dynamic_configs.load()
                self.dynamic_configs.save_if_new()  # the cluster's built-in defaults
                self.group_configs.load()
                if self.cluster is not None or self._scram_store.kept:  # else none kept (scram_credentials)
                    self.scram_credentials.load()
                self.client_quotas.load()
                self.producer_ids.load()
                self.load_acls()
            except OSError as exc:
                raise LogDirError(self.logs.data_dir, f"cannot be used: {exc}") from None
            self.apply_dynamic_configs()
            self.logs.startup()

    def load_acls(self) -> None:
        """The ACLs kept, into the authorizer (blocking); a StartupError if they cannot be read."""
        if self.acl_admin is None:
            return
        try:
            self.authorizer.acls.reset(self.acl_admin.store.load())
        except (ValueError, KeyError, TypeError) as exc:
            raise StartupError(f"the ACLs kept cannot be read: {exc!r}") from None

    def apply_dynamic_configs(self) -> None:
        """Make the static and dynamic configs' effective set the logs', the cleaner's and the
        group configs' (at start-up, and after each change of a dynamic layer)."""
        effective = self.dynamic_configs.effective()
        self.logs.set_broker_props(effective)
        self.maintenance.reconfigure(effective)
        self.group_configs.reconfigure(effective)
        try:
            self.connection_quotas.reconfigure(effective)
            self.acceptor.close_excess()
        except ConfigError as exc:
            log.warning("connection limits unchanged: %s", exc)


def _web_server(broker):
    """The HTTP server for ``metrics.port``, imported only when it is set."""
    from .web.web_settings import WebSettings

    settings = WebSettings.from_config(broker.config)
    if settings is None:
        return None
    from .web.http_server import HttpServer

    return HttpServer(broker, settings)


@contextlib.contextmanager
def _unusable_log_dir_stops_start_up():
    """Storage's LogDirError (naming the directory, and what is wrong with it) as a StartupError."""
    try:
        yield
    except LogDirError as exc:
        raise StartupError(str(exc)) from None


def _with_bound_port(advertised: Listener, bound_port: int) -> Listener:
    if advertised.port != 0:
        return advertised
    return Listener(advertised.name, advertised.host, bound_port)
