"""The group coordinator: every group this broker coordinates, their deadlines and offsets.

A group belongs to the leader of its partition of ``__consumer_offsets`` (Kafka's rule, see
``offsets_topic.partition_for``). Group state and committed offsets are kept as records there
(the topic is created on first use, as Kafka does) and replayed when a partition is taken over:
a single broker leads every partition and replays the whole topic at start-up; in a cluster the
replica manager tells the coordinator when this broker starts or stops leading a partition
(``on_leadership``), and it loads or unloads that partition's groups (see
``coordinator_partitions``). Requests for a group coordinated elsewhere are answered
NOT_COORDINATOR, and COORDINATOR_LOAD_IN_PROGRESS while its partition loads.

Writes go to the partition's leader log at the coordinator epoch and count once every in-sync
replica has them (``coordinator_log``); their errors are answered as Kafka's coordinator answers
them. Tombstones (deleted groups, expired or deleted offsets) are not waited for, as in Kafka: a
lost one is written again by the next expiry round.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from dataclasses import replace

import trio

from odradek.wire import ErrorCode

from ..coordinator_log import CoordinatorWriteError
from ..coordinator_partitions import CoordinatorPartitions
from ..partition_end_offsets import PartitionEndOffsets
from ..startup_error import ConfigError
from ..topic_admin import TopicAdminError
from . import group_types
from .classic_coordinator import ClassicCoordinator
from .classic_group import ClassicGroup, GroupState
from .classic_group_records import group_from_record, group_to_record
from .consumer_coordinator import ConsumerCoordinator
from .consumer_group import ConsumerGroup
from .consumer_group_changes import changes, image_of
from .consumer_group_config import ConsumerGroupConfig
from .group_config import GroupConfig
from .group_error import GroupError
from .offset_store import OffsetStore
from .offsets_records import Entry, GroupMetadataKey, OffsetCommit, OffsetCommitKey, Tombstone
from .offsets_topic import OFFSETS_TOPIC, LoadedOffsets, OffsetsTopic
from .scheduler import Scheduler
from .share_group_config import ShareGroupConfig
from .share_state import ShareStatePersister, UnkeptShareState

if TYPE_CHECKING:
    from .share_group import ShareGroup
    from .share_group_coordinator import ShareGroupCoordinator
    from .share_group_offsets import ShareGroupOffsets
    from .streams_coordinator import StreamsGroupCoordinator
    from .streams_group import StreamsGroup

log = logging.getLogger("odradek.groups")

TopicPartition = tuple[str, int]


class GroupCoordinator:
    def __init__(self, broker):
        self._broker = broker
        self.config = GroupConfig.from_broker(broker.config)
        self.scheduler = Scheduler()
        self.groups: dict[str, ClassicGroup | ConsumerGroup | ShareGroup | StreamsGroup] = {}
        self.topic = OffsetsTopic(broker)
        self.partitions = CoordinatorPartitions()
        self.offsets = OffsetStore(self.topic.partition_for)
        self.classic = ClassicCoordinator(self.groups, self.config, self.scheduler, self._store_group,
                                          self.check_coordinator)
        try:
            consumer_config = ConsumerGroupConfig.from_broker(broker.config)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        self.consumer = ConsumerCoordinator(self.groups, consumer_config,
                                            self.scheduler, broker.metadata, self._store_records,
                                            self.check_coordinator, broker.group_configs.effective)
        self.classic.consumer = self.consumer  # each serves the groups that change protocol with the other
        self.consumer.classic = self.classic
        # Share and streams groups' coordinators are built with the first group of their kind
        # (``share``, ``streams``): most brokers never coordinate one (see ``group_types``). The
        # share groups' settings are checked now, as the broker starts.
        self._share_config = ShareGroupConfig.from_broker(broker.config)
        # what share partitions' state is initialized and deleted through: the broker's share data path
        self.share_persister: ShareStatePersister = UnkeptShareState()
        self._share: ShareGroupCoordinator | None = None
        self._streams: StreamsGroupCoordinator | None = None
        self._share_offsets: ShareGroupOffsets | None = None
        self.end_offsets = PartitionEndOffsets(broker)
        self._nursery: trio.Nursery | None = None
        # transaction markers written to a partition while it loaded: settled again once it is loaded
        self._settled_while_loading: dict[int, list[tuple[int, bool]]] = {}

    @property
    def share(self) -> ShareGroupCoordinator:
        """The share groups' coordinator (KIP-932), built on first use."""
        if self._share is None:
            from .share_group_coordinator import ShareGroupCoordinator

            broker = self._broker
            self._share = ShareGroupCoordinator(self.groups, self._share_config, self.scheduler, broker.metadata,
                                                self._store_records, self.share_persister, self._spawn,
                                                broker.group_configs.effective, self.check_coordinator)
        return self._share

    @property
    def streams(self) -> StreamsGroupCoordinator:
        """The streams groups' coordinator (KIP-1071), built on first use."""
        if self._streams is None:
            from .streams_coordinator import StreamsGroupCoordinator

            broker = self._broker
            self._streams = StreamsGroupCoordinator(self.groups, self.scheduler, broker.metadata, self._store_records,
                                                    broker.group_configs.effective, self._create_internal_topic,
                                                    self._spawn, self.check_coordinator)
        return self._streams

    @property
    def share_offsets(self) -> ShareGroupOffsets:
        """DescribeShareGroupOffsets and its kin, built on first use."""
        if self._share_offsets is None:
            from .share_group_offsets import ShareGroupOffsets

            self._share_offsets = ShareGroupOffsets(self.share, self.end_offsets)
        return self._share_offsets

    def _of_type(self, group_id: str, group_type: str):
        """The group if it is of ``group_type``, else None (without building that type's coordinator)."""
        group = self.groups.get(group_id)
        return group if group is not None and group.group_type == group_type else None

    # -- life cycle ----------------------------------------------------------------------------

    def load(self) -> LoadedOffsets:
        """Replay all of ``__consumer_offsets`` (blocking: a single broker's start-up runs it in a
        worker thread)."""
        return self.topic.load()

    def adopt(self, loaded: LoadedOffsets) -> None:
        """Take over the whole topic: a single broker coordinates every group."""
        self.partitions.own_all()
        self._take(loaded)
        log.info("Loaded %d group(s) and the offsets of %d group(s) from %s",
                 len(loaded.groups) + len(loaded.consumer_groups) + len(loaded.share_groups)
                 + len(loaded.streams_groups), len(loaded.offsets),
                 OFFSETS_TOPIC)

    def _take(self, loaded: LoadedOffsets) -> None:
        self.offsets.add(loaded.offsets, loaded.pending)
        for record in loaded.groups.values():
            self.classic.restore(group_from_record(record))
        for consumer_group in loaded.consumer_groups.values():
            self.consumer.restore(consumer_group.build())
        for share_group in loaded.share_groups.values():
            self.share.restore(share_group)
        for streams_group in loaded.streams_groups.values():
            self.streams.restore(streams_group)

    async def _create_internal_topic(self, name: str, partitions: int, replication_factor: int,
                                     configs: dict[str, str]) -> None:
        """A streams group's internal topic (repartition, changelog), as Kafka's coordinator asks
        its broker to create them."""
        await self._broker.topic_admin.create_topic(name, partitions, replication_factor, configs)

    def _spawn(self, async_fn, *args) -> None:
        """Start a background task (a share group's state initialization) in the coordinator's nursery."""
        self._nursery.start_soon(async_fn, *args)

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self.scheduler.run)
                nursery.start_soon(self._expire_offsets_periodically)
                task_status.started()
        finally:
            with trio.CancelScope(shield=True):
                await self.end_offsets.aclose()

    # -- leadership of __consumer_offsets partitions (cluster mode) ----------------------------

    def on_leadership(self, partition: int, leader_epoch: int, is_leader: bool) -> None:
        """The replica manager's news: this broker leads ``partition`` (from ``leader_epoch``) or
        no longer does. Kafka's onElection and onResignation."""
        if is_leader:
            if self.partitions.elected(partition, leader_epoch):
                self._nursery.start_soon(self._load_partition, partition)
        elif self.partitions.resigned(partition):
            self._unload_partition(partition)

    async def _load_partition(self, partition: int) -> None:
        started = trio.current_time()
        done = await self.partitions.load(partition, self.topic.load_partition,
                                          f"the groups and offsets of {OFFSETS_TOPIC}")
        settled = self._settled_while_loading.pop(partition, [])
        if done is None:
            return
        loaded, epoch = done
        self._take(loaded)
        for producer_id, commit in settled:
            self.offsets.complete_transaction(partition, producer_id, commit)
        log.info("Loaded %d group(s) and the offsets of %d group(s) from %s-%d in %d ms; coordinating them "
                 "at epoch %d", len(loaded.groups) + len(loaded.consumer_groups) + len(loaded.share_groups)
                 + len(loaded.streams_groups),
                 len(loaded.offsets), OFFSETS_TOPIC, partition, (trio.current_time() - started) * 1000, epoch)

    def _unload_partition(self, partition: int) -> None:
        unloaded = 0
        for group_id, group in list(self.groups.items()):
            if self.topic.partition_for(group_id) != partition:
                continue
            del self.groups[group_id]
            if group.group_type == group_types.CONSUMER:
                self.consumer.unload(group)
            elif group.group_type == group_types.SHARE:
                self.share.unload(group)
            elif group.group_type == group_types.STREAMS:
                self.streams.unload(group)
            else:
                self.classic.unload(group)
            unloaded += 1
        self.offsets.drop_partition(partition)
        self._settled_while_loading.pop(partition, None)
        log.info("No longer coordinating the groups of %s-%d (%d unloaded)", OFFSETS_TOPIC, partition, unloaded)

    # -- who coordinates a group ---------------------------------------------------------------

    def coordinator_error(self, group_id: str) -> ErrorCode:
        """NONE if this broker coordinates the group; else NOT_COORDINATOR, or
        COORDINATOR_LOAD_IN_PROGRESS while its partition loads."""
        return self.partitions.error(self.topic.partition_for(group_id))

    def check_coordinator(self, group_id: str) -> None:
        code = self.coordinator_error(group_id)
        if code != ErrorCode.NONE:
            raise GroupError(code)

    def is_loading(self) -> bool:
        return self.partitions.is_loading()

    async def coordinator_of(self, group_id: str) -> int:
        """The broker coordinating the group (FindCoordinator): the leader of its partition, -1 if
        it has none. The topic is created first if it does not exist yet."""
        try:
            await self.topic.ensure_exists()
        except TopicAdminError as exc:
            log.warning("Could not create %s: %s", OFFSETS_TOPIC, exc)
            return -1
        partition = self._broker.metadata.partition(OFFSETS_TOPIC, self.topic.partition_for(group_id))
        return -1 if partition is None else partition.leader

    # -- writes --------------------------------------------------------------------------------

    def ensure_topic(self) -> None:
        """Create the topic before a first write, where this broker may create it alone (a single
        broker; in a cluster, a partition this coordinator owns exists already)."""
        if self.partitions.owns_all and self._broker.metadata.topic(OFFSETS_TOPIC) is None:
            self.topic.ensure_created()

    def _write(self, group_id: str, entries: list[Entry], producer: tuple[int, int] | None = None):
        """Append now, as the group's coordinator; raises GroupError, or CoordinatorWriteError."""
        self.check_coordinator(group_id)
        self.ensure_topic()
        return self.topic.write(group_id, entries, producer,
                                self.partitions.epoch(self.topic.partition_for(group_id)))

    def _store_group(self, group: ClassicGroup) -> Callable[[], Awaitable[ErrorCode]]:
        """Write the group's metadata now; the returned function waits for the ISR and answers as
        Kafka's storeGroup does."""
        try:
            appended = self._write(group.group_id, [group_to_record(group)])
        except GroupError as exc:
            code = exc.code
        except CoordinatorWriteError as exc:
            log.error("Could not store the metadata of group %s: %s", group.group_id, exc)
            code = _group_store_error(exc.code)
        else:
            async def replicated() -> ErrorCode:
                outcome = await self.topic.log.replicated(appended, self.config.offset_commit_timeout_ms)
                if outcome != ErrorCode.NONE:
                    log.warning("The metadata of group %s generation %d was not replicated: %s", group.group_id,
                                group.generation, outcome.name)
                return _group_store_error(outcome)
            return replicated

        async def failed() -> ErrorCode:
            return code
        return failed

    def _store_records(self, group_id: str, records: list[Entry]) -> Callable[[], Awaitable[ErrorCode]]:
        """Write a consumer or share group's records now (GroupError with Kafka's answer if they
        could not be); the returned function waits for the ISR, answering as Kafka answers a
        ConsumerGroupHeartbeat or ShareGroupHeartbeat whose write failed."""
        try:
            appended = self._write(group_id, records)
        except CoordinatorWriteError as exc:
            log.error("Could not store group %s: %s", group_id, exc)
            raise GroupError(_coordinator_write_error(exc.code)) from None

        async def replicated() -> ErrorCode:
            outcome = await self.topic.log.replicated(appended, self.config.offset_commit_timeout_ms)
            if outcome != ErrorCode.NONE:
                log.warning("Group %s's change was not replicated: %s", group_id, outcome.name)
            return _coordinator_write_error(outcome)
        return replicated

    async def commit_offsets(self, group_id: str, commits: list[OffsetCommit],
                             producer: tuple[int, int] | None = None) -> ErrorCode:
        """Store offset commits and, once every in-sync replica has them, publish them (or, for a
        transactional commit by ``producer`` (id, epoch), hold them until its transaction ends).
        NONE, or the error Kafka answers OffsetCommit and TxnOffsetCommit with."""
        if not commits:
            return ErrorCode.NONE
        try:
            appended = self._write(group_id, commits, producer)
        except GroupError as exc:
            return exc.code
        except CoordinatorWriteError as exc:
            log.error("Could not store offsets of group %s: %s", group_id, exc)
            return _offset_commit_error(exc.code)
        outcome = await self.topic.log.replicated(appended, self.config.offset_commit_timeout_ms)
        if outcome != ErrorCode.NONE:
            log.warning("Offsets of group %s were not replicated: %s", group_id, outcome.name)
            return _offset_commit_error(outcome)
        if self.coordinator_error(group_id) == ErrorCode.NONE:  # else its new coordinator reads them from the log
            # one record per commit, in order, from the batch's base offset (see OffsetsTopic.write)
            commits = [replace(commit, record_offset=appended.base_offset + index)
                       for index, commit in enumerate(commits)]
            if producer is None:
                self.offsets.publish(group_id, commits)
            else:
                self.offsets.hold(group_id, producer[0], commits)
        return ErrorCode.NONE

    def complete_transaction(self, partition: int, producer_id: int, commit: bool) -> None:
        """A transaction marker is in ``partition`` of the topic: publish (or drop) the offsets
        that transaction holds for the groups there. Kafka's coordinator learns of it the same way,
        from the WriteTxnMarkers its broker serves."""
        if self.partitions.is_loading(partition):
            self._settled_while_loading.setdefault(partition, []).append((producer_id, commit))
        self.offsets.complete_transaction(partition, producer_id, commit)

    def _write_tombstones(self, group_id: str, entries: list[Tombstone]) -> bool:
        """Tombstones, not waited for; whether they were appended."""
        try:
            self._write(group_id, entries)
        except (GroupError, CoordinatorWriteError) as exc:
            log.warning("Could not write %d tombstone(s) of group %s: %s", len(entries), group_id, exc)
            return False
        return True

    # -- offsets -------------------------------------------------------------------------------

    def check_commit(self, group_id: str, generation: int, member_id: str, instance_id: str | None,
                     transactional: bool = False) -> None:
        """Kafka's rules for who may commit: anyone to a group without members ("simple"
        commits by ``assign()`` users), otherwise only a member of the current generation.
        A ``transactional`` commit (TxnOffsetCommit) that names no member is accepted too (its
        versions before 3 cannot name one), and is not held back by a rebalance."""
        if not group_id:
            raise GroupError(ErrorCode.INVALID_GROUP_ID)
        self.check_coordinator(group_id)
        self.check_not_share_group(group_id)
        consumer_group = self.consumer.consumer_group(group_id)
        if consumer_group is not None:  # KIP-848: by member epoch
            consumer_group.check_offset_commit(member_id, generation)
            return
        streams_group = self._of_type(group_id, group_types.STREAMS)
        if streams_group is not None:  # KIP-1071: by member epoch too
            streams_group.check_offset_commit(member_id, generation)
            return
        group = self.classic.classic_group(group_id)
        if group is None:
            if generation >= 0:
                raise GroupError(ErrorCode.ILLEGAL_GENERATION)
            self.groups[group_id] = ClassicGroup(group_id, state_timestamp_ms=_now_ms())
            return
        if group.state == GroupState.DEAD:
            raise GroupError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        if generation < 0 and group.state == GroupState.EMPTY:
            return
        if transactional and generation < 0 and not member_id and instance_id is None:
            return
        if instance_id is not None and group.static_members.get(instance_id, member_id) != member_id:
            raise GroupError(ErrorCode.FENCED_INSTANCE_ID)
        if member_id not in group.members:
            raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
        if generation != group.generation:
            raise GroupError(ErrorCode.ILLEGAL_GENERATION)
        if group.state == GroupState.COMPLETING_REBALANCE and not transactional:
            raise GroupError(ErrorCode.REBALANCE_IN_PROGRESS)

    def check_fetch(self, group_id: str, member_id: str | None, member_epoch: int) -> None:
        """OffsetFetch v9+ names the member: a consumer group's member must be at its epoch. (A
        share group is answered as a group without offsets, as Kafka answers it.)"""
        self.check_coordinator(group_id)
        consumer_group = self.consumer.consumer_group(group_id)
        if consumer_group is not None:
            consumer_group.check_offset_fetch(member_id, member_epoch)
        streams_group = self._of_type(group_id, group_types.STREAMS)
        if streams_group is not None:
            streams_group.check_offset_fetch(member_id, member_epoch)

    def check_not_share_group(self, group_id: str) -> None:
        """A share group has no committed offsets: Kafka answers offset requests for one as if
        it did not exist."""
        if self._of_type(group_id, group_types.SHARE) is not None:
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a consumer group.")

    def delete_offsets(self, group_id: str, partitions: list[TopicPartition]) -> None:
        """Write the offsets' tombstones and forget them."""
        known = self.offsets.of_group(group_id)
        doomed = [tp for tp in partitions if tp in known]
        if doomed and self._write_tombstones(group_id, [Tombstone(OffsetCommitKey(group_id, t, p)) for t, p in doomed]):
            self.offsets.remove(group_id, doomed)

    def on_topics_deleted(self, topics) -> None:
        """Topics were deleted: every group's offsets of their partitions go too, tombstones
        written (Kafka's GroupCoordinator.onPartitionsDeleted). Left in place, a committed offset
        would outlive its topic and apply to a new topic of the same name: an application reset
        (kafka-streams-application-reset deletes and Streams re-creates its repartition topics)
        would then skip the new topic's first records."""
        topics = set(topics)
        if not topics:
            return
        self.offsets.drop_pending_of_topics(topics)
        for group_id, partitions in self.offsets.of_topics(topics).items():
            log.info("Deleting %d offset(s) of group %s: their topic was deleted", len(partitions), group_id)
            self.delete_offsets(group_id, partitions)

    async def _expire_offsets_periodically(self) -> None:
        interval = self.config.offsets_retention_check_interval_ms / 1000
        while True:
            await trio.sleep(interval)
            self.expire_offsets(_now_ms())

    def expire_offsets(self, now_ms: int) -> None:
        due = self.offsets.expired(now_ms, self.config.offsets_retention_ms, self._empty_since)
        for group_id, stale in due.items():
            log.info("Expiring %d offset(s) of group %s", len(stale), group_id)
            self.delete_offsets(group_id, stale)
            group = self.groups.get(group_id)
            if (not self.offsets.has_offsets(group_id) and group is not None and _is_empty(group)
                    and group.group_type != group_types.SHARE):
                self._forget(group)

    def _empty_since(self, group_id: str) -> int | None:
        group = self.groups.get(group_id)
        if group is None:
            return -1
        if group.group_type == group_types.SHARE or not _is_empty(group):
            return None  # a share group has no offsets, and never expires (Kafka's shouldExpire)
        if group.group_type in (group_types.CONSUMER, group_types.STREAMS):
            return -1  # Kafka expires a consumer or streams group's offsets by their own commit times
        return group.state_timestamp_ms if group.protocol_type else -1

    # -- admin ---------------------------------------------------------------------------------

    async def delete_group(self, group_id: str) -> ErrorCode:
        """DeleteGroups for one group: only an empty one goes, with its offsets (and, a share
        group, its share-partition state first, as in Kafka)."""
        code = self.coordinator_error(group_id)
        if code != ErrorCode.NONE:
            return code
        if self._of_type(group_id, group_types.SHARE) is not None:
            return await self.share.delete(group_id)
        group = self.groups.get(group_id)
        if group is None and not self.offsets.has_offsets(group_id):
            return ErrorCode.GROUP_ID_NOT_FOUND
        if group is not None and not _is_empty(group):
            return ErrorCode.NON_EMPTY_GROUP
        self.delete_offsets(group_id, list(self.offsets.of_group(group_id)))
        if group is not None:
            self._forget(group)
        return ErrorCode.NONE

    def _forget(self, group: ClassicGroup | ConsumerGroup | StreamsGroup) -> None:
        self.groups.pop(group.group_id, None)
        if group.group_type == group_types.STREAMS:
            group.dead = True
            self._write_tombstones(group.group_id, self.streams.tombstones(group))
            return
        if group.group_type == group_types.CONSUMER:
            group.dead = True
            self._write_tombstones(group.group_id, changes(group.group_id, image_of(group), None))
            return
        group.state = GroupState.DEAD
        self._write_tombstones(group.group_id, [Tombstone(GroupMetadataKey(group.group_id))])


def _offset_commit_error(code: ErrorCode) -> ErrorCode:
    """Kafka's answer to an offset commit whose write failed (GroupMetadataManager.storeOffsets)."""
    if code in (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_ENOUGH_REPLICAS,
                ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND):
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if code in _NOT_LEADER:
        return ErrorCode.NOT_COORDINATOR
    if code in (ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.INVALID_FETCH_SIZE):
        return ErrorCode.INVALID_COMMIT_OFFSET_SIZE
    return code


def _coordinator_write_error(code: ErrorCode) -> ErrorCode:
    """Kafka's answer to a KIP-848 or share group operation whose write failed
    (CoordinatorOperationExceptionHelper.handleOperationException)."""
    if code in (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_ENOUGH_REPLICAS,
                ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.REQUEST_TIMED_OUT):
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if code in _NOT_LEADER:
        return ErrorCode.NOT_COORDINATOR
    if code in (ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.INVALID_FETCH_SIZE):
        return ErrorCode.UNKNOWN_SERVER_ERROR
    return code


def _group_store_error(code: ErrorCode) -> ErrorCode:
    """Kafka's answer to a group metadata write that failed (GroupMetadataManager.storeGroup)."""
    if code in (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_ENOUGH_REPLICAS,
                ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND):
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if code in _NOT_LEADER:
        return ErrorCode.NOT_COORDINATOR
    if code == ErrorCode.REQUEST_TIMED_OUT:
        return ErrorCode.REBALANCE_IN_PROGRESS
    if code in (ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.INVALID_FETCH_SIZE):
        return ErrorCode.UNKNOWN_SERVER_ERROR
    return code


# This broker no longer leads the partition (or not at the coordinator epoch), or its disk failed.
_NOT_LEADER = (ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.FENCED_LEADER_EPOCH,
               ErrorCode.UNKNOWN_LEADER_EPOCH)


def _is_empty(group: ClassicGroup | ConsumerGroup | ShareGroup | StreamsGroup) -> bool:
    if group.group_type != group_types.CLASSIC:
        return group.is_empty
    return group.state == GroupState.EMPTY


def _now_ms() -> int:
    return int(time.time() * 1000)
