"""A share group's records in ``__consumer_offsets``, as Kafka 4.3 writes them, and their replay.

Kafka keeps a share group as six record types, each a key (record type, group, maybe member)
and a value, the latest value per key winning and a null value (tombstone) deleting it:

- ShareGroupMetadata (11): the group epoch and the metadata hash it was computed with;
- ShareGroupMemberMetadata (10): a member's rack, client id and host, subscribed topics;
- ShareGroupTargetAssignmentMetadata (12): the assignment epoch and when it was computed;
- ShareGroupTargetAssignmentMember (13): a member's target partitions;
- ShareGroupCurrentMemberAssignment (14): a member's epochs and assigned partitions;
- ShareGroupStatePartitionMetadata (15): which share-partitions have state (see
  ``share_partition_metadata``).

The coordinator does not change a group directly: a heartbeat turns into records, and the records,
replayed here, are the change (Kafka's design). Start-up replays the same records from the log,
so what a restart finds is what the running broker had. A tombstone of a member's current
assignment leaves the member with epoch -1 until the tombstone of its metadata removes it, as in
Kafka, which checks that order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from odradek.wire import coordinator_records
from odradek.wire.coordinator_records import consumer_offsets
from odradek.wire.schema import Message

from .assignors import Assignment
from .offsets_records import SHARE_GROUP_TYPES
from .share_group import LEAVE_EPOCH, ShareGroup, ShareMember
from .share_partition_metadata import SharePartitionMetadata, TopicPartitions

MEMBER_METADATA = 10
GROUP_METADATA = 11
TARGET_ASSIGNMENT_METADATA = 12
TARGET_ASSIGNMENT_MEMBER = 13
CURRENT_MEMBER_ASSIGNMENT = 14
STATE_PARTITION_METADATA = 15
RECORD_TYPES = SHARE_GROUP_TYPES
MEMBER_RECORD_TYPES = frozenset({MEMBER_METADATA, TARGET_ASSIGNMENT_MEMBER, CURRENT_MEMBER_ASSIGNMENT})

STABLE_STATE = 0  # Kafka's MemberState.STABLE: the only state a share group member is ever in


@dataclass(frozen=True)
class ShareRecordKey:
    record_type: int
    group: str
    member_id: str | None = None  # for the three per-member record types


@dataclass(frozen=True)
class ShareGroupMetadata:
    group: str
    epoch: int
    metadata_hash: int

    @property
    def key(self) -> ShareRecordKey:
        return ShareRecordKey(GROUP_METADATA, self.group)


@dataclass(frozen=True)
class ShareMemberMetadata:
    group: str
    member_id: str
    rack_id: str | None
    client_id: str
    client_host: str
    subscribed_topic_names: tuple[str, ...]

    @property
    def key(self) -> ShareRecordKey:
        return ShareRecordKey(MEMBER_METADATA, self.group, self.member_id)


@dataclass(frozen=True)
class ShareTargetAssignmentMetadata:
    group: str
    assignment_epoch: int
    assignment_timestamp_ms: int

    @property
    def key(self) -> ShareRecordKey:
        return ShareRecordKey(TARGET_ASSIGNMENT_METADATA, self.group)


@dataclass(frozen=True)
class ShareTargetAssignmentMember:
    group: str
    member_id: str
    partitions: Assignment

    @property
    def key(self) -> ShareRecordKey:
        return ShareRecordKey(TARGET_ASSIGNMENT_MEMBER, self.group, self.member_id)


@dataclass(frozen=True)
class ShareCurrentMemberAssignment:
    group: str
    member_id: str
    member_epoch: int
    previous_member_epoch: int
    assigned: Assignment
    state: int = STABLE_STATE

    @property
    def key(self) -> ShareRecordKey:
        return ShareRecordKey(CURRENT_MEMBER_ASSIGNMENT, self.group, self.member_id)


@dataclass(frozen=True)
class ShareStatePartitionMetadata:
    group: str
    partitions: SharePartitionMetadata

    @property
    def key(self) -> ShareRecordKey:
        return ShareRecordKey(STATE_PARTITION_METADATA, self.group)


ShareRecord = (ShareGroupMetadata | ShareMemberMetadata | ShareTargetAssignmentMetadata | ShareTargetAssignmentMember
               | ShareCurrentMemberAssignment | ShareStatePartitionMetadata)


@dataclass(frozen=True)
class ShareTombstone:
    """Deletes what ``key`` held."""

    key: ShareRecordKey

    @property
    def group(self) -> str:
        return self.key.group


ShareEntry = ShareRecord | ShareTombstone


# --- what the coordinator writes -----------------------------------------------------------------

def member_metadata(group_id: str, member: ShareMember) -> ShareMemberMetadata:
    return ShareMemberMetadata(group_id, member.member_id, member.rack_id, member.client_id, member.client_host,
                               tuple(sorted(member.subscribed_topic_names)))


def current_assignment(group_id: str, member: ShareMember) -> ShareCurrentMemberAssignment:
    return ShareCurrentMemberAssignment(group_id, member.member_id, member.member_epoch,
                                        member.previous_member_epoch, member.assigned)


def member_tombstones(group_id: str, member_id: str) -> list[ShareTombstone]:
    """A member leaving: its current assignment, its target, then its metadata, in Kafka's order."""
    return [ShareTombstone(ShareRecordKey(record_type, group_id, member_id))
            for record_type in (CURRENT_MEMBER_ASSIGNMENT, TARGET_ASSIGNMENT_MEMBER, MEMBER_METADATA)]


def group_tombstones(group: ShareGroup) -> list[ShareTombstone]:
    """Everything of a deleted group, in the order Kafka writes it (ShareGroup.createGroupTombstoneRecords)."""
    group_id = group.group_id
    keys = [ShareRecordKey(CURRENT_MEMBER_ASSIGNMENT, group_id, m) for m in group.members]
    keys += [ShareRecordKey(TARGET_ASSIGNMENT_MEMBER, group_id, m) for m in group.members]
    keys.append(ShareRecordKey(TARGET_ASSIGNMENT_METADATA, group_id))
    keys += [ShareRecordKey(MEMBER_METADATA, group_id, m) for m in group.members]
    keys.append(ShareRecordKey(STATE_PARTITION_METADATA, group_id))
    keys.append(ShareRecordKey(GROUP_METADATA, group_id))
    return [ShareTombstone(key) for key in keys]


# --- replay --------------------------------------------------------------------------------------

def replay(groups: dict, entry: ShareEntry) -> ShareGroup | None:
    """Apply one record to the share groups in ``groups`` (group id -> group): Kafka's replay
    methods. A record creates its group if needed; a tombstone for a group or member that is not
    there is ignored. The group the record concerns, if it is (still) there."""
    key = entry.key
    group = groups.get(key.group)
    if group is not None and not isinstance(group, ShareGroup):
        raise ValueError(f"a share group record for group {key.group}, which is not a share group")
    if isinstance(entry, ShareTombstone):
        if group is None:
            return None
        _delete(groups, group, key)
        return groups.get(key.group)
    if group is None:
        group = groups[key.group] = ShareGroup(key.group)
    _update(group, entry)
    return group


def _update(group: ShareGroup, record: ShareRecord) -> None:
    if isinstance(record, ShareGroupMetadata):
        group.group_epoch, group.metadata_hash = record.epoch, record.metadata_hash
    elif isinstance(record, ShareMemberMetadata):
        member = group.members.get(record.member_id) or ShareMember(record.member_id)
        group.members[record.member_id] = replace(
            member, rack_id=record.rack_id, client_id=record.client_id, client_host=record.client_host,
            subscribed_topic_names=frozenset(record.subscribed_topic_names))
    elif isinstance(record, ShareTargetAssignmentMetadata):
        group.assignment_epoch = record.assignment_epoch
        group.assignment_timestamp_ms = record.assignment_timestamp_ms
    elif isinstance(record, ShareTargetAssignmentMember):
        group.target[record.member_id] = record.partitions
    elif isinstance(record, ShareCurrentMemberAssignment):
        member = group.members.get(record.member_id) or ShareMember(record.member_id)
        group.members[record.member_id] = replace(
            member, member_epoch=record.member_epoch, previous_member_epoch=record.previous_member_epoch,
            assigned=record.assigned)
    else:
        group.partitions = record.partitions


def _delete(groups: dict, group: ShareGroup, key: ShareRecordKey) -> None:
    if key.record_type == GROUP_METADATA:
        if group.members or group.target:
            raise ValueError(f"a tombstone for share group {group.group_id}, which still has members")
        del groups[group.group_id]
        group.dead = True
    elif key.record_type == MEMBER_METADATA:
        member = group.members.get(key.member_id)
        if member is None:
            return
        if member.member_epoch != LEAVE_EPOCH or key.member_id in group.target:
            raise ValueError(f"a tombstone for member {key.member_id} of share group {group.group_id}, "
                             "whose assignments are not deleted yet")
        del group.members[key.member_id]
    elif key.record_type == TARGET_ASSIGNMENT_METADATA:
        group.assignment_epoch, group.assignment_timestamp_ms = -1, 0
    elif key.record_type == TARGET_ASSIGNMENT_MEMBER:
        group.target.pop(key.member_id, None)
    elif key.record_type == CURRENT_MEMBER_ASSIGNMENT:
        member = group.members.get(key.member_id)
        if member is not None:
            group.members[key.member_id] = replace(member, member_epoch=LEAVE_EPOCH,
                                                   previous_member_epoch=LEAVE_EPOCH, assigned={})
    else:
        group.partitions = SharePartitionMetadata()


# --- bytes ---------------------------------------------------------------------------------------

def schemas(record_type: int) -> tuple[Message, Message]:
    """A share group record type's key and value schemas (for ``odradek dump-log``)."""
    record = consumer_offsets.RECORD_BY_TYPE[record_type]
    return record.key, record.value


def encode(entry: ShareEntry) -> tuple[bytes, bytes | None]:
    """The record's key and value bytes (the value None for a tombstone), as Kafka 4.3 writes them."""
    record = consumer_offsets.RECORD_BY_TYPE[entry.key.record_type]
    key = {"group_id": entry.key.group}
    if entry.key.member_id is not None:
        key["member_id"] = entry.key.member_id
    value = None if isinstance(entry, ShareTombstone) else _value_fields(entry)
    return coordinator_records.encode_record(record, key, value)


def _value_fields(record: ShareRecord) -> dict:
    if isinstance(record, ShareGroupMetadata):
        return {"epoch": record.epoch, "metadata_hash": record.metadata_hash}
    if isinstance(record, ShareMemberMetadata):
        return {"rack_id": record.rack_id, "client_id": record.client_id, "client_host": record.client_host,
                "subscribed_topic_names": list(record.subscribed_topic_names)}
    if isinstance(record, ShareTargetAssignmentMetadata):
        return {"assignment_epoch": record.assignment_epoch, "assignment_timestamp": record.assignment_timestamp_ms}
    if isinstance(record, ShareTargetAssignmentMember):
        return {"topic_partitions": _topic_partitions(record.partitions)}
    if isinstance(record, ShareCurrentMemberAssignment):
        return {"member_epoch": record.member_epoch, "previous_member_epoch": record.previous_member_epoch,
                "state": record.state, "assigned_partitions": _topic_partitions(record.assigned)}
    partitions = record.partitions
    return {
        "initializing_topics": _topic_partitions_info(partitions.initializing),
        "initialized_topics": _topic_partitions_info(partitions.initialized),
        "deleting_topics": [{"topic_id": t, "topic_name": name} for t, name in partitions.deleting.items()],
    }


def decode(key: bytes, value: bytes | None) -> ShareEntry:
    """The entry a share group record holds; ``DecodeError`` for bad bytes. Share-partition
    metadata read back has no time: the coordinator stamps it when it takes the group over."""
    decoded = coordinator_records.decode_record(consumer_offsets.RECORD_BY_TYPE, key, value)
    record_type = decoded.record.type
    if record_type not in RECORD_TYPES:
        raise coordinator_records.UnknownRecordTypeError(f"record type {record_type} is not a share group's")
    group = decoded.key.group_id
    member_id = decoded.key.member_id if record_type in MEMBER_RECORD_TYPES else None
    if decoded.is_tombstone:
        return ShareTombstone(ShareRecordKey(record_type, group, member_id))
    v = decoded.value
    if record_type == GROUP_METADATA:
        return ShareGroupMetadata(group, v.epoch, v.metadata_hash)
    if record_type == MEMBER_METADATA:
        return ShareMemberMetadata(group, member_id, v.rack_id, v.client_id, v.client_host,
                                   tuple(v.subscribed_topic_names))
    if record_type == TARGET_ASSIGNMENT_METADATA:
        return ShareTargetAssignmentMetadata(group, v.assignment_epoch, v.assignment_timestamp)
    if record_type == TARGET_ASSIGNMENT_MEMBER:
        return ShareTargetAssignmentMember(group, member_id, _assignment(v.topic_partitions))
    if record_type == CURRENT_MEMBER_ASSIGNMENT:
        return ShareCurrentMemberAssignment(group, member_id, v.member_epoch, v.previous_member_epoch,
                                            _assignment(v.assigned_partitions), v.state)

    def by_topic(entries) -> dict[uuid.UUID, TopicPartitions]:
        return {e.topic_id: TopicPartitions(e.topic_name, frozenset(e.partitions)) for e in entries}
    return ShareStatePartitionMetadata(group, SharePartitionMetadata(
        by_topic(v.initializing_topics), by_topic(v.initialized_topics),
        {e.topic_id: e.topic_name for e in v.deleting_topics}))


def _topic_partitions(assignment: Assignment) -> list[dict]:
    return [{"topic_id": t, "partitions": sorted(parts)} for t, parts in assignment.items()]


def _topic_partitions_info(topics) -> list[dict]:
    return [{"topic_id": t, "topic_name": v.name, "partitions": sorted(v.partitions)} for t, v in topics.items()]


def _assignment(entries) -> dict[uuid.UUID, frozenset[int]]:
    assignment: dict[uuid.UUID, frozenset[int]] = {}
    for e in entries:
        assignment[e.topic_id] = assignment.get(e.topic_id, frozenset()) | frozenset(e.partitions)
    return assignment
