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

A key is its int16 type and the key's fields (non-flexible strings, as for the older types: the
type works as the key's version in ``encode_embedded``); a value is int16 version 0 and the
value's fields in the flexible encoding, as Kafka 4.3 writes them (its tagged fields: the
metadata hash, the assignment timestamp, each partition's assignment epoch (KIP-1251), and a
member's classic-protocol metadata). Kafka 4.1 replaced type 4 by the metadata hash: it only
writes tombstones for it, and so does odradek; a value of that type is read only to know that
one exists.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from odradek.wire.embedded import decode_embedded, encode_embedded
from odradek.wire.schema import Field, Message

GROUP_EPOCH_TYPE = 3
PARTITION_METADATA_TYPE = 4
MEMBER_METADATA_TYPE = 5
TARGET_ASSIGNMENT_EPOCH_TYPE = 6
TARGET_ASSIGNMENT_MEMBER_TYPE = 7
CURRENT_ASSIGNMENT_TYPE = 8

VALUE_VERSION = 0

#: (topic id -> partition -> the epoch it was assigned at)
PartitionEpochs = Mapping[uuid.UUID, Mapping[int, int]]


def _group_key(name: str, type_: int) -> Message:
    return Message(name=name, valid_versions=str(type_), flexible_versions="none",
                   fields=(Field("group_id", "string", "0+"),))


def _member_key(name: str, type_: int) -> Message:
    return Message(name=name, valid_versions=str(type_), flexible_versions="none",
                   fields=(Field("group_id", "string", "0+"), Field("member_id", "string", "0+")))


GROUP_EPOCH_KEY = _group_key("ConsumerGroupMetadataKey", GROUP_EPOCH_TYPE)
PARTITION_METADATA_KEY = _group_key("ConsumerGroupPartitionMetadataKey", PARTITION_METADATA_TYPE)
MEMBER_METADATA_KEY = _member_key("ConsumerGroupMemberMetadataKey", MEMBER_METADATA_TYPE)
TARGET_ASSIGNMENT_EPOCH_KEY = _group_key("ConsumerGroupTargetAssignmentMetadataKey", TARGET_ASSIGNMENT_EPOCH_TYPE)
TARGET_ASSIGNMENT_MEMBER_KEY = _member_key("ConsumerGroupTargetAssignmentMemberKey", TARGET_ASSIGNMENT_MEMBER_TYPE)
CURRENT_ASSIGNMENT_KEY = _member_key("ConsumerGroupCurrentMemberAssignmentKey", CURRENT_ASSIGNMENT_TYPE)

GROUP_EPOCH_VALUE = Message(
    name="ConsumerGroupMetadataValue",
    valid_versions="0",
    flexible_versions="0+",
    fields=(
        Field("epoch", "int32", "0+"),
        Field("metadata_hash", "int64", "0+", tag=0, tagged_versions="0+", default=0),
    ),
)

PARTITION_METADATA_VALUE = Message(
    name="ConsumerGroupPartitionMetadataValue",
    valid_versions="0",
    flexible_versions="0+",
    fields=(
        Field("topics", "[]TopicMetadata", "0+", fields=(
            Field("topic_id", "uuid", "0+"),
            Field("topic_name", "string", "0+"),
            Field("num_partitions", "int32", "0+"),
            Field("partition_metadata", "[]PartitionMetadata", "0+", fields=(
                Field("partition", "int32", "0+"),
                Field("racks", "[]string", "0+"),
            )),
        )),
    ),
)

MEMBER_METADATA_VALUE = Message(
    name="ConsumerGroupMemberMetadataValue",
    valid_versions="0",
    flexible_versions="0+",
    fields=(
        Field("instance_id", "string", "0+", nullable_versions="0+"),
        Field("rack_id", "string", "0+", nullable_versions="0+"),
        Field("client_id", "string", "0+"),
        Field("client_host", "string", "0+"),
        Field("subscribed_topic_names", "[]string", "0+"),
        Field("subscribed_topic_regex", "string", "0+", nullable_versions="0+"),
        Field("rebalance_timeout_ms", "int32", "0+", default=-1),
        Field("server_assignor", "string", "0+", nullable_versions="0+"),
        Field("classic_member_metadata", "ClassicMemberMetadata", "0+", nullable_versions="0+", default=None,
              tag=0, tagged_versions="0+", fields=(
                  Field("session_timeout_ms", "int32", "0+"),
                  Field("supported_protocols", "[]ClassicProtocol", "0+", fields=(
                      Field("name", "string", "0+"),
                      Field("metadata", "bytes", "0+"),
                  )),
              )),
    ),
)

TARGET_ASSIGNMENT_EPOCH_VALUE = Message(
    name="ConsumerGroupTargetAssignmentMetadataValue",
    valid_versions="0",
    flexible_versions="0+",
    fields=(
        Field("assignment_epoch", "int32", "0+"),
        Field("assignment_timestamp", "int64", "0+", tag=0, tagged_versions="0+", default=0),
    ),
)

TARGET_ASSIGNMENT_MEMBER_VALUE = Message(
    name="ConsumerGroupTargetAssignmentMemberValue",
    valid_versions="0",
    flexible_versions="0+",
    fields=(
        Field("topic_partitions", "[]TopicPartition", "0+", fields=(
            Field("topic_id", "uuid", "0+"),
            Field("partitions", "[]int32", "0+"),
        )),
    ),
)

_TOPIC_PARTITIONS = (
    Field("topic_id", "uuid", "0+"),
    Field("partitions", "[]int32", "0+"),
    Field("assignment_epochs", "[]int32", "0+", nullable_versions="0+", default=None, tag=0, tagged_versions="0+"),
)

CURRENT_ASSIGNMENT_VALUE = Message(
    name="ConsumerGroupCurrentMemberAssignmentValue",
    valid_versions="0",
    flexible_versions="0+",
    fields=(
        Field("member_epoch", "int32", "0+"),
        Field("previous_member_epoch", "int32", "0+"),
        Field("state", "int8", "0+"),
        Field("assigned_partitions", "[]TopicPartitions", "0+", fields=_TOPIC_PARTITIONS),
        Field("partitions_pending_revocation", "[]TopicPartitions", "0+", fields=_TOPIC_PARTITIONS),
    ),
)

SCHEMAS: dict[int, tuple[Message, Message]] = {
    GROUP_EPOCH_TYPE: (GROUP_EPOCH_KEY, GROUP_EPOCH_VALUE),
    PARTITION_METADATA_TYPE: (PARTITION_METADATA_KEY, PARTITION_METADATA_VALUE),
    MEMBER_METADATA_TYPE: (MEMBER_METADATA_KEY, MEMBER_METADATA_VALUE),
    TARGET_ASSIGNMENT_EPOCH_TYPE: (TARGET_ASSIGNMENT_EPOCH_KEY, TARGET_ASSIGNMENT_EPOCH_VALUE),
    TARGET_ASSIGNMENT_MEMBER_TYPE: (TARGET_ASSIGNMENT_MEMBER_KEY, TARGET_ASSIGNMENT_MEMBER_VALUE),
    CURRENT_ASSIGNMENT_TYPE: (CURRENT_ASSIGNMENT_KEY, CURRENT_ASSIGNMENT_VALUE),
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
    return record_type in SCHEMAS


# --- keys ----------------------------------------------------------------------------------------

def encode_key(key: ConsumerGroupKey) -> bytes:
    schema, _ = SCHEMAS[key.record_type]
    fields = {"group_id": key.group}
    if key.record_type in _MEMBER_TYPES:
        fields["member_id"] = key.member_id
    return encode_embedded(schema, key.record_type, fields)


def decode_key(data: bytes) -> ConsumerGroupKey:
    """``data`` must start with one of this module's record types."""
    record_type, fields = decode_embedded(SCHEMAS[int.from_bytes(data[:2], "big", signed=True)][0], data)
    return ConsumerGroupKey(record_type, fields.group_id,
                            fields.member_id if record_type in _MEMBER_TYPES else None)


# --- values --------------------------------------------------------------------------------------

def encode_value(entry: ConsumerGroupEntry) -> bytes:
    schema = SCHEMAS[entry.key.record_type][1]
    return encode_embedded(schema, VALUE_VERSION, _value_fields(entry))


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
    _, value = decode_embedded(SCHEMAS[key.record_type][1], data)
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
