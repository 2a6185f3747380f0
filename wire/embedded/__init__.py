"""Data schemas that clients embed in bytes fields, with an int16 version in front.

The consumer protocol's subscription and assignment travel as opaque bytes in JoinGroup
and SyncGroup (protocol metadata, member assignments); these helpers read and write them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from construct import Container

from ..codec import decode_from, encode_into
from ..errors import DecodeError
from ..schema import Message
from ..types import INT16
from .consumer_protocol_assignment import MESSAGE as CONSUMER_PROTOCOL_ASSIGNMENT
from .consumer_protocol_subscription import MESSAGE as CONSUMER_PROTOCOL_SUBSCRIPTION

__all__ = [
    "CONSUMER_PROTOCOL_ASSIGNMENT", "CONSUMER_PROTOCOL_SUBSCRIPTION",
    "decode_embedded", "encode_embedded",
]


def encode_embedded(message: Message, version: int, value: Mapping) -> bytes:
    stream = io.BytesIO()
    INT16._build(version, stream, None, "")
    encode_into(message, version, value, stream)
    return stream.getvalue()


def decode_embedded(message: Message, data: bytes) -> tuple[int, Container]:
    """The version written in ``data`` and the decoded value.

    As Kafka does, a version newer than ours is read with our newest layout (newer versions
    only ever append fields) and bytes after the known fields are ignored.
    """
    stream = io.BytesIO(data)
    version = INT16._parse(stream, None, "")
    if version < message.valid_versions.low:
        raise DecodeError(f"{message.name} version {version} is not supported")
    return version, decode_from(message, min(version, message.valid_versions.high), stream)
