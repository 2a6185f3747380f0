"""What ``odradek dump-log`` prints for a record's key and value, by decoder, as Kafka's
kafka-dump-log.sh prints them.

- plain (``--print-data-log``): key and value as text (see ``printable``); a null key or value
  is left out of the line, as Kafka leaves it out.
- ``--offsets-decoder`` (``__consumer_offsets``), ``--transaction-log-decoder``
  (``__transaction_state``) and ``--share-group-state-decoder`` (``__share_group_state``): the
  key as ``{"type":"T","data":{...}}`` and the value as
  ``{"version":"V","data":{...}}``, in the JSON of Kafka's own converters (``schema_json``); a
  tombstone's value is ``<DELETE>``.  A classic consumer group's member subscriptions and
  assignments are decoded too, as Kafka does for protocol type ``consumer``.  A record of a type
  odradek does not keep (streams groups') prints ``Unknown record type T at
  offset O, skipping.`` and one that does not decode ``Error at offset O, skipping.`` and why,
  both in the key's place as Kafka prints them.

The record formats are the broker's own (``server/groups/offsets_records.py``,
``server/transactions/txn_log_records.py``, ``wire/coordinator_records/share_group_state``): the
tool shows exactly what the broker reads.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from odradek.server.groups import offsets_records
from odradek.server.transactions.txn_log_records import TRANSACTION_LOG_KEY, TRANSACTION_LOG_VALUE
from odradek.wire.coordinator_records import share_group_state as share_state_topic
from odradek.wire.embedded import CONSUMER_PROTOCOL_ASSIGNMENT, CONSUMER_PROTOCOL_SUBSCRIPTION, decode_embedded
from odradek.wire.codec import decode_from
from odradek.wire.errors import DecodeError
from odradek.wire.schema import Message

from .printable import compact_json, printable_bytes
from .schema_json import message_json

# (record offset, key, value) -> the key's and the value's text; None leaves one out of the line
Parser = Callable[[int, bytes | None, bytes | None], tuple[str | None, str | None]]
Schemas = Callable[[int], tuple[Message, Message]]

CONSUMER_PROTOCOL_TYPE = "consumer"
TOMBSTONE = "<DELETE>"


class UnknownRecordType(Exception):
    pass


def plain(offset: int, key: bytes | None, value: bytes | None) -> tuple[str | None, str | None]:
    return (None if key is None else printable_bytes(key)), (None if value is None else printable_bytes(value))


def offsets(offset: int, key: bytes | None, value: bytes | None) -> tuple[str | None, str | None]:
    return _coordinator_record(offset, key, value, _offsets_schemas, _offsets_value_json)


def transaction_log(offset: int, key: bytes | None, value: bytes | None) -> tuple[str | None, str | None]:
    return _coordinator_record(offset, key, value, _transaction_log_schemas, message_json)


def share_group_state(offset: int, key: bytes | None, value: bytes | None) -> tuple[str | None, str | None]:
    return _coordinator_record(offset, key, value, _share_group_state_schemas, message_json, typed_keys=True)


def _coordinator_record(offset: int, key: bytes | None, value: bytes | None, schemas: Schemas,
                        value_json: Callable[[Message, int, object], dict],
                        typed_keys: bool = False) -> tuple[str | None, str | None]:
    """``typed_keys``: the key's leading int16 is its record type, its fields at version 0 (the
    newer coordinators' layout), not a version of one key schema."""
    if key is None:
        return f"Error at offset {offset}, skipping. The record has no key.", None
    try:
        record_type = offsets_records.record_type(key)  # every topic's keys start with an int16 type
        try:
            key_schema, value_schema = schemas(record_type)
        except UnknownRecordType:
            return f"Unknown record type {record_type} at offset {offset}, skipping.", None
        if typed_keys:
            key_fields = decode_from(key_schema, 0, _after_record_type(key))
        else:
            _, key_fields = decode_embedded(key_schema, key)
        key_text = compact_json({"type": str(record_type), "data": message_json(key_schema, record_type, key_fields)})
        if value is None:
            return key_text, TOMBSTONE
        version, value_fields = decode_embedded(value_schema, value)
        return key_text, compact_json({"version": str(version),
                                       "data": value_json(value_schema, version, value_fields)})
    except DecodeError as exc:
        return f"Error at offset {offset}, skipping. {exc}", None


def _offsets_schemas(record_type: int) -> tuple[Message, Message]:
    try:
        return offsets_records.record_schemas(record_type)
    except offsets_records.UnknownRecordTypeError:
        raise UnknownRecordType from None


def _share_group_state_schemas(record_type: int) -> tuple[Message, Message]:
    record = share_state_topic.RECORD_BY_TYPE.get(record_type)
    if record is None:
        raise UnknownRecordType
    return record.key, record.value


def _after_record_type(key: bytes) -> io.BytesIO:
    stream = io.BytesIO(key)
    stream.seek(2)
    return stream


def _transaction_log_schemas(record_type: int) -> tuple[Message, Message]:
    if record_type not in TRANSACTION_LOG_KEY.valid_versions:
        raise UnknownRecordType
    return TRANSACTION_LOG_KEY, TRANSACTION_LOG_VALUE


def _offsets_value_json(schema: Message, version: int, value) -> dict:
    """A group's metadata with each consumer member's subscription and assignment decoded
    (bytes that do not decode stay base64, as Kafka leaves them)."""
    data = message_json(schema, version, value)
    if schema is offsets_records.GROUP_METADATA_VALUE and value.protocol_type == CONSUMER_PROTOCOL_TYPE:
        for member_json, member in zip(data["members"], value.members):
            member_json["subscription"] = _embedded_json(CONSUMER_PROTOCOL_SUBSCRIPTION, member.subscription,
                                                         member_json["subscription"])
            member_json["assignment"] = _embedded_json(CONSUMER_PROTOCOL_ASSIGNMENT, member.assignment,
                                                       member_json["assignment"])
    return data


def _embedded_json(schema: Message, data: bytes, undecoded: object) -> object:
    try:
        version, value = decode_embedded(schema, data)
    except DecodeError:
        return undecoded
    return message_json(schema, version, value)
