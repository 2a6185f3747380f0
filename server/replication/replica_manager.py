"""The replicas this broker hosts in cluster mode, and what it does with them (Kafka's
ReplicaManager): it becomes leader or follower as the controller says (LeaderAndIsr), stops and
deletes replicas (StopReplica), lets a partition be written or read only where it leads, makes
``acks=all`` producers wait for the ISR, serves its followers' fetches, keeps the ISR honest
(shrinking it when a follower lags, growing it when one catches up, through the controller),
and checkpoints high watermarks.

Handlers reach partitions through the same few calls in both modes (``leader_log``,
``check_produce``, ``wait_for_acks``); single-node mode answers them in ``local_replicas``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import trio

from odradek.storage.errors import OffsetOutOfRangeError, StorageError, UnexpectedAppendOffsetError
from odradek.storage.partition_log import PartitionLog
from odradek.storage.replica_append import restart_offset
from odradek.wire import ApiKey, ErrorCode

from ..cluster import api_versions
from ..cluster.broker_channel import BrokerConnection, BrokerUnavailable
from ..cluster.cluster_config import ClusterConfig
from ..cluster.metadata_cache import Endpoint, MetadataCache
from ..stats.replica_counts import ReplicaCounts
from .fetcher import LeaderFetcher
from .partition import Partition

log = logging.getLogger("odradek.replication")

TopicPartition = tuple[str, int]
#: ``listener(partition, leader_epoch, is_leader)``: see ``ReplicaManager.add_leadership_listener``.
LeadershipListener = Callable[[int, int, bool], None]
DELETE_EPOCH = -2  # StopReplica's leader epoch for a partition being deleted
FULL_LEADER_AND_ISR = 1  # LeaderAndIsr's type: every replica of the broker is named


class ReplicaManager:
    waits_for_acks = True  # acks=all answers wait for the ISR (see ``wait_for_acks``)
    def __init__(self, broker, config: ClusterConfig, metadata: MetadataCache, listener: str,
                 topic_configs: Callable[[str], Awaitable[dict[str, str]]]):
        self.broker = broker
        self.logs = broker.logs
        self.config = config
        self.broker_id = config.broker_id
        self.broker_epoch = -1  # set by the registration
        self.metadata = metadata
        self.listener = listener  # the inter-broker listener
        self._topic_configs = topic_configs
        self.partitions: dict[TopicPartition, Partition] = {}
        self.controller_epoch = -1
        self._fetchers: dict[int, LeaderFetcher] = {}
        self._nursery: trio.Nursery | None = None
        self._isr_changes = trio.Event()  # a partition has an ISR change to propose
        self._checkpointed: dict[TopicPartition, int] = {}  # high watermarks at start-up
        self._controller = BrokerConnection(-1, f"broker-{self.broker_id}", config.controller_socket_timeout_ms / 1000,
                                            config.inter_broker_security)
        self._leaders = BrokerConnection(-1, f"broker-{self.broker_id}-offsets", config.replica_socket_timeout_ms / 1000,
                                         config.inter_broker_security)
        self._leadership_listeners: dict[str, list[LeadershipListener]] = {}
        self._any_leadership_listeners: list = []  # listener(topic, partition, leader_epoch, is_leader)
        self.isr_shrinks = self.isr_expands = 0  # accepted ISR changes, for the metrics

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self._checkpointed = await trio.to_thread.run_sync(self.logs.high_watermarks)
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self._shrink_isr_periodically)
            nursery.start_soon(self._propose_isr_changes)
            nursery.start_soon(self._checkpoint_high_watermarks)
            task_status.started()

    def add_leadership_listener(self, topic: str, listener: LeadershipListener) -> None:
        """Have ``listener(partition, leader_epoch, is_leader)`` called whenever this broker starts
        leading a partition of ``topic`` (or leads it at a new leader epoch), and whenever it stops
        (it follows, it is fenced, or the replica is stopped). Kafka's ``onLeadershipChange``: the group and
        transaction coordinators load and unload their internal topics' partitions on it."""
        self._leadership_listeners.setdefault(topic, []).append(listener)

    def add_any_leadership_listener(self, listener) -> None:
        """``add_leadership_listener`` for the partitions of every topic: ``listener(topic,
        partition, leader_epoch, is_leader)``. Share partitions, which live with their partition's
        leader, are dropped on it (Kafka's ``PartitionListener.onBecomingFollower``)."""
        self._any_leadership_listeners.append(listener)

    def _leadership_changed(self, key: TopicPartition, leader_epoch: int, is_leader: bool) -> None:
        for listener in self._leadership_listeners.get(key[0], ()):
            listener(key[1], leader_epoch, is_leader)
        for listener in self._any_leadership_listeners:
            listener(key[0], key[1], leader_epoch, is_leader)

    # --- for handlers --------------------------------------------------------------------------

    def leader_log(self, topic: str, index: int, current_leader_epoch: int = -1) -> tuple[PartitionLog | None, int]:
        """The log to read or write ``topic``-``index`` on this broker, if it leads it; else the
        error that tells the client to look elsewhere (or to refresh its metadata)."""
        partition = self.partitions.get((topic, index))
        if partition is None:
            known = self.metadata.partition(topic, index) is not None
            return None, ErrorCode.NOT_LEADER_OR_FOLLOWER if known else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        code = self._check_epoch(partition, current_leader_epoch)
        if code != ErrorCode.NONE:
            return None, code
        if not partition.is_leader:
            return None, ErrorCode.NOT_LEADER_OR_FOLLOWER
        return partition.log, ErrorCode.NONE

    def consumer_log(self, topic: str, index: int, current_leader_epoch: int,
                     client_rack: str) -> tuple[PartitionLog | None, int, int]:
        """A consumer's fetch (KIP-392): (log, error, preferred read replica). The leader serves
        it, or, with replica.selector.class rack-aware and the client in another rack than the
        leader, points it at an in-sync replica in its own rack. A follower serves consumers that
        say which rack they are in (fetch v11+), as Kafka's followers do, up to its own high
        watermark."""
        partition = self.partitions.get((topic, index))
        if partition is None:
            known = self.metadata.partition(topic, index) is not None
            return None, ErrorCode.NOT_LEADER_OR_FOLLOWER if known else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1
        code = self._check_epoch(partition, current_leader_epoch)
        if code != ErrorCode.NONE:
            return None, code, -1
        if partition.is_leader:
            preferred = self._preferred_read_replica(partition, client_rack) if client_rack else -1
            return partition.log, ErrorCode.NONE, preferred
        if client_rack and partition.leader >= 0:
            return partition.log, ErrorCode.NONE, -1
        return None, ErrorCode.NOT_LEADER_OR_FOLLOWER, -1

    def _preferred_read_replica(self, partition: Partition, client_rack: str) -> int:
        """Kafka's RackAwareReplicaSelector: the leader if it is in the client's rack, else an
        in-sync replica that is (the lowest id), else the leader."""
        if not self.config.rack_aware_reads:
            return -1
        racks = {b.broker_id: b.rack for b in self.metadata.live_brokers()}
        if racks.get(self.broker_id) == client_rack:
            return -1
        same_rack = sorted(r for r in partition.isr if r != self.broker_id and racks.get(r) == client_rack)
        return same_rack[0] if same_rack else -1

    def replica_log(self, topic: str, index: int, current_leader_epoch: int = -1) -> tuple[PartitionLog | None, int]:
        """The log of a replica this broker hosts, leader or follower (for a follower fetch from a
        client in its rack, KIP-392, and for OffsetForLeaderEpoch)."""
        partition = self.partitions.get((topic, index))
        if partition is None:
            return None, ErrorCode.NOT_LEADER_OR_FOLLOWER
        code = self._check_epoch(partition, current_leader_epoch)
        return (partition.log, ErrorCode.NONE) if code == ErrorCode.NONE else (None, code)

    @staticmethod
    def _check_epoch(partition: Partition, current_leader_epoch: int) -> int:
        if current_leader_epoch < 0 or current_leader_epoch == partition.leader_epoch:
            return ErrorCode.NONE
        if current_leader_epoch < partition.leader_epoch:
            return ErrorCode.FENCED_LEADER_EPOCH
        return ErrorCode.UNKNOWN_LEADER_EPOCH

    def leader_epoch(self, topic: str, index: int) -> int:
        partition = self.partitions.get((topic, index))
        return -1 if partition is None else partition.leader_epoch

    def end_offset_for_epoch(self, log_: PartitionLog, epoch: int) -> tuple[int, int]:
        return log_.end_offset_for_epoch(epoch)

    def append(self, log_: PartitionLog, records):
        """A producer's batches, stamped with this leader's epoch (KIP-101)."""
        partition = self.partitions[(log_.topic, log_.partition)]
        return log_.append(records, leader_epoch=partition.leader_epoch)

    def append_marker(self, log_: PartitionLog, producer_id: int, producer_epoch: int, commit: bool,
                      coordinator_epoch: int) -> int:
        """A transaction coordinator's marker (WriteTxnMarkers), stamped with this leader's epoch."""
        partition = self.partitions[(log_.topic, log_.partition)]
        return log_.append_marker(producer_id, producer_epoch, commit, coordinator_epoch,
                                  leader_epoch=partition.leader_epoch)

    def check_produce(self, log_: PartitionLog, acks: int) -> int:
        """acks=all is refused before appending when the ISR is smaller than min.insync.replicas."""
        if acks != -1:
            return ErrorCode.NONE
        partition = self.partitions.get((log_.topic, log_.partition))
        if partition is not None and len(partition.isr) < log_.config.min_insync_replicas:
            return ErrorCode.NOT_ENOUGH_REPLICAS
        return ErrorCode.NONE

    def after_append(self, log_: PartitionLog) -> None:
        """A leader appended: alone in its ISR, its high watermark moves at once."""
        partition = self.partitions.get((log_.topic, log_.partition))
        if partition is not None and partition.maybe_advance_high_watermark():
            self.notify(partition.key)

    def replica_counts(self) -> ReplicaCounts:
        """The replicas hosted here, as Kafka's ReplicaManager metrics count them."""
        online = offline = leaders = under_replicated = 0
        for (topic, index), partition in self.partitions.items():
            if self.logs.is_offline(topic, index):
                offline += 1
                continue
            online += 1
            if partition.is_leader:
                leaders += 1
                under_replicated += len(partition.isr) < len(partition.replicas)
        return ReplicaCounts(online, leaders, under_replicated, offline, self.isr_shrinks, self.isr_expands)

    async def wait_for_acks(self, appended: list[tuple[PartitionLog, int]], timeout_ms: int) -> dict[TopicPartition, int]:
        """For acks=all: wait until each partition's high watermark passes its appended offset
        (``next_offset``), at most ``timeout_ms``; the error for each that did not make it."""
        outcome: dict[TopicPartition, int] = {}

        async def one(log_: PartitionLog, next_offset: int) -> None:
            key = (log_.topic, log_.partition)
            partition = self.partitions.get(key)
            if partition is None:
                outcome[key] = ErrorCode.NOT_LEADER_OR_FOLLOWER
                return
            await partition.wait_for_high_watermark(next_offset)
            if self.partitions.get(key) is not partition or not partition.is_leader:
                outcome[key] = ErrorCode.NOT_LEADER_OR_FOLLOWER
            elif len(partition.isr) < log_.config.min_insync_replicas:
                outcome[key] = ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
            else:
                outcome[key] = ErrorCode.NONE

        with trio.move_on_after(max(timeout_ms, 0) / 1000):
            async with trio.open_nursery() as nursery:
                for log_, next_offset in appended:
                    nursery.start_soon(one, log_, next_offset)
        for log_, _ in appended:
            outcome.setdefault((log_.topic, log_.partition), ErrorCode.REQUEST_TIMED_OUT)
        return outcome

    def notify(self, key: TopicPartition) -> None:
        """Wake fetches waiting on this partition (new data, or a high watermark that moved)."""
        self.broker.appends.notify(key)

    # --- the leader's side of replication ------------------------------------------------------

    def follower_fetch(self, replica: int, topic: str, index: int, fetch_offset: int, last_fetched_epoch: int,
                       current_leader_epoch: int) -> tuple[int, PartitionLog | None, tuple[int, int] | None, bool]:
        """A follower fetches at ``fetch_offset``: (error, log to read, diverging (epoch, end offset),
        whether the follower has yet to hear of the current high watermark)."""
        log_, code = self.leader_log(topic, index, current_leader_epoch)
        if log_ is None:
            return code, None, None, False
        partition = self.partitions[(topic, index)]
        if last_fetched_epoch >= 0:
            epoch, end = log_.end_offset_for_epoch(last_fetched_epoch)
            if epoch < 0:
                return ErrorCode.NONE, log_, (-1, log_.log_start_offset), False
            if epoch < last_fetched_epoch or end < fetch_offset:
                return ErrorCode.NONE, log_, (epoch, end), False
        if not log_.log_start_offset <= fetch_offset <= log_.log_end_offset:
            return ErrorCode.OFFSET_OUT_OF_RANGE, log_, None, False
        if partition.record_fetch(replica, fetch_offset, trio.current_time() * 1000):
            self.notify(partition.key)
        if replica in partition.followers_to_add():
            self._want_isr(partition, partition.maximal_isr + (replica,))
        state = partition.followers.get(replica)
        behind = False
        if state is not None:
            hw = log_.high_watermark
            behind = hw > state.last_sent_high_watermark
            state.last_sent_high_watermark = hw
        return ErrorCode.NONE, log_, None, behind

    async def _shrink_isr_periodically(self) -> None:
        lag = self.config.replica_lag_time_max_ms
        while True:
            await trio.sleep(lag / 2000)
            now = trio.current_time() * 1000
            for partition in list(self.partitions.values()):
                if partition.is_leader and partition.pending_isr is None:
                    lagging = partition.followers_to_remove(now, lag)
                    if lagging:
                        log.info("%s-%d: followers %s lag more than %d ms behind; leaving the ISR", *partition.key,
                                 lagging, lag)
                        self._want_isr(partition, tuple(r for r in partition.isr if r not in lagging))

    def _want_isr(self, partition: Partition, isr: tuple[int, ...]) -> None:
        if partition.pending_isr is not None or tuple(isr) == partition.isr:
            return
        partition.pending_isr = tuple(isr)
        self._isr_changes.set()

    async def _propose_isr_changes(self) -> None:
        """Send the pending ISR changes to the controller (AlterPartition), one request at a time."""
        while True:
            await self._isr_changes.wait()
            self._isr_changes = trio.Event()
            pending = [p for p in self.partitions.values() if p.is_leader and p.pending_isr is not None]
            if not pending:
                continue
            if not await self._alter_partitions(pending):
                for partition in pending:
                    if partition.pending_isr is not None:
                        self._isr_changes.set()  # try again after a pause
                await trio.sleep(self.config.replica_fetch_backoff_ms / 1000)

    async def _alter_partitions(self, pending: list[Partition]) -> bool:
        controller = self.metadata.controller_id
        endpoint = self.metadata.endpoint(controller, self.listener)
        if endpoint is None:
            return False
        self._controller.point_at(endpoint.host, endpoint.port)
        topics: dict[str, list] = {}
        for partition in pending:
            topics.setdefault(partition.topic, []).append({
                "partition_index": partition.index, "leader_epoch": partition.leader_epoch,
                "new_isr": list(partition.pending_isr), "leader_recovery_state": 0,
                "partition_epoch": partition.partition_epoch})
        try:
            response = await self._controller.request(ApiKey.ALTER_PARTITION, api_versions.ALTER_PARTITION, {
                "broker_id": self.broker_id, "broker_epoch": self.broker_epoch,
                "topics": [{"topic_name": t, "partitions": p} for t, p in topics.items()]})
        except BrokerUnavailable as exc:
            log.info("AlterPartition to controller %d failed: %s", controller, exc)
            return False
        if response.error_code == ErrorCode.STALE_BROKER_EPOCH:
            self.fence_all("the controller no longer counts this broker's registration as current")
            return True
        if response.error_code != ErrorCode.NONE:
            log.info("Controller %d refused AlterPartition: error %d", controller, response.error_code)
            return False
        for topic in response.topics:
            for answer in topic.partitions:
                partition = self.partitions.get((topic.topic_name, answer.partition_index))
                if partition is None:
                    continue
                if answer.error_code == ErrorCode.NONE and answer.leader_epoch == partition.leader_epoch:
                    before = set(partition.isr)
                    partition.update_isr(answer.isr, answer.partition_epoch)
                    self.isr_shrinks += bool(before - set(partition.isr))
                    self.isr_expands += bool(set(partition.isr) - before)
                    if partition.maybe_advance_high_watermark():
                        self.notify(partition.key)
                elif answer.error_code == ErrorCode.FENCED_LEADER_EPOCH and answer.leader_epoch > partition.leader_epoch:
                    partition.fence()  # another broker leads it now: its LeaderAndIsr is on the way
                    self.notify(partition.key)
                    self._leadership_changed(partition.key, partition.leader_epoch, False)
                else:
                    # fenced or stale: the controller's LeaderAndIsr will bring the current state
                    partition.pending_isr = None
        return True

    def fence_all(self, reason: str) -> None:
        """Stop leading every partition (the cluster has moved on without this broker): clients
        get NOT_LEADER_OR_FOLLOWER and look elsewhere; acks=all producers waiting here are let go.
        The next LeaderAndIsr from the controller sets the roles again."""
        fenced = [p for p in self.partitions.values() if p.is_leader]
        for partition in fenced:
            partition.fence()
            self.notify(partition.key)
            self._leadership_changed(partition.key, partition.leader_epoch, False)
        if fenced:
            self.metadata.forget_leaders([p.key for p in fenced], self.broker_id)
            log.warning("Stopped leading %d partition(s): %s", len(fenced), reason)

    # --- the follower's side -------------------------------------------------------------------

    def leader_endpoint(self, leader: int) -> Endpoint | None:
        return self.metadata.endpoint(leader, self.listener)

    async def append_as_follower(self, partition: Partition, records) -> None:
        plog = partition.log
        try:
            plog.append_as_follower(records)
        except UnexpectedAppendOffsetError as exc:
            restart = restart_offset(plog.log_start_offset, plog.log_end_offset, exc)
            if restart is None:
                raise
            log.info("%s: the first batch fetched starts at %d, before this empty log's start %d; "
                     "starting the log at %d", plog.topic_partition, exc.first_offset, plog.log_start_offset, restart)
            await self.truncate_fully(partition, restart)
            plog.append_as_follower(records)
        if partition.log.take_flush():
            await self.broker.flusher.flush([partition.log])

    async def truncate(self, partition: Partition, offset: int) -> None:
        removed = partition.log.truncate_to(offset)
        await trio.to_thread.run_sync(self.logs.remove_files, removed)

    async def truncate_fully(self, partition: Partition, offset: int) -> None:
        removed = partition.log.truncate_fully_and_start_at(offset)
        await trio.to_thread.run_sync(self.logs.remove_files, removed)

    def advance_follower_log_start(self, partition: Partition, offset: int) -> None:
        """The leader's log start moved (retention, DeleteRecords): ours follows, within our log."""
        plog = partition.log
        target = min(offset, plog.high_watermark)
        if target > plog.log_start_offset:
            try:
                plog.advance_log_start_offset(target)
            except OffsetOutOfRangeError:
                pass

    async def leader_offset(self, leader: int, topic: str, index: int, timestamp: int) -> int | None:
        """The leader's log end (-1) or log start (-2), asked as a replica (ListOffsets)."""
        endpoint = self.leader_endpoint(leader)
        if endpoint is None:
            return None
        self._leaders.point_at(endpoint.host, endpoint.port)
        try:
            answer = await self._leaders.request(ApiKey.LIST_OFFSETS, 4, {
                "replica_id": self.broker_id, "isolation_level": 0,
                "topics": [{"name": topic, "partitions": [{"partition_index": index, "current_leader_epoch": -1,
                                                           "timestamp": timestamp}]}]})
        except BrokerUnavailable:
            return None
        found = answer.topics[0].partitions[0]
        return found.offset if found.error_code == ErrorCode.NONE else None

    # --- LeaderAndIsr and StopReplica ----------------------------------------------------------

    async def leader_and_isr(self, request) -> dict:
        if request.controller_epoch < self.controller_epoch:
            return {"error_code": ErrorCode.STALE_CONTROLLER_EPOCH, "topics": []}
        if request.broker_epoch not in (-1, self.broker_epoch):
            return {"error_code": ErrorCode.STALE_BROKER_EPOCH, "topics": []}
        self.controller_epoch = request.controller_epoch
        errors: dict[tuple, int] = {}
        wanted = []
        for topic_state in request.topic_states:
            for state in topic_state.partition_states:
                key = (topic_state.topic_name, state.partition_index)
                current = self.partitions.get(key)
                if self.broker_id not in state.replicas:
                    errors[(topic_state.topic_id, key)] = ErrorCode.NONE
                    continue
                if current is not None and (state.leader_epoch < current.leader_epoch or (
                        state.leader_epoch == current.leader_epoch
                        and state.partition_epoch <= current.partition_epoch)):
                    errors[(topic_state.topic_id, key)] = ErrorCode.STALE_CONTROLLER_EPOCH
                    continue
                wanted.append((topic_state.topic_id, key, state))
        await self._open_logs([(topic_id, key) for topic_id, key, _ in wanted])
        await self._replicate([key for _, key, _ in wanted if key not in self.partitions])
        now = trio.current_time() * 1000
        for topic_id, key, state in wanted:
            plog = self.logs.partition(*key)
            if plog is None:
                errors[(topic_id, key)] = ErrorCode.KAFKA_STORAGE_ERROR
                continue
            partition = self.partitions.get(key)
            if partition is None or partition.log is not plog:
                partition = self.partitions[key] = Partition(key[0], key[1], plog)
            if state.leader == self.broker_id:
                self._stop_fetching(key)
                partition.become_leader(self.broker_id, state.leader_epoch, state.partition_epoch, state.replicas,
                                        state.isr, now)
                log.info("Leading %s-%d from leader epoch %d (ISR %s)", *key, state.leader_epoch, list(state.isr))
                if partition.maybe_advance_high_watermark():
                    self.notify(key)
                self._leadership_changed(key, state.leader_epoch, True)
            else:
                partition.become_follower(state.leader, state.leader_epoch, state.partition_epoch, state.replicas,
                                          state.isr)
                self._stop_fetching(key)
                if state.leader >= 0:
                    self._fetcher(state.leader).add(key, state.leader_epoch)
                log.info("Following broker %d for %s-%d (leader epoch %d)", state.leader, *key, state.leader_epoch)
                self._leadership_changed(key, state.leader_epoch, False)
            self.notify(key)
            errors[(topic_id, key)] = ErrorCode.NONE
        if request.get("type") == FULL_LEADER_AND_ISR:
            named = {(t.topic_name, p.partition_index) for t in request.topic_states for p in t.partition_states
                     if self.broker_id in p.replicas}
            await self._set_aside_strays(named)
        by_topic: dict = {}
        for (topic_id, (topic, index)), code in errors.items():
            by_topic.setdefault(topic_id, []).append({"topic_name": topic, "partition_index": index,
                                                      "error_code": code})
        return {"error_code": ErrorCode.NONE,
                "topics": [{"topic_id": t, "partition_errors": e} for t, e in by_topic.items()]}

    async def _open_logs(self, wanted: list) -> None:
        """Create the logs of partitions we are told to host and do not have yet: placed and
        recorded by the log manager, built in a worker thread (``LogManager.plan_replicas``)."""
        by_topic: dict[str, tuple] = {}
        for topic_id, (topic, index) in wanted:
            if self.logs.partition(topic, index) is None and not self.logs.is_offline(topic, index):
                by_topic.setdefault(topic, (topic_id, []))[1].append(index)
        for topic, (topic_id, indexes) in by_topic.items():
            configs = await self._topic_configs(topic)
            local = self.logs.get_topic(topic)
            if local is not None and local.topic_id != topic_id:
                log.warning("Deleting the local replicas of topic %s (id %s): the cluster's topic of that name "
                            "is a new one (id %s)", topic, local.topic_id, topic_id)
                doomed = self.logs.delete_topic(topic)
                await trio.to_thread.run_sync(self.logs.remove_deleted, doomed)
            try:
                change = self.logs.plan_replicas(topic, topic_id, indexes, configs)
                try:
                    await trio.to_thread.run_sync(self.logs.build, change)
                except BaseException:
                    self.logs.discard(change)
                    raise
                self.logs.commit(change)
            except StorageError as exc:
                log.error("Could not create replicas %s of topic %s: %s", indexes, topic, exc)

    async def _set_aside_strays(self, named: set[TopicPartition]) -> None:
        """A FULL LeaderAndIsr names every replica this broker should host: any other it has is a
        stray (KIP-516; left by a reassignment or a deletion while this broker was away). Strays
        stop being served and their directories are renamed ``-stray``, kept, not deleted."""
        strays: dict[str, list[int]] = {}
        for info in self.logs.topics():
            for index in info.hosted:
                if (info.name, index) not in named:
                    strays.setdefault(info.name, []).append(index)
        for topic, indexes in strays.items():
            log.warning("Replicas %s of topic %s are not this broker's any more (the controller does not name them): "
                        "setting them aside as strays", indexes, topic)
            for index in indexes:
                self._stop_fetching((topic, index))
                partition = self.partitions.pop((topic, index), None)
                if partition is not None:
                    partition.fail_waiters(ErrorCode.NOT_LEADER_OR_FOLLOWER)
            self.logs.delete_replicas(topic, indexes, stray=True)

    async def _replicate(self, keys: list[TopicPartition]) -> None:
        """Logs becoming replicas: their leader epochs loaded (a partition that was written alone
        rebuilds them from its batch headers: a worker thread's job), their high watermark the
        one last checkpointed."""
        logs = [plog for key in keys if (plog := self.logs.partition(*key)) is not None and not plog.replicated]
        if not logs:
            return
        await trio.to_thread.run_sync(lambda: [plog.load_leader_epochs() for plog in logs])
        for plog in logs:
            plog.replicated = True
            plog.update_high_watermark(self._checkpointed.get((plog.topic, plog.partition), 0))

    async def stop_replica(self, request) -> dict:
        if request.controller_epoch < self.controller_epoch:
            return {"error_code": ErrorCode.STALE_CONTROLLER_EPOCH, "partition_errors": []}
        self.controller_epoch = request.controller_epoch
        errors = []
        deleted = []
        for topic_state in request.topic_states:
            for state in topic_state.partition_states:
                key = (topic_state.topic_name, state.partition_index)
                partition = self.partitions.get(key)
                if partition is not None and state.leader_epoch not in (-1, DELETE_EPOCH) \
                        and state.leader_epoch < partition.leader_epoch:
                    errors.append({"topic_name": key[0], "partition_index": key[1],
                                   "error_code": ErrorCode.FENCED_LEADER_EPOCH})
                    continue
                self._stop_fetching(key)
                if partition is not None:
                    partition.fail_waiters(ErrorCode.NOT_LEADER_OR_FOLLOWER)
                    del self.partitions[key]
                    self._leadership_changed(key, partition.leader_epoch, False)
                if state.delete_partition:
                    deleted.append(key)
                errors.append({"topic_name": key[0], "partition_index": key[1], "error_code": ErrorCode.NONE})
                self.notify(key)
        if deleted:
            removed = []
            for topic in {t for t, _ in deleted}:
                removed += self.logs.delete_replicas(topic, [i for t, i in deleted if t == topic])
            await trio.to_thread.run_sync(self.logs.remove_deleted, removed)
            log.info("Deleted replicas %s", [f"{t}-{p}" for t, p in deleted])
        return {"error_code": ErrorCode.NONE, "partition_errors": errors}

    def _fetcher(self, leader: int) -> LeaderFetcher:
        fetcher = self._fetchers.get(leader)
        if fetcher is None:
            fetcher = self._fetchers[leader] = LeaderFetcher(self, leader)
            self._nursery.start_soon(fetcher.run)
        return fetcher

    def _stop_fetching(self, key: TopicPartition) -> None:
        for leader, fetcher in list(self._fetchers.items()):
            fetcher.remove(key)
            if not fetcher.partitions:
                fetcher.cancel_scope.cancel()
                del self._fetchers[leader]

    # --- high watermark checkpoints ------------------------------------------------------------

    async def _checkpoint_high_watermarks(self) -> None:
        while True:
            await trio.sleep(self.config.high_watermark_checkpoint_interval_ms / 1000)
            await self.checkpoint_high_watermarks()

    async def checkpoint_high_watermarks(self) -> None:
        """Kafka's replication-offset-checkpoint: replicas not yet given a role since start-up keep
        the mark they started with."""
        marks = {key: mark for key, mark in self._checkpointed.items() if self.logs.partition(*key) is not None}
        marks.update((key, p.log.high_watermark) for key, p in self.partitions.items())
        await trio.to_thread.run_sync(self.logs.save_high_watermarks, marks)
