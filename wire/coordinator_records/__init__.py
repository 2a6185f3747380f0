"""The records Kafka's coordinators keep in their internal topics, in Kafka's own bytes.

Kafka's group coordinator keeps its KIP-848 consumer groups and its share groups in
``__consumer_offsets`` (``consumer_offsets.RECORD_BY_TYPE``), and its share coordinator keeps
each share-partition's state in ``__share_group_state`` (``share_group_state.RECORD_BY_TYPE``).
Writing exactly Kafka's bytes lets Kafka's tools read our topics (``kafka-dump-log
--offsets-decoder`` / ``--share-group-state-decoder``) and us read topics Kafka wrote.

Every such record is laid out the same way (Kafka's ``CoordinatorRecordSerde``): the key is an
int16 record type followed by the key's fields (at version 0, the only one); the value is an
int16 version followed by that version's fields; a null value (a tombstone) deletes the key.
Record types are per topic: type 0 is a ShareSnapshot in ``__share_group_state`` but a
pre-0.10.1 offset commit in ``__consumer_offsets``, so a reader passes its topic's registry.

Keys and values are plain mappings with the schemas' snake_case field names (a ``Container``
when decoded); a field left out is written as its schema's default.  The classic group and
offset-commit records of ``__consumer_offsets`` (types 0-2) have their own hand-kept module,
``server/groups/offsets_records.py``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

from construct import Container

from ..codec import decode_from, encode_into
from ..errors import DecodeError, EncodeError
from ..schema import CoordinatorRecord
from ..types import INT16
from . import consumer_offsets, share_group_state

__all__ = [
    "CoordinatorRecord", "DecodedRecord", "UnknownRecordTypeError", "consumer_offsets", "decode_key",
    "decode_record", "decode_value", "encode_key", "encode_record", "encode_value", "record_type",
    "share_group_state",
]

_KEY_VERSION = 0  # every coordinator key has only version 0; its record type is written in front


class UnknownRecordTypeError(DecodeError):
    """A key of a record type the given registry does not hold; Kafka's loaders skip such
    records (a streams group's, say), and so may ours."""


@dataclass(frozen=True)
class DecodedRecord:
    """A decoded record: its type's schemas, its key's fields, and its value's version and fields
    (``value`` None for a tombstone, then ``version`` is None too)."""

    record: CoordinatorRecord
    key: Container
    version: int | None
    value: Container | None

    @property
    def is_tombstone(self) -> bool:
        return self.value is None


# --- keys ----------------------------------------------------------------------------------------

def encode_key(record: CoordinatorRecord, key: Mapping) -> bytes:
    stream = io.BytesIO()
    INT16._build(record.type, stream, None, "")
    encode_into(record.key, _KEY_VERSION, key, stream)
    return stream.getvalue()


def record_type(key: bytes) -> int:
    """The record type a key starts with; ``DecodeError`` if it is too short to hold one."""
    if len(key) < INT16.sizeof():
        raise DecodeError("key too short for its record type")
    return INT16.parse(key[:INT16.sizeof()])


def decode_key(records: Mapping[int, CoordinatorRecord], data: bytes) -> tuple[CoordinatorRecord, Container]:
    """The record type (looked up in ``records``, a topic's ``RECORD_BY_TYPE``) and the key's
    fields; ``UnknownRecordTypeError`` for a type not in ``records``, ``DecodeError`` for bad bytes."""
    type_ = record_type(data)
    record = records.get(type_)
    if record is None:
        raise UnknownRecordTypeError(f"unknown record type {type_}")
    stream = io.BytesIO(data)
    stream.seek(INT16.sizeof())
    return record, decode_from(record.key, _KEY_VERSION, stream)


# --- values --------------------------------------------------------------------------------------

def encode_value(record: CoordinatorRecord, value: Mapping, version: int | None = None) -> bytes:
    """The value's bytes at ``version``, by default the newest one (as Kafka 4.3 writes)."""
    if version is None:
        version = record.value.valid_versions.high
    if version not in record.value.valid_versions:
        raise EncodeError(f"{record.value.name} has no version {version}")
    stream = io.BytesIO()
    INT16._build(version, stream, None, "")
    encode_into(record.value, version, value, stream)
    return stream.getvalue()


def decode_value(record: CoordinatorRecord, data: bytes) -> tuple[int, Container]:
    """The version written in ``data`` and the value's fields.

    As for the other records we read, a version newer than ours is read with our newest layout
    (newer versions only ever add tagged fields) and bytes after the known fields are ignored.
    """
    stream = io.BytesIO(data)
    version = INT16._parse(stream, None, "")
    if version < record.value.valid_versions.low:
        raise DecodeError(f"{record.value.name} version {version} is not supported")
    return version, decode_from(record.value, min(version, record.value.valid_versions.high), stream)


# --- whole records -------------------------------------------------------------------------------

def encode_record(record: CoordinatorRecord, key: Mapping, value: Mapping | None,
                  version: int | None = None) -> tuple[bytes, bytes | None]:
    """The (key, value) bytes of a record; ``value`` None makes a tombstone (a null value)."""
    return encode_key(record, key), None if value is None else encode_value(record, value, version)


def decode_record(records: Mapping[int, CoordinatorRecord], key: bytes, value: bytes | None) -> DecodedRecord:
    """Raises ``UnknownRecordTypeError`` for record types not in ``records``."""
    record, key_fields = decode_key(records, key)
    if value is None:
        return DecodedRecord(record, key_fields, None, None)
    version, value_fields = decode_value(record, value)
    return DecodedRecord(record, key_fields, version, value_fields)
