"""This broker as a member of a cluster coordinated by ZooKeeper.

Start-up joins the cluster: connect, make sure Kafka's persistent paths exist, and agree on the
cluster id (``/cluster/id``, which a data directory that belongs to another cluster must not
join). Then, for each ZooKeeper session: register ``/brokers/ids/<id>`` (ephemeral: it vanishes
with the session, and that is how the controller learns a broker died), and stand for
controller. When a session expires, both stop and start over under the next one.

The member holds the cluster-mode parts of the broker: the metadata cache the controller keeps
up to date, the replica manager, the configs kept in ZooKeeper (topics', groups' and the dynamic
broker configs, changes to which it watches for), and the controller while this broker is it.
"""

from __future__ import annotations

import logging

import trio

from odradek.wire import ApiKey, ErrorCode

from ..startup_error import StartupError
from . import api_versions, zk_data
from .broker_channel import BrokerConnection, BrokerUnavailable
from .broker_configs import ZkConfigStore
from .cluster_config import ClusterConfig
from .config_changes import ConfigChanges
from .forwarding import Forwarder
from .group_configs import ZkGroupConfigStore
from ..security.acl.authorizer_config import authorizer_enabled
from ..security.acl.zk_acls import ZkAclStore
from .user_scram import ZkScramStore
from .client_quotas import ZkQuotaStore
from .metadata_cache import MetadataCache
from .topic_configs import TopicConfigs
from ..controller.liveness import watch_controller
from .zk_client import KazooException, NodeExistsError, Session, ZkClient

log = logging.getLogger("odradek.cluster")
RETRY_AFTER_S = 1.0


class ClusterMember:
    def __init__(self, broker, config: ClusterConfig):
        from ..replication.replica_manager import ReplicaManager

        self.broker = broker
        self.config = config
        self.broker_id = config.broker_id
        listeners = broker.config.listener_config
        self.listener = listeners.inter_broker
        self.zk = ZkClient(config.zookeeper_connect, config.session_timeout_ms, config.connection_timeout_ms)
        self.metadata = MetadataCache(self.broker_id)
        self.config_changes = ConfigChanges(self.zk)
        self.topic_configs = TopicConfigs(self.zk, broker, self.config_changes)
        self.broker_configs = ZkConfigStore(self.zk, broker, self.broker_id, self.config_changes)
        self.group_configs = ZkGroupConfigStore(self.zk, broker, self.config_changes)
        # the ACLs, when authorizer.class.name turns authorization on
        self.acls = ZkAclStore(self.zk) if authorizer_enabled(broker.config.props) else None
        self.user_scram = ZkScramStore(self.zk, broker, self.config_changes)
        self.client_quotas = ZkQuotaStore(self.zk, broker, self.config_changes)  # after user_scram: shares users/
        self.replicas = ReplicaManager(broker, config, self.metadata, self.listener, self.topic_configs.read)
        self.controller = None  # the Controller, while this broker is it
        self.forwarder = Forwarder(self)  # requests for the controller, when this broker is not it
        self.registered = trio.Event()
        self._metadata_changed = trio.Event()

    # --- the metadata cache --------------------------------------------------------------------

    def metadata_updated(self, request) -> None:
        """UpdateMetadata: refresh the cache, and wake whoever waits for the cluster to change."""
        deleted = self.metadata.update(request)
        if deleted:  # as Kafka's handleUpdateMetadataRequest: the groups' offsets of them go too
            self.broker.groups.on_topics_deleted(deleted)
        self._metadata_changed.set()
        self._metadata_changed = trio.Event()

    async def wait_for_metadata(self, ready, timeout_s: float) -> bool:
        """Until ``ready()`` holds for the cache (checked at each update), at most ``timeout_s``."""
        with trio.move_on_after(timeout_s):
            while not ready():
                await self._metadata_changed.wait()
            return True
        return ready()

    # --- joining -------------------------------------------------------------------------------

    async def join(self, local_cluster_id: str | None) -> str:
        """Connect and agree on the cluster id; StartupError naming the problem otherwise."""
        try:
            await self.zk.start()
        except ConnectionError as exc:
            raise StartupError(f"zookeeper.connect: {exc}") from None
        for path in zk_data.PERSISTENT_PATHS:
            await self.zk.ensure_path(path)
        found = await self.zk.get(zk_data.CLUSTER_ID)
        if found is None:
            cluster_id = local_cluster_id or _new_cluster_id()
            try:
                await self.zk.create(zk_data.CLUSTER_ID, zk_data.encode_cluster_id(cluster_id))
            except NodeExistsError:
                found = await self.zk.get(zk_data.CLUSTER_ID)
        if found is not None:
            cluster_id = zk_data.decode_cluster_id(found[0])
        if local_cluster_id is not None and local_cluster_id != cluster_id:
            await self.zk.close()
            raise StartupError(
                f"the data directory belongs to cluster {local_cluster_id}, but ZooKeeper at "
                f"{self.config.zookeeper_connect} holds cluster {cluster_id} (meta.properties cluster.id); "
                f"point the broker at its own cluster's ZooKeeper or use an empty data directory")
        return cluster_id

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Take part in the cluster until cancelled; started once registered in ZooKeeper."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self.replicas.run)
            nursery.start_soon(self.config_changes.run)
            if self.acls is not None:
                nursery.start_soon(self.acls.run)
            nursery.start_soon(self._sessions)
            nursery.start_soon(self._fence_when_cut_off)
            await self.registered.wait()
            task_status.started()

    async def close(self) -> None:
        """Leave the cluster: checkpoint high watermarks (so a restart does not start below them),
        then close the ZooKeeper session, whose end unregisters this broker at once."""
        try:
            await self.replicas.checkpoint_high_watermarks()
        finally:
            await self.forwarder.aclose()
            await self.zk.close()

    async def _sessions(self) -> None:
        """Per session: register, stand for controller, watch config changes. ZooKeeper refusing
        work (the session expired under it, the connection broke) ends that session's work;
        the next session starts it again."""
        async for session in self.zk.sessions():
            while not session.lost.is_set():
                try:
                    async with session.scope() as nursery:
                        await self._register(session)
                        nursery.start_soon(self._keep_registered, session)
                        nursery.start_soon(watch_controller, self)
                        nursery.start_soon(self._stand_for_controller, session)
                        nursery.start_soon(self.config_changes.watch_session)
                        if self.acls is not None:
                            nursery.start_soon(self.acls.watch_session)
                        await trio.sleep_forever()
                except* KazooException as failed:
                    log.warning("ZooKeeper session 0x%x: work stopped (%s); it starts again once ZooKeeper "
                                "answers", session.session_id, failed.exceptions[0].__class__.__name__)
                    with trio.move_on_after(RETRY_AFTER_S):
                        await session.lost.wait()

    async def _fence_when_cut_off(self) -> None:
        """A broker that has not reached ZooKeeper for a whole session timeout has lost its
        session there (ZooKeeper expired it, so the controller counts this broker as dead and
        has given its leaderships to others), even before it can hear so. It stops leading at
        once, and closes its clients' connections (``Broker.cut_off``): its metadata is stale, and
        a client that kept asking it would never find the new leaders. The controller gives it
        its roles back when it registers again."""
        timeout_s = self.config.session_timeout_ms / 1000
        while True:
            await trio.sleep(min(0.5, timeout_s / 4))
            since = self.zk.disconnected_since
            if since is not None and trio.current_time() - since >= timeout_s and not self.broker.cut_off:
                log.warning("Cut off from ZooKeeper for longer than the session timeout (%d ms): this broker "
                            "stops leading and serving clients until it is registered again", self.config.session_timeout_ms)
                self.broker.cut_off = True
                self.replicas.fence_all("this broker lost ZooKeeper for longer than its session timeout")

    async def _register(self, session: Session) -> None:
        """Create our ephemeral registration. A node left by a previous life of this broker (killed
        before its session expired) is waited out: it disappears at that session's timeout."""
        listeners = self.broker.config.listener_config
        registration = zk_data.BrokerRegistration(
            self.broker_id, tuple(self.broker.advertised_listeners[l.name] for l in listeners.listeners),
            dict(listeners.protocols), self.config.rack)
        path = zk_data.broker_path(self.broker_id)
        if self.registered.is_set():  # registering again: the controller sends everything anew
            self.metadata.clear()
        warned = False
        while True:
            try:
                await self.zk.create(path, zk_data.encode_broker(registration), ephemeral=True)
                break
            except NodeExistsError:
                stat = await self.zk.stat(path)
                if stat is not None and stat.ephemeralOwner == session.session_id:
                    break
                if not warned:
                    log.warning("broker.id %d is still registered by an earlier session (this broker's previous "
                                "run, or another broker with the same id); waiting for it to expire",
                                self.broker_id)
                    warned = True
                await trio.sleep(0.5)
        stat = await self.zk.stat(path)
        self.replicas.broker_epoch = stat.czxid
        log.info("Registered broker %d in ZooKeeper at %s (broker epoch %d)", self.broker_id, path, stat.czxid)
        self.broker.cut_off = False
        self.registered.set()

    async def _keep_registered(self, session: Session) -> None:
        """Register again if our node goes while the session lives: the controller removes the
        registration of a broker whose port refuses connections (``controller.liveness``), and a
        broker that was only slow to accept must come back rather than stay unregistered."""
        path = zk_data.broker_path(self.broker_id)
        while True:
            changed = trio.Event()
            if await self.zk.get(path, watch=changed.set) is None:
                log.warning("Broker %d's registration was removed while it runs; registering again", self.broker_id)
                await self._register(session)
                continue
            await changed.wait()

    async def _stand_for_controller(self, session: Session) -> None:
        from ..controller.context import ControllerContext
        from ..controller.controller import Controller
        from ..controller.state_store import ControllerStore

        while True:
            context = ControllerContext(self.broker_id)
            if await ControllerStore(self.zk, context).try_to_become_controller():
                controller = Controller(self.zk, context, self.config, self.listener)
                self.controller = controller
                try:
                    await controller.run()
                finally:
                    self.controller = None
                continue
            gone = trio.Event()
            if await self.zk.get(zk_data.CONTROLLER, watch=gone.set) is not None:
                await gone.wait()

    # --- controlled shutdown -------------------------------------------------------------------

    async def controlled_shutdown(self) -> None:
        """Ask the controller to move leadership off this broker before it stops, retrying as
        Kafka does (controlled.shutdown.max.retries, .retry.backoff.ms)."""
        if not self.config.controlled_shutdown or not self.registered.is_set():
            return
        connection = BrokerConnection(-1, f"broker-{self.broker_id}", self.config.controller_socket_timeout_ms / 1000,
                                      self.config.inter_broker_security)
        try:
            for attempt in range(1, self.config.controlled_shutdown_max_retries + 1):
                endpoint = self.metadata.endpoint(self.metadata.controller_id, self.listener)
                if endpoint is not None:
                    connection.point_at(endpoint.host, endpoint.port)
                    try:
                        answer = await connection.request(ApiKey.CONTROLLED_SHUTDOWN, api_versions.CONTROLLED_SHUTDOWN,
                                                          {"broker_id": self.broker_id,
                                                           "broker_epoch": self.replicas.broker_epoch})
                        if answer.error_code == ErrorCode.NONE and not answer.remaining_partitions:
                            log.info("Controlled shutdown done: this broker leads no partition others can lead")
                            return
                        log.info("Controlled shutdown attempt %d: error %d, %d partition(s) still led here",
                                 attempt, answer.error_code, len(answer.remaining_partitions))
                    except BrokerUnavailable as exc:
                        log.info("Controlled shutdown attempt %d failed: %s", attempt, exc)
                await trio.sleep(self.config.controlled_shutdown_retry_backoff_ms / 1000)
            log.warning("Controlled shutdown did not finish after %d attempts; stopping anyway",
                        self.config.controlled_shutdown_max_retries)
        finally:
            await connection.aclose()


def _new_cluster_id() -> str:
    from ..cluster_identity import _new_cluster_id as new

    return new()
