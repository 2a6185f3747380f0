"""The group coordinator: every group this broker coordinates, their deadlines and offsets.

On a single broker this node coordinates every group. Group state and committed offsets are kept
as records in ``__consumer_offsets`` (created on first use, as Kafka does) and replayed at start-up.
"""

from __future__ import annotations

import logging
import time

import trio

from odradek.storage.errors import StorageError
from odradek.wire import ErrorCode

from .classic_coordinator import ClassicCoordinator
from .classic_group import ClassicGroup, GroupState
from .classic_group_records import group_from_record, group_to_record
from .consumer_coordinator import ConsumerCoordinator
from .consumer_group import ConsumerGroup
from .consumer_group_config import ConsumerGroupConfig
from .group_config import GroupConfig
from .group_error import GroupError
from .offset_store import OffsetStore
from .offsets_records import GroupMetadataKey, Tombstone
from .offsets_topic import OFFSETS_TOPIC, OffsetsTopic
from .scheduler import Scheduler

log = logging.getLogger("odradek.groups")


class GroupCoordinator:
    def __init__(self, broker):
        self.config = GroupConfig.from_broker(broker.config)
        self.scheduler = Scheduler()
        self.groups: dict[str, ClassicGroup | ConsumerGroup] = {}
        self.topic = OffsetsTopic(broker)
        self.offsets = OffsetStore(self.topic)
        self.classic = ClassicCoordinator(self.groups, self.config, self.scheduler, self._store_group)
        self.consumer = ConsumerCoordinator(self.groups, ConsumerGroupConfig.from_broker(broker.config),
                                            self.scheduler, broker.logs, self._forget)

    # -- life cycle ----------------------------------------------------------------------------

    def load(self):
        """Replay ``__consumer_offsets`` (blocking: start-up runs it in a worker thread)."""
        return self.topic.load()

    def adopt(self, loaded) -> None:
        self.offsets.adopt(loaded.offsets, loaded.pending)
        for record in loaded.groups.values():
            self.classic.restore(group_from_record(record))
        log.info("Loaded %d group(s) and the offsets of %d group(s) from %s",
                 len(loaded.groups), len(loaded.offsets), OFFSETS_TOPIC)

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self.scheduler.run)
            nursery.start_soon(self._expire_offsets_periodically)

    def ensure_topic(self) -> None:
        self.topic.ensure_created()

    # -- persistence ---------------------------------------------------------------------------

    def _store_group(self, group: ClassicGroup) -> None:
        try:
            self.ensure_topic()
            self.topic.write(group.group_id, [group_to_record(group)])
        except StorageError as exc:  # e.g. its partition's log directory is offline
            log.error("Could not store the metadata of group %s: %s", group.group_id, exc)
        except Exception:
            log.exception("Could not store the metadata of group %s", group.group_id)

    # -- offsets -------------------------------------------------------------------------------

    def check_commit(self, group_id: str, generation: int, member_id: str, instance_id: str | None,
                     transactional: bool = False) -> None:
        """Kafka's rules for who may commit: anyone to a group without members ("simple"
        commits by ``assign()`` users), otherwise only a member of the current generation.
        A ``transactional`` commit (TxnOffsetCommit) that names no member is accepted too (its
        versions before 3 cannot name one), and is not held back by a rebalance."""
        if not group_id:
            raise GroupError(ErrorCode.INVALID_GROUP_ID)
        consumer_group = self.consumer.consumer_group(group_id)
        if consumer_group is not None:  # KIP-848: by member epoch
            consumer_group.check_offset_commit(member_id, generation)
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
        """OffsetFetch v9+ names the member: a consumer group's member must be at its epoch."""
        consumer_group = self.consumer.consumer_group(group_id)
        if consumer_group is not None:
            consumer_group.check_offset_fetch(member_id, member_epoch)

    async def _expire_offsets_periodically(self) -> None:
        interval = self.config.offsets_retention_check_interval_ms / 1000
        while True:
            await trio.sleep(interval)
            self.expire_offsets(_now_ms())

    def expire_offsets(self, now_ms: int) -> None:
        emptied = self.offsets.expire(now_ms, self.config.offsets_retention_ms, self._empty_since)
        for group_id in emptied:
            group = self.groups.get(group_id)
            if group is not None and _is_empty(group):
                self._forget(group)

    def _empty_since(self, group_id: str) -> int | None:
        group = self.groups.get(group_id)
        if group is None:
            return -1
        if not _is_empty(group):
            return None
        if isinstance(group, ConsumerGroup):
            return -1  # Kafka expires a consumer group's offsets by their own commit times
        return group.state_timestamp_ms if group.protocol_type else -1

    # -- admin ---------------------------------------------------------------------------------

    def delete_group(self, group_id: str) -> ErrorCode:
        group = self.groups.get(group_id)
        if group is None and not self.offsets.has_offsets(group_id):
            return ErrorCode.GROUP_ID_NOT_FOUND
        if group is not None and not _is_empty(group):
            return ErrorCode.NON_EMPTY_GROUP
        self.offsets.delete_group(group_id)
        if group is not None:
            self._forget(group)
        return ErrorCode.NONE

    def _forget(self, group: ClassicGroup | ConsumerGroup) -> None:
        self.groups.pop(group.group_id, None)
        if isinstance(group, ConsumerGroup):
            group.dead = True
            return  # never stored
        group.state = GroupState.DEAD
        self.ensure_topic()
        self.topic.write(group.group_id, [Tombstone(GroupMetadataKey(group.group_id))])


def _is_empty(group: ClassicGroup | ConsumerGroup) -> bool:
    if isinstance(group, ConsumerGroup):
        return group.is_empty
    return group.state == GroupState.EMPTY


def _now_ms() -> int:
    return int(time.time() * 1000)
