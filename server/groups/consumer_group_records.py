"""The records of a consumer group (KIP-848) in ``__consumer_offsets``, in Kafka's formats.

Kafka keeps a consumer group as several records rather than one, so that a heartbeat writes
only what it changed:

====  ======================================  =============================================
type  key (group, member)                     value
====  ======================================  =============================================
3     ConsumerGroupMetadata                   the group epoch and its subscription metadata hash
4     ConsumerGroupPartitionMetadata          subscribed topics' metadata (Kafka before 4.1)
5     ConsumerGroupMemberMetadata             a member's subscription and client
6     ConsumerGroupTargetAssignmentMetadata   the epoch of the target assignment
7     ConsumerGroupTargetAssignmentMember     a member's target partitions
8     ConsumerGroupCurrentMemberAssignment    a member's epochs, state and owned partitions
====  ======================================  =============================================

The bytes are Kafka's (``wire/coordinator_records``): a key is its int16 type and the key's
fields, a value int16 version 0 and the value's fields, as Kafka 4.3 writes them (with its
tagged fields: the metadata hash, the assignment timestamp, each partition's assignment epoch
(KIP-1251), a member's classic-protocol metadata). Kafka 4.1 replaced type 4 by the metadata hash: it only
writes tombstones for it, and so does odradek; a value of that type is read only to know that
one exists.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from odradek.wire import coordinator_records
from odradek.wire.coordinator_records import consumer_offsets
from odradek.wire.schema import CoordinatorRecord, Message

GROUP_EPOCH_TYPE = 3
PARTITION_METADATA_TYPE = 4
MEMBER_METADATA_TYPE = 5
TARGET_ASSIGNMENT_EPOCH_TYPE = 6
TARGET_ASSIGNMENT_MEMBER_TYPE = 7
CURRENT_ASSIGNMENT_TYPE = 8

#: (topic id -> partition -> the epoch it was assigned at)
PartitionEpochs = Mapping[uuid.UUID, Mapping[int, int]]


#: The schemas of each type (Kafka's, generated into ``wire/coordinator_records``).
RECORDS: dict[int, CoordinatorRecord] = {
    record.type: record for record in (
        consumer_offsets.CONSUMER_GROUP_METADATA, consumer_offsets.CONSUMER_GROUP_PARTITION_METADATA,
        consumer_offsets.CONSUMER_GROUP_MEMBER_METADATA, consumer_offsets.CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA,
        consumer_offsets.CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER,
        consumer_offsets.CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT)
}
_MEMBER_TYPES = frozenset({MEMBER_METADATA_TYPE, TARGET_ASSIGNMENT_MEMBER_TYPE, CURRENT_ASSIGNMENT_TYPE})


class MemberStateCode(enum.IntEnum):
    """A member's reconciliation state as the current-assignment record stores it (Kafka's
    MemberState values)."""

    STABLE = 0
    UNREVOKED_PARTITIONS = 1
    UNRELEASED_PARTITIONS = 2
    UNKNOWN = 127


@dataclass(frozen=True)
class ConsumerGroupKey:
    """The key of one consumer-group record: its type, the group, and the member for the
    per-member types."""

    record_type: int
    group: str
    member_id: str | None = None


@dataclass(frozen=True)
class GroupEpoch:
    group: str
    epoch: int
    metadata_hash: int = 0

    @property
    def key(self) -> ConsumerGroupKey:
        return ConsumerGroupKey(GROUP_EPOCH_TYPE, self.group)


@dataclass(frozen=True)
class PartitionMetadata:
    """Subscription metadata Kafka wrote before 4.1; only its presence matters (it is deleted)."""

    group: str

    @property
    def key(self) -> ConsumerGroupKey:
        return ConsumerGroupKey(PARTITION_METADATA_TYPE, self.group)


@dataclass(frozen=True)
class ClassicMemberMetadata:
    """What a member using the classic protocol in a consumer group joined with."""

    session_timeout_ms: int
    supported_protocols: tuple[tuple[str, bytes], ...]  # (name, metadata), in preference order


@dataclass(frozen=True)
class MemberSubscription:
    group: str
    member_id: str
    instance_id: str | None
    rack_id: str | None
    client_id: str
    client_host: str
    subscribed_topic_names: tuple[str, ...]
    subscribed_topic_regex: str | None
    rebalance_timeout_ms: int
    server_assignor: str | None
    classic: ClassicMemberMetadata | None = None

    @property
    def key(self) -> ConsumerGroupKey:
        return ConsumerGroupKey(MEMBER_METADATA_TYPE, self.group, self.member_id)


@dataclass(frozen=True)
class TargetAssignmentEpoch:
    group: str
    assignment_epoch: int
    assignment_timestamp_ms: int = 0

    @property
    def key(self) -> ConsumerGroupKey:
        return ConsumerGroupKey(TARGET_ASSIGNMENT_EPOCH_TYPE, self.group)


@dataclass(frozen=True)
class TargetAssignment:
    group: str
    member_id: str
    partitions: Mapping[uuid.UUID, frozenset[int]]

    @property
    def key(self) -> ConsumerGroupKey:
        return ConsumerGroupKey(TARGET_ASSIGNMENT_MEMBER_TYPE, self.group, self.member_id)


@dataclass(frozen=True)
class CurrentAssignment:
    group: str
    member_id: str
    member_epoch: int
    previous_member_epoch: int
    state: int  # a MemberStateCode
    assigned: PartitionEpochs = field(default_factory=dict)
    pending_revocation: PartitionEpochs = field(default_factory=dict)

    @property
    def key(self) -> ConsumerGroupKey:
        return ConsumerGroupKey(CURRENT_ASSIGNMENT_TYPE, self.group, self.member_id)


ConsumerGroupEntry = (GroupEpoch | PartitionMetadata | MemberSubscription | TargetAssignmentEpoch
                      | TargetAssignment | CurrentAssignment)


def is_consumer_group_type(record_type: int) -> bool:
    return record_type in RECORDS


def schemas(record_type: int) -> tuple[Message, Message]:
    record = RECORDS[record_type]
    return record.key, record.value


# --- keys ----------------------------------------------------------------------------------------

def encode_key(key: ConsumerGroupKey) -> bytes:
    fields = {"group_id": key.group}
    if key.record_type in _MEMBER_TYPES:
        fields["member_id"] = key.member_id
    return coordinator_records.encode_key(RECORDS[key.record_type], fields)


def decode_key(data: bytes) -> ConsumerGroupKey:
    """``data`` must start with one of this module's record types."""
    record, fields = coordinator_records.decode_key(RECORDS, data)
    return ConsumerGroupKey(record.type, fields.group_id, fields.member_id if record.type in _MEMBER_TYPES else None)


# --- values --------------------------------------------------------------------------------------

def encode_value(entry: ConsumerGroupEntry) -> bytes:
    return coordinator_records.encode_value(RECORDS[entry.key.record_type], _value_fields(entry))


def _value_fields(entry: ConsumerGroupEntry) -> dict:
    if isinstance(entry, GroupEpoch):
        return {"epoch": entry.epoch, "metadata_hash": entry.metadata_hash}
    if isinstance(entry, PartitionMetadata):
        return {"topics": []}
    if isinstance(entry, MemberSubscription):
        classic = None if entry.classic is None else {
            "session_timeout_ms": entry.classic.session_timeout_ms,
            "supported_protocols": [{"name": n, "metadata": m} for n, m in entry.classic.supported_protocols],
        }
        return {"instance_id": entry.instance_id, "rack_id": entry.rack_id, "client_id": entry.client_id,
                "client_host": entry.client_host, "subscribed_topic_names": sorted(entry.subscribed_topic_names),
                "subscribed_topic_regex": entry.subscribed_topic_regex,
                "rebalance_timeout_ms": entry.rebalance_timeout_ms, "server_assignor": entry.server_assignor,
                "classic_member_metadata": classic}
    if isinstance(entry, TargetAssignmentEpoch):
        return {"assignment_epoch": entry.assignment_epoch, "assignment_timestamp": entry.assignment_timestamp_ms}
    if isinstance(entry, TargetAssignment):
        return {"topic_partitions": [{"topic_id": topic_id, "partitions": sorted(partitions)}
                                     for topic_id, partitions in entry.partitions.items()]}
    return {"member_epoch": entry.member_epoch, "previous_member_epoch": entry.previous_member_epoch,
            "state": entry.state, "assigned_partitions": _with_epochs(entry.assigned),
            "partitions_pending_revocation": _with_epochs(entry.pending_revocation)}


def _with_epochs(partitions: PartitionEpochs) -> list[dict]:
    out = []
    for topic_id, epochs in partitions.items():
        ordered = sorted(epochs)
        out.append({"topic_id": topic_id, "partitions": ordered, "assignment_epochs": [epochs[p] for p in ordered]})
    return out


def decode_value(key: ConsumerGroupKey, data: bytes) -> ConsumerGroupEntry:
    """The entry of a (non-null) value; fields newer versions add are read past."""
    _, value = coordinator_records.decode_value(RECORDS[key.record_type], data)
    group, member_id = key.group, key.member_id
    if key.record_type == GROUP_EPOCH_TYPE:
        return GroupEpoch(group, value.epoch, value.metadata_hash)
    if key.record_type == PARTITION_METADATA_TYPE:
        return PartitionMetadata(group)
    if key.record_type == MEMBER_METADATA_TYPE:
        classic = value.classic_member_metadata
        return MemberSubscription(
            group, member_id, value.instance_id, value.rack_id, value.client_id, value.client_host,
            tuple(value.subscribed_topic_names), value.subscribed_topic_regex, value.rebalance_timeout_ms,
            value.server_assignor,
            None if classic is None else ClassicMemberMetadata(
                classic.session_timeout_ms, tuple((p.name, bytes(p.metadata)) for p in classic.supported_protocols)),
        )
    if key.record_type == TARGET_ASSIGNMENT_EPOCH_TYPE:
        return TargetAssignmentEpoch(group, value.assignment_epoch, value.assignment_timestamp)
    if key.record_type == TARGET_ASSIGNMENT_MEMBER_TYPE:
        partitions: dict[uuid.UUID, frozenset[int]] = {}
        for tp in value.topic_partitions:
            partitions[tp.topic_id] = partitions.get(tp.topic_id, frozenset()) | frozenset(tp.partitions)
        return TargetAssignment(group, member_id, partitions)
    return CurrentAssignment(group, member_id, value.member_epoch, value.previous_member_epoch, value.state,
                             _epochs_of(value.assigned_partitions, value.member_epoch),
                             _epochs_of(value.partitions_pending_revocation, value.member_epoch))


def _epochs_of(topic_partitions, member_epoch: int) -> dict[uuid.UUID, dict[int, int]]:
    """Partitions with the epoch each was assigned at; records written before KIP-1251 have
    none, and their partitions count as assigned at the member's epoch."""
    out: dict[uuid.UUID, dict[int, int]] = {}
    for tp in topic_partitions:
        epochs = tp.assignment_epochs
        if epochs is None or len(epochs) != len(tp.partitions):
            epochs = [member_epoch] * len(tp.partitions)
        out.setdefault(tp.topic_id, {}).update(zip(tp.partitions, epochs))
    return out
