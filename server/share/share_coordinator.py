"""The share coordinator: every share partition's durable state, in ``__share_group_state``.

Kafka's ``ShareCoordinatorService``. A share partition's state belongs to the leader of its
partition of the topic (``share_state_topic.partition_for``), as a group belongs to the leader of
its ``__consumer_offsets`` partition: a single broker leads every partition and replays the whole
topic at start-up; in a cluster the replica manager tells the coordinator when this broker starts
or stops leading a partition (``on_leadership``), and it loads or unloads that partition's states
(``coordinator_partitions``). Requests for a share partition coordinated elsewhere are answered
NOT_COORDINATOR, and COORDINATOR_LOAD_IN_PROGRESS while its partition loads.

The group coordinator initializes a share partition's state (InitializeShareGroupState) when a
share group is first assigned it; the share partition's leader then reads it
(ReadShareGroupState) and writes every change (WriteShareGroupState); DeleteShareGroupState
removes it; ReadShareGroupStateSummary answers the start offset and progress, for lag. A write is
answered once every in-sync replica has its record; the writes of one partition of the topic are
made one at a time, each record computed from the state the previous one left.

In the background, every ``share.coordinator.state.topic.prune.interval.ms`` the records every
share partition of a topic partition has a newer snapshot of are deleted, and every
``share.coordinator.cold.partition.snapshot.interval.ms`` share partitions idle that long are
snapshotted again so that pruning is not held back by them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import trio

from odradek.storage.partition_log import wall_clock_ms
from odradek.wire import ErrorCode

from ..coordinator_log import CoordinatorWriteError
from ..coordinator_partitions import CoordinatorPartitions
from ..topic_admin import TopicAdminError
from .share_coordinator_config import ShareCoordinatorConfig
from .share_partition_key import SharePartitionKey
from .share_state import ShareState, ShareUpdate
from .share_state_records import snapshot_record, tombstone_record, update_record
from .share_state_shard import ShareStateError, ShareStateShard, StateWrite
from .share_state_topic import SHARE_STATE_TOPIC, ShareStateTopic

log = logging.getLogger("odradek.share")


@dataclass(frozen=True)
class StateSummary:
    state_epoch: int
    leader_epoch: int
    start_offset: int
    delivery_complete_count: int


UNINITIALIZED_SUMMARY = StateSummary(0, 0, -1, -1)


class ShareCoordinator:
    def __init__(self, broker):
        self._broker = broker
        self.config = ShareCoordinatorConfig.from_broker(broker.config)
        self.topic = ShareStateTopic(broker, self.config)
        self.partitions = CoordinatorPartitions()
        self._shards: dict[int, ShareStateShard] = {}
        self._writing: dict[int, trio.Lock] = {}
        self._nursery: trio.Nursery | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def load(self) -> dict[int, ShareStateShard]:
        """Replay all of ``__share_group_state`` (blocking: a single broker's start-up runs it in a
        worker thread)."""
        topic = self._broker.logs.get_topic(SHARE_STATE_TOPIC)
        return {index: self.topic.load_partition(index) for index in range(topic.num_partitions if topic else 0)}

    def adopt(self, loaded: dict[int, ShareStateShard]) -> None:
        """Take over the whole topic: a single broker coordinates every share partition."""
        self.partitions.own_all()
        self._shards.update(loaded)
        log.info("Loaded the state of %d share partition(s) from %s",
                 sum(len(shard.states) for shard in loaded.values()), SHARE_STATE_TOPIC)

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(_every, self.config.prune_interval_ms, self.prune)
            nursery.start_soon(_every, self.config.cold_snapshot_interval_ms, self.snapshot_cold_partitions)
            task_status.started()

    # -- leadership of __share_group_state partitions (cluster mode) ---------------------------

    def on_leadership(self, partition: int, leader_epoch: int, is_leader: bool) -> None:
        if is_leader:
            if self.partitions.elected(partition, leader_epoch):
                self._nursery.start_soon(self._load_partition, partition)
        elif self.partitions.resigned(partition):
            self._shards.pop(partition, None)
            log.info("No longer coordinating the share states of %s-%d", SHARE_STATE_TOPIC, partition)

    async def _load_partition(self, partition: int) -> None:
        done = await self.partitions.load(partition, self.topic.load_partition,
                                          f"the share states of {SHARE_STATE_TOPIC}")
        if done is None:
            return
        shard, epoch = done
        self._shards[partition] = shard
        log.info("Loaded %d share state(s) from %s-%d; coordinating them at epoch %d", len(shard.states),
                 SHARE_STATE_TOPIC, partition, epoch)

    # -- who coordinates a share partition -----------------------------------------------------

    def partition_for(self, key: SharePartitionKey) -> int:
        return self.topic.partition_for(key)

    def coordinator_error(self, key: SharePartitionKey) -> ErrorCode:
        return self.partitions.error(self.partition_for(key))

    async def coordinator_of(self, key: SharePartitionKey) -> int:
        """The broker coordinating the share partition (FindCoordinator key type SHARE): the
        leader of its partition, -1 if it has none. The topic is created first if need be."""
        try:
            await self.topic.ensure_exists()
        except TopicAdminError as exc:
            log.warning("Could not create %s: %s", SHARE_STATE_TOPIC, exc)
            return -1
        partition = self._broker.metadata.partition(SHARE_STATE_TOPIC, self.partition_for(key))
        return -1 if partition is None else partition.leader

    # -- requests ------------------------------------------------------------------------------

    async def read_state(self, key: SharePartitionKey, leader_epoch: int) -> ShareState:
        """ReadShareGroupState; a reader leading the partition at a newer epoch is recorded
        first. Raises ShareStateError."""
        partition, shard = self._owned(key)
        async with self._lock(partition):
            state, record = shard.read(key, leader_epoch, wall_clock_ms())
            if record is not None:
                await self._append(partition, shard, key, record)
        return state

    async def write_state(self, key: SharePartitionKey, write: StateWrite) -> None:
        """WriteShareGroupState, answered once replicated. Raises ShareStateError."""
        partition, shard = self._owned(key)
        async with self._lock(partition):
            await self._append(partition, shard, key, shard.record_for_write(key, write, wall_clock_ms()))

    async def initialize_state(self, key: SharePartitionKey, state_epoch: int, start_offset: int) -> None:
        """InitializeShareGroupState: start the share partition over. Raises ShareStateError."""
        partition, shard = self._owned(key)
        async with self._lock(partition):
            record = shard.record_for_initialize(key, state_epoch, start_offset, wall_clock_ms())
            await self._append(partition, shard, key, record)

    async def delete_state(self, key: SharePartitionKey) -> None:
        """DeleteShareGroupState: a tombstone, if there is a state to delete. Raises ShareStateError."""
        partition, shard = self._owned(key)
        async with self._lock(partition):
            if key in shard.states:
                await self._append(partition, shard, key, None)

    def read_summary(self, key: SharePartitionKey) -> StateSummary:
        """ReadShareGroupStateSummary; an uninitialized share partition is answered with start
        offset -1 (not an error). Raises ShareStateError."""
        _partition, shard = self._owned(key)
        state = shard.states.get(key)
        if state is None:
            return UNINITIALIZED_SUMMARY
        return StateSummary(state.state_epoch, state.leader_epoch, state.start_offset, state.delivery_complete_count)

    # -- background ----------------------------------------------------------------------------

    async def prune(self) -> None:
        """Delete each owned partition's records that newer snapshots supersede."""
        moved = False
        for partition, shard in list(self._shards.items()):
            epoch = self.partitions.epoch(partition)
            if epoch is None or shard.redundant_offset is None:
                continue
            partition_log, _code = self._broker.replicas.leader_log(SHARE_STATE_TOPIC, partition, epoch)
            if partition_log is None:
                continue
            target = min(shard.redundant_offset, partition_log.high_watermark)
            if target > partition_log.log_start_offset:
                try:
                    partition_log.delete_records_before(target)
                    moved = True
                except Exception as exc:
                    log.warning("Could not prune %s-%d: %s", SHARE_STATE_TOPIC, partition, exc)
        if moved:
            logs = self._broker.logs
            await trio.to_thread.run_sync(logs.save_log_start_offsets, logs.log_start_offsets())

    async def snapshot_cold_partitions(self) -> None:
        now = wall_clock_ms()
        for partition, shard in list(self._shards.items()):
            if self.partitions.epoch(partition) is None:
                continue
            async with self._lock(partition):
                for key, state in shard.cold_snapshots(now, self.config.cold_snapshot_interval_ms).items():
                    try:
                        await self._append(partition, shard, key, state)
                    except ShareStateError as exc:
                        log.info("Could not snapshot the share state of %s: %s", key, exc.code.name)
                        break

    # -- internals -----------------------------------------------------------------------------

    def _owned(self, key: SharePartitionKey) -> tuple[int, ShareStateShard]:
        partition = self.partition_for(key)
        code = self.partitions.error(partition)
        if code != ErrorCode.NONE:
            raise ShareStateError(code)
        shard = self._shards.get(partition)
        if shard is None:  # a single broker: a partition of a topic not created yet
            shard = self._shards[partition] = ShareStateShard(self.config.updates_per_snapshot)
        return partition, shard

    def _lock(self, partition: int) -> trio.Lock:
        lock = self._writing.get(partition)
        if lock is None:
            lock = self._writing[partition] = trio.Lock()
        return lock

    async def _append(self, partition: int, shard: ShareStateShard, key: SharePartitionKey,
                      record: ShareState | ShareUpdate | None) -> None:
        """Write one record for ``key`` and, once replicated, apply it to the shard."""
        epoch = self.partitions.epoch(partition)
        if epoch is None:
            raise ShareStateError(self.partitions.error(partition))
        if record is None:
            encoded = tombstone_record(key)
        elif isinstance(record, ShareUpdate):
            encoded = update_record(key, record)
        else:
            encoded = snapshot_record(key, record)
        try:
            if self.partitions.owns_all and self._broker.metadata.topic(SHARE_STATE_TOPIC) is None:
                self.topic.ensure_created()  # a single broker creates it before its first write
            appended = self.topic.write(partition, [encoded], epoch)
        except CoordinatorWriteError as exc:
            log.error("Could not write the share state of %s: %s", key, exc)
            raise ShareStateError(_write_error(exc.code)) from None
        outcome = await self.topic.log.replicated(appended, self.config.write_timeout_ms)
        if outcome != ErrorCode.NONE:
            log.warning("The share state of %s was not replicated: %s", key, outcome.name)
            raise ShareStateError(_write_error(outcome))
        if self.partitions.epoch(partition) != epoch or self._shards.get(partition) is not shard:
            raise ShareStateError(ErrorCode.NOT_COORDINATOR)
        shard.replay(key, record, appended.base_offset)


async def _every(interval_ms: int, action) -> None:
    while True:
        await trio.sleep(interval_ms / 1000)
        await action()


def _write_error(code: ErrorCode) -> ErrorCode:
    """Kafka's coordinator runtime's answer for a failed write: retriable ones the share
    partition's leader retries, NOT_COORDINATOR once this broker no longer leads the partition."""
    if code in (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_ENOUGH_REPLICAS,
                ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.REQUEST_TIMED_OUT):
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if code in (ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.FENCED_LEADER_EPOCH,
                ErrorCode.UNKNOWN_LEADER_EPOCH):
        return ErrorCode.NOT_COORDINATOR
    if code in (ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE):
        return ErrorCode.UNKNOWN_SERVER_ERROR
    return code
