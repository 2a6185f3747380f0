"""The records of ``__transaction_state``, in Kafka's TransactionLogKey and TransactionLogValue formats.

Writing what Kafka writes lets Kafka's tools read our topic and us read a topic Kafka wrote.  The
key is an int16 version (0) and the transactional id; the value an int16 version and the
metadata.  A null value (a tombstone) removes the id.  Version 1 of the value is flexible and adds
tagged fields for transaction protocol v2 (KIP-890); Kafka writes version 0 unless the
``transaction.version`` feature is at least 1, and since this broker speaks protocol v1 it
writes version 0 too.  Both are read; a newer value version is read with the v1 layout.
"""

from __future__ import annotations

from collections import defaultdict

from odradek.wire.embedded import decode_embedded, encode_embedded
from odradek.wire.schema import Field, Message

from .txn_metadata import TxnMetadata
from .txn_state import TxnState

TRANSACTION_LOG_KEY = Message(
    name="TransactionLogKey",
    valid_versions="0",
    flexible_versions="none",
    fields=(Field("transactional_id", "string", "0"),),
)

TRANSACTION_LOG_VALUE = Message(
    name="TransactionLogValue",
    valid_versions="0-1",
    flexible_versions="1+",
    fields=(
        Field("producer_id", "int64", "0+"),
        Field("previous_producer_id", "int64", "1+", tag=0, tagged_versions="1+", default=-1),
        Field("next_producer_id", "int64", "1+", tag=1, tagged_versions="1+", default=-1),
        Field("producer_epoch", "int16", "0+"),
        Field("transaction_timeout_ms", "int32", "0+"),
        Field("transaction_status", "int8", "0+"),
        Field("transaction_partitions", "[]PartitionsSchema", "0+", nullable_versions="0+", fields=(
            Field("topic", "string", "0+"),
            Field("partition_ids", "[]int32", "0+"),
        )),
        Field("transaction_last_update_timestamp_ms", "int64", "0+"),
        Field("transaction_start_timestamp_ms", "int64", "0+"),
        Field("client_transaction_version", "int16", "1+", tag=2, tagged_versions="1+", default=0),
    ),
)

KEY_VERSION = 0
VALUE_VERSION = 0


def encode_key(transactional_id: str) -> bytes:
    return encode_embedded(TRANSACTION_LOG_KEY, KEY_VERSION, {"transactional_id": transactional_id})


def decode_key(data: bytes) -> str:
    """The transactional id; raises ``DecodeError`` for a key version other than 0."""
    _, key = decode_embedded(TRANSACTION_LOG_KEY, data)
    return key.transactional_id


def encode_value(metadata: TxnMetadata, version: int = VALUE_VERSION) -> bytes:
    by_topic: dict[str, list[int]] = defaultdict(list)
    for topic, partition in sorted(metadata.partitions):
        by_topic[topic].append(partition)
    return encode_embedded(TRANSACTION_LOG_VALUE, version, {
        "producer_id": metadata.producer_id,
        "previous_producer_id": metadata.previous_producer_id,
        "next_producer_id": -1,
        "producer_epoch": metadata.producer_epoch,
        "transaction_timeout_ms": metadata.timeout_ms,
        "transaction_status": int(metadata.state),
        # Kafka writes no partition list at all (null) for an Empty transaction
        "transaction_partitions": None if metadata.state == TxnState.EMPTY else [
            {"topic": topic, "partition_ids": partitions} for topic, partitions in by_topic.items()
        ],
        "transaction_last_update_timestamp_ms": metadata.last_update_ms,
        "transaction_start_timestamp_ms": metadata.start_ms,
        "client_transaction_version": 0,
    })


def decode_value(transactional_id: str, data: bytes | None) -> TxnMetadata | None:
    """The metadata a value holds, or None for a tombstone.  Raises ``DecodeError`` for bad
    bytes and ``ValueError`` for a state id Kafka does not define."""
    if data is None:
        return None
    _, value = decode_embedded(TRANSACTION_LOG_VALUE, data)
    state = TxnState(value.transaction_status)
    partitions = frozenset(
        (entry.topic, partition)
        for entry in (value.transaction_partitions or []) if state != TxnState.EMPTY
        for partition in entry.partition_ids
    )
    return TxnMetadata(
        transactional_id=transactional_id,
        producer_id=value.producer_id,
        producer_epoch=value.producer_epoch,
        timeout_ms=value.transaction_timeout_ms,
        state=state,
        partitions=partitions,
        start_ms=value.transaction_start_timestamp_ms,
        last_update_ms=value.transaction_last_update_timestamp_ms,
        previous_producer_id=value.previous_producer_id,
    )
