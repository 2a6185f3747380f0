"""The records of ``__consumer_offsets``, in Kafka's own key and value formats.

Writing exactly what Kafka writes lets Kafka's tools read our topic (``kafka-dump-log
--offsets-decoder``, the console consumer's offsets formatter) and lets us read a topic Kafka
wrote.  A key is an int16 record type followed by the key's fields: types 0 and 1 are an
offset commit (group, topic, partition), type 2 a classic group's metadata (group), types 3-8 a
consumer group of the KIP-848 protocol (see ``consumer_group_records``), types 10-15 a share
group's (``share_group_records``), types 17 and 19-23 a streams group's
(``streams_group_records``); the other types (resolved regular expressions) are not kept.  A value is an int16 version followed by that version's fields; a null value (a
tombstone) deletes the key.

Versions written are those Kafka 4 writes: key type 1 for offset commits, OffsetCommitValue
v3 (v1 when the commit carries an explicit expire timestamp, the only version holding one)
and GroupMetadataValue v3.  Every version up to 4 (the first flexible one) is read; newer
ones are read with the v4 layout, as Kafka promises they only add tagged fields.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Union

from odradek.wire import DecodeError
from odradek.wire.embedded import decode_embedded, encode_embedded
from odradek.wire.schema import Field, Message

from . import consumer_group_records as consumer_records
from .consumer_group_records import ConsumerGroupEntry, ConsumerGroupKey

if TYPE_CHECKING:
    from .share_group_records import ShareEntry, ShareRecordKey
    from .streams_group_records import StreamsRecord, StreamsRecordKey

#: The record types of a share group's records (10-15) and a streams group's (17, 19-23). The
#: modules that keep them are imported with the first such record (``kind_records``): most brokers
#: never coordinate either kind, and importing them was a twentieth of start-up.
SHARE_GROUP_TYPES = frozenset(range(10, 16))
STREAMS_GROUP_TYPES = frozenset({17, 19, 20, 21, 22, 23})

OFFSET_COMMIT_KEY = Message(
    name="OffsetCommitKey",
    valid_versions="0-1",
    flexible_versions="none",
    fields=(
        Field("group", "string", "0+"),
        Field("topic", "string", "0+"),
        Field("partition", "int32", "0+"),
    ),
)

GROUP_METADATA_KEY = Message(
    name="GroupMetadataKey",
    valid_versions="2",
    flexible_versions="none",
    fields=(Field("group", "string", "2"),),
)

OFFSET_COMMIT_VALUE = Message(
    name="OffsetCommitValue",
    valid_versions="0-4",
    flexible_versions="4+",
    fields=(
        Field("offset", "int64", "0+"),
        Field("leader_epoch", "int32", "3+", default=-1),
        Field("metadata", "string", "0+"),
        Field("commit_timestamp", "int64", "0+"),
        Field("expire_timestamp", "int64", "1", default=-1),
        # Kafka 4 writes v4 with the topic's ID; we read past it (commits are keyed by name)
        Field("topic_id", "uuid", "4+", tag=0, tagged_versions="4+"),
    ),
)

GROUP_METADATA_VALUE = Message(
    name="GroupMetadataValue",
    valid_versions="0-4",
    flexible_versions="4+",
    fields=(
        Field("protocol_type", "string", "0+"),
        Field("generation", "int32", "0+"),
        Field("protocol", "string", "0+", nullable_versions="0+"),
        Field("leader", "string", "0+", nullable_versions="0+"),
        Field("current_state_timestamp", "int64", "2+", default=-1),
        Field("members", "[]MemberMetadata", "0+", fields=(
            Field("member_id", "string", "0+"),
            Field("group_instance_id", "string", "3+", nullable_versions="3+", default=None),
            Field("client_id", "string", "0+"),
            Field("client_host", "string", "0+"),
            Field("rebalance_timeout", "int32", "1+"),
            Field("session_timeout", "int32", "0+"),
            Field("subscription", "bytes", "0+"),
            Field("assignment", "bytes", "0+"),
        )),
    ),
)

OFFSET_COMMIT_KEY_TYPE = 1  # type 0 is the same key, written by Kafka before 0.10.1
GROUP_METADATA_KEY_TYPE = 2
OFFSET_COMMIT_VALUE_VERSION = 3
OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1
GROUP_METADATA_VALUE_VERSION = 3

_RECORD_TYPE = struct.Struct(">h")


class UnknownRecordTypeError(DecodeError):
    """A key of a record type this broker does not keep (streams groups');
    readers skip such records, as Kafka's loader skips types it does not know."""


@dataclass(frozen=True)
class OffsetCommitKey:
    group: str
    topic: str
    partition: int


@dataclass(frozen=True)
class GroupMetadataKey:
    group: str


Key = Union[OffsetCommitKey, GroupMetadataKey, ConsumerGroupKey, "ShareRecordKey", "StreamsRecordKey"]


@dataclass(frozen=True)
class OffsetCommit:
    """A committed offset; ``metadata`` is "" when the client sent none, ``leader_epoch`` and
    ``expire_timestamp_ms`` are -1 when unknown or unset."""

    group: str
    topic: str
    partition: int
    offset: int
    leader_epoch: int
    metadata: str
    commit_timestamp_ms: int
    expire_timestamp_ms: int = -1
    # where the commit's record sits in __consumer_offsets (-1 until written): of a transactional
    # commit and a plain one for the same partition, the later in the log wins (Kafka's
    # OffsetAndMetadata.recordOffset). Not part of what was committed, so not compared.
    record_offset: int = field(default=-1, compare=False)

    @property
    def key(self) -> OffsetCommitKey:
        return OffsetCommitKey(self.group, self.topic, self.partition)


@dataclass(frozen=True)
class MemberMetadata:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    subscription: bytes  # the member's metadata for the group's chosen protocol
    assignment: bytes


@dataclass(frozen=True)
class GroupMetadata:
    """A classic group as the coordinator persists it after each generation (and when it empties)."""

    group: str
    protocol_type: str
    generation: int
    protocol: str | None
    leader: str | None
    current_state_timestamp_ms: int
    members: list[MemberMetadata]

    @property
    def key(self) -> GroupMetadataKey:
        return GroupMetadataKey(self.group)


@dataclass(frozen=True)
class Tombstone:
    """Deletes whatever ``key`` held: a committed offset or a group's metadata."""

    key: Key

    @property
    def group(self) -> str:
        return self.key.group


Entry = Union[OffsetCommit, GroupMetadata, ConsumerGroupEntry, Tombstone, "ShareEntry", "StreamsRecord"]


def kind_records(record_type: int | None) -> ModuleType | None:
    """``share_group_records`` or ``streams_group_records`` for a record type of theirs (imported
    now if need be), else None."""
    if record_type in SHARE_GROUP_TYPES:
        from . import share_group_records

        return share_group_records
    if record_type in STREAMS_GROUP_TYPES:
        from . import streams_group_records

        return streams_group_records
    return None


def entry_kind_records(entry: Entry) -> ModuleType | None:
    """``kind_records`` of an entry: the keys of the group kinds' records carry their type."""
    return kind_records(getattr(entry.key, "record_type", None))


# --- keys ----------------------------------------------------------------------------------------

def encode_key(key: Key, record_type: int | None = None) -> bytes:
    """The key's bytes; ``record_type`` defaults to the type Kafka 4 writes."""
    if isinstance(key, OffsetCommitKey):
        fields = {"group": key.group, "topic": key.topic, "partition": key.partition}
        return encode_embedded(OFFSET_COMMIT_KEY, _or(record_type, OFFSET_COMMIT_KEY_TYPE), fields)
    if isinstance(key, ConsumerGroupKey):
        return consumer_records.encode_key(key)
    return encode_embedded(GROUP_METADATA_KEY, _or(record_type, GROUP_METADATA_KEY_TYPE), {"group": key.group})


def record_type(key: bytes) -> int:
    """The record type a key starts with; ``DecodeError`` if it is too short to hold one."""
    if len(key) < _RECORD_TYPE.size:
        raise DecodeError("key too short for its record type")
    return _RECORD_TYPE.unpack_from(key)[0]


def record_schemas(type_: int) -> tuple[Message, Message]:
    """The key and value schemas of a record type; ``UnknownRecordTypeError`` for the types we do not keep."""
    if type_ in OFFSET_COMMIT_KEY.valid_versions:
        return OFFSET_COMMIT_KEY, OFFSET_COMMIT_VALUE
    if type_ in GROUP_METADATA_KEY.valid_versions:
        return GROUP_METADATA_KEY, GROUP_METADATA_VALUE
    if consumer_records.is_consumer_group_type(type_):
        return consumer_records.schemas(type_)
    kind = kind_records(type_)
    if kind is not None:
        return kind.schemas(type_)
    raise UnknownRecordTypeError(f"unknown __consumer_offsets record type {type_}")


def decode_key(data: bytes) -> Key:
    """Raises ``UnknownRecordTypeError`` for record types other than 0-8 and 10-15, ``DecodeError``
    for bad bytes."""
    type_ = record_type(data)
    if consumer_records.is_consumer_group_type(type_):
        return consumer_records.decode_key(data)
    kind = kind_records(type_)
    if kind is not None:
        return kind.decode(data, None).key
    schema, _ = record_schemas(type_)
    _, fields = decode_embedded(schema, data)
    if schema is OFFSET_COMMIT_KEY:
        return OffsetCommitKey(fields.group, fields.topic, fields.partition)
    return GroupMetadataKey(fields.group)


# --- values --------------------------------------------------------------------------------------

def encode_value(entry: OffsetCommit | GroupMetadata | ConsumerGroupEntry, version: int | None = None) -> bytes:
    """The value's bytes; ``version`` defaults to the version Kafka 4 writes for ``entry``."""
    if isinstance(entry.key, ConsumerGroupKey):
        return consumer_records.encode_value(entry)
    if isinstance(entry, OffsetCommit):
        if version is None:
            version = (OFFSET_COMMIT_VALUE_VERSION if entry.expire_timestamp_ms == -1
                       else OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY)
        return encode_embedded(OFFSET_COMMIT_VALUE, version, {
            "offset": entry.offset, "leader_epoch": entry.leader_epoch, "metadata": entry.metadata,
            "commit_timestamp": entry.commit_timestamp_ms, "expire_timestamp": entry.expire_timestamp_ms,
        })
    return encode_embedded(GROUP_METADATA_VALUE, _or(version, GROUP_METADATA_VALUE_VERSION), {
        "protocol_type": entry.protocol_type, "generation": entry.generation, "protocol": entry.protocol,
        "leader": entry.leader, "current_state_timestamp": entry.current_state_timestamp_ms,
        "members": [
            {"member_id": m.member_id, "group_instance_id": m.group_instance_id, "client_id": m.client_id,
             "client_host": m.client_host, "rebalance_timeout": m.rebalance_timeout_ms,
             "session_timeout": m.session_timeout_ms, "subscription": m.subscription,
             "assignment": m.assignment}
            for m in entry.members
        ],
    })


def decode_value(key: Key, data: bytes | None) -> Entry:
    """The entry ``key`` and its value make; a null value is a ``Tombstone``.

    Fields a version lacks take Kafka's defaults (-1 epochs and timestamps, no instance id);
    a v0 member's rebalance timeout is its session timeout, as Kafka reads it.
    """
    if data is None:
        return Tombstone(key)
    if isinstance(key, ConsumerGroupKey):
        return consumer_records.decode_value(key, data)
    if isinstance(key, OffsetCommitKey):
        _, value = decode_embedded(OFFSET_COMMIT_VALUE, data)
        return OffsetCommit(key.group, key.topic, key.partition, value.offset, value.leader_epoch,
                            value.metadata, value.commit_timestamp, value.expire_timestamp)
    version, value = decode_embedded(GROUP_METADATA_VALUE, data)
    members = [
        MemberMetadata(m.member_id, m.group_instance_id, m.client_id, m.client_host,
                       m.session_timeout if version == 0 else m.rebalance_timeout, m.session_timeout,
                       m.subscription, m.assignment)
        for m in value.members
    ]
    return GroupMetadata(key.group, value.protocol_type, value.generation, value.protocol, value.leader,
                         value.current_state_timestamp, members)


# --- whole records -------------------------------------------------------------------------------

def encode_record(entry: Entry) -> tuple[bytes, bytes | None]:
    """The (key, value) of a record holding ``entry``; a tombstone's value is None."""
    kind = entry_kind_records(entry)
    if kind is not None:
        return kind.encode(entry)
    if isinstance(entry, Tombstone):
        return encode_key(entry.key), None
    return encode_key(entry.key), encode_value(entry)


def decode_record(key: bytes, value: bytes | None) -> Entry:
    """Raises ``UnknownRecordTypeError`` for records of types we do not keep."""
    kind = kind_records(record_type(key))
    if kind is not None:
        return kind.decode(key, value)
    return decode_value(decode_key(key), value)


def _or(given: int | None, default: int) -> int:
    return default if given is None else given
