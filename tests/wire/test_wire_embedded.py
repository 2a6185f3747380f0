"""The consumer protocol's subscription and assignment, embedded in JoinGroup/SyncGroup bytes."""

import pytest

from odradek.wire import DecodeError
from odradek.wire.embedded import (
    CONSUMER_PROTOCOL_ASSIGNMENT, CONSUMER_PROTOCOL_SUBSCRIPTION, decode_embedded, encode_embedded,
)

SUBSCRIPTION_V0 = bytes.fromhex(
    "0000"                   # version 0
    "00000002" "0001" "61" "0001" "62"   # topics ["a", "b"]
    "ffffffff")              # null user data


def test_subscription_v0_known_bytes():
    assert encode_embedded(CONSUMER_PROTOCOL_SUBSCRIPTION, 0, {"topics": ["a", "b"]}) == SUBSCRIPTION_V0
    version, value = decode_embedded(CONSUMER_PROTOCOL_SUBSCRIPTION, SUBSCRIPTION_V0)
    assert version == 0
    assert (value.topics, value.user_data, value.owned_partitions, value.generation_id) == (["a", "b"], None, [], -1)


def test_subscription_v3_round_trip():
    subscription = {"topics": ["t"], "user_data": b"u", "generation_id": 4, "rack_id": "r1",
                    "owned_partitions": [{"topic": "t", "partitions": [0, 2]}]}
    data = encode_embedded(CONSUMER_PROTOCOL_SUBSCRIPTION, 3, subscription)
    version, value = decode_embedded(CONSUMER_PROTOCOL_SUBSCRIPTION, data)
    assert version == 3
    assert value.owned_partitions[0].partitions == [0, 2]
    assert (value.rack_id, value.generation_id, value.user_data) == ("r1", 4, b"u")


def test_newer_versions_are_read_with_the_newest_known_layout():
    data = encode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, 3, {
        "assigned_partitions": [{"topic": "t", "partitions": [1]}], "user_data": None})
    newer = b"\x00\x09" + data[2:] + b"future fields"
    version, value = decode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, newer)
    assert version == 9
    assert value.assigned_partitions[0].topic == "t"


def test_negative_versions_are_refused():
    with pytest.raises(DecodeError):
        decode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, b"\xff\xff")
