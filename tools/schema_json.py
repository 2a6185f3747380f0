"""A decoded message as the JSON Kafka's generated ``*JsonConverter`` classes write for it.

Kafka's tools print coordinator records this way (``kafka-dump-log --offsets-decoder``): field
names in camelCase, the fields of the message's version in schema order, tagged fields only
when they differ from their default, bytes as base64, UUIDs as Kafka prints them, nulls as
``null``.  The schemas are
odradek's own (``odradek.wire.schema.Message``), so any message odradek decodes can be shown.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping

from odradek.wire.codec import default_struct, default_value
from odradek.wire.schema import Field, Message


def message_json(message: Message, version: int, value: Mapping) -> dict:
    """``value`` (decoded at ``version``) as Kafka's JSON for that version of ``message``."""
    return _struct_json(message.fields, min(version, message.valid_versions.high), value)


def camel_case(name: str) -> str:
    """``commit_timestamp`` -> ``commitTimestamp``: odradek's field names as Kafka's JSON names them."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _struct_json(fields: tuple[Field, ...], version: int, value: Mapping) -> dict:
    found = {}
    for field in fields:
        if version not in field.versions:
            continue
        item = value[field.name]
        if field.tag is not None and version in field.tagged_versions and item == _tagged_default(field):
            continue
        found[camel_case(field.name)] = _field_json(field, version, item)
    return found


def _tagged_default(field: Field) -> object:
    """What a tagged field holds when it was not written: for a struct, the struct of defaults,
    even a nullable one whose schema default is null (Kafka's generated classes start with the
    empty struct, so a null one is written, and printed)."""
    if field.is_struct and not field.is_array:
        return default_struct(field.fields)
    return default_value(field)


def _field_json(field: Field, version: int, item: object) -> object:
    if item is None:
        return None
    if field.is_array:
        return [_element_json(field, version, element) for element in item]
    return _element_json(field, version, item)


def _element_json(field: Field, version: int, item: object) -> object:
    if field.is_struct:
        return _struct_json(field.fields, version, item)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(item)).decode("ascii")
    if isinstance(item, uuid.UUID):  # Kafka's Uuid.toString(): URL-safe base64, unpadded
        return base64.urlsafe_b64encode(item.bytes).rstrip(b"=").decode("ascii")
    return item  # a number, a bool or a string
