"""The coordinator records of __consumer_offsets (KIP-848, share and streams groups) and __share_group_state.

Round trips over every record type with values drawn from its schema, and bytes checked by hand
for one record of each topic.  compat_tests/test_coordinator_records_kafka.py checks the schemas
and the bytes against Kafka 4.3's own classes.
"""

from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.wire import DecodeError, EncodeError
from odradek.wire.coordinator_records import (
    UnknownRecordTypeError, consumer_offsets, decode_key, decode_record, decode_value, encode_key, encode_record,
    encode_value, record_type, share_group_state,
)
from odradek.wire.coordinator_records.consumer_offsets import (
    CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT, CONSUMER_GROUP_MEMBER_METADATA, CONSUMER_GROUP_METADATA,
    SHARE_GROUP_STATE_PARTITION_METADATA,
)
from odradek.wire.coordinator_records.share_group_state import SHARE_SNAPSHOT, SHARE_UPDATE

from wire_strategies import assert_matches, message_values

TOPIC_ID = UUID("00000000-0000-0000-0000-000000000001")

# Record types as Kafka 4.3 numbers them (its CoordinatorRecordType enums).
KAFKA_CONSUMER_OFFSETS_TYPES = {
    "ConsumerGroupMetadata": 3, "ConsumerGroupPartitionMetadata": 4, "ConsumerGroupMemberMetadata": 5,
    "ConsumerGroupTargetAssignmentMetadata": 6, "ConsumerGroupTargetAssignmentMember": 7,
    "ConsumerGroupCurrentMemberAssignment": 8, "ShareGroupMemberMetadata": 10, "ShareGroupMetadata": 11,
    "ShareGroupTargetAssignmentMetadata": 12, "ShareGroupTargetAssignmentMember": 13,
    "ShareGroupCurrentMemberAssignment": 14, "ShareGroupStatePartitionMetadata": 15,
    "ConsumerGroupRegularExpression": 16, "StreamsGroupMetadata": 17, "StreamsGroupMemberMetadata": 19,
    "StreamsGroupTargetAssignmentMetadata": 20, "StreamsGroupTargetAssignmentMember": 21,
    "StreamsGroupCurrentMemberAssignment": 22, "StreamsGroupTopology": 23,
}
ALL_RECORDS = [(topic.__name__.rsplit(".", 1)[1], record) for topic in (consumer_offsets, share_group_state)
               for record in topic.RECORDS]


def test_record_types_are_kafkas():
    assert {r.name: r.type for r in consumer_offsets.RECORDS} == KAFKA_CONSUMER_OFFSETS_TYPES
    assert {r.name: r.type for r in share_group_state.RECORDS} == {"ShareSnapshot": 0, "ShareUpdate": 1}
    for topic in (consumer_offsets, share_group_state):
        assert topic.RECORD_BY_TYPE == {r.type: r for r in topic.RECORDS}


@pytest.mark.parametrize(("topic", "record"), ALL_RECORDS, ids=lambda x: getattr(x, "name", x))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_round_trip(topic, record, data):
    registry = getattr(consumer_offsets if topic == "consumer_offsets" else share_group_state, "RECORD_BY_TYPE")
    key = data.draw(message_values(record.key, 0))
    value = data.draw(message_values(record.value, record.value.valid_versions.high))
    key_bytes, value_bytes = encode_record(record, key, value)
    assert record_type(key_bytes) == record.type
    decoded = decode_record(registry, key_bytes, value_bytes)
    assert decoded.record is record
    assert decoded.version == record.value.valid_versions.high
    assert_matches(key, decoded.key)
    assert_matches(value, decoded.value)


def test_share_snapshot_known_bytes():
    key = encode_key(SHARE_SNAPSHOT, {"group_id": "g", "topic_id": TOPIC_ID, "partition": 3})
    assert key == bytes.fromhex(
        "0000"                                # record type 0: ShareSnapshot
        "0001" "67"                           # group id "g" (a non-flexible string: int16 length)
        "00000000000000000000000000000001"    # topic id
        "00000003")                           # partition
    value = encode_value(SHARE_SNAPSHOT, {
        "snapshot_epoch": 1, "state_epoch": 2, "leader_epoch": 3, "start_offset": 4,
        "create_timestamp": 5, "write_timestamp": 6,
        "state_batches": [{"first_offset": 7, "last_offset": 8, "delivery_state": 2, "delivery_count": 1}],
    })
    assert value == bytes.fromhex(
        "0000"                                # value version 0 (flexible)
        "00000001" "00000002" "00000003"      # snapshot, state and leader epochs
        "0000000000000004"                    # start offset
        "0000000000000005" "0000000000000006" # create and write timestamps
        "02"                                  # compact array of 1 batch
        "0000000000000007" "0000000000000008" "02" "0001" "00"  # first, last, state, count; no tags
        "00")                                 # no tagged fields (delivery complete count at its -1 default)
    version, decoded = decode_value(SHARE_SNAPSHOT, value)
    assert version == 0
    assert decoded.delivery_complete_count == -1
    assert decoded.state_batches[0].delivery_state == 2


def test_share_update_writes_a_set_delivery_complete_count_as_tag_0():
    value = encode_value(SHARE_UPDATE, {"snapshot_epoch": 1, "leader_epoch": 2, "start_offset": 3,
                                        "delivery_complete_count": 7, "state_batches": []})
    assert value == bytes.fromhex("0000" "00000001" "00000002" "0000000000000003" "01"
                                  "01" "00" "04" "00000007")  # one tagged field: tag 0, 4 bytes
    assert decode_value(SHARE_UPDATE, value)[1].delivery_complete_count == 7


def test_consumer_group_metadata_known_bytes():
    key, value = encode_record(CONSUMER_GROUP_METADATA, {"group_id": "grp"}, {"epoch": 5})
    assert key == bytes.fromhex("0003" "0003" "677270")
    assert value == bytes.fromhex("0000" "00000005" "00")  # metadata hash 0 is the default: not written
    _, with_hash = encode_record(CONSUMER_GROUP_METADATA, {"group_id": "grp"}, {"epoch": 5, "metadata_hash": 9})
    assert with_hash == bytes.fromhex("0000" "00000005" "01" "00" "08" "0000000000000009")


def test_a_tombstone_has_no_value():
    key, value = encode_record(CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT, {"group_id": "g", "member_id": "m"}, None)
    assert value is None
    decoded = decode_record(consumer_offsets.RECORD_BY_TYPE, key, None)
    assert decoded.is_tombstone and decoded.version is None
    assert (decoded.record, decoded.key.group_id, decoded.key.member_id) == (
        CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT, "g", "m")


def test_record_types_are_per_topic():
    """Type 0 is a ShareSnapshot in __share_group_state but not one of our __consumer_offsets types."""
    key = encode_key(SHARE_SNAPSHOT, {"group_id": "g", "topic_id": TOPIC_ID, "partition": 0})
    assert decode_key(share_group_state.RECORD_BY_TYPE, key)[0] is SHARE_SNAPSHOT
    with pytest.raises(UnknownRecordTypeError):
        decode_key(consumer_offsets.RECORD_BY_TYPE, key)


def test_unknown_and_bad_input():
    assert issubclass(UnknownRecordTypeError, DecodeError)
    with pytest.raises(UnknownRecordTypeError, match="unknown record type 18"):
        decode_record(consumer_offsets.RECORD_BY_TYPE, b"\x00\x12\x00\x01g", b"\x00\x00")  # no longer Kafka's
    with pytest.raises(DecodeError):
        record_type(b"\x00")
    with pytest.raises(DecodeError):
        decode_key(consumer_offsets.RECORD_BY_TYPE, b"\x00\x03\x00\x05gr")  # truncated group id
    with pytest.raises(DecodeError):
        decode_value(CONSUMER_GROUP_METADATA, b"\xff\xff\x00\x00\x00\x05\x00")  # version -1
    with pytest.raises(EncodeError, match="no version 1"):
        encode_value(CONSUMER_GROUP_METADATA, {"epoch": 1}, version=1)


def test_a_newer_value_version_is_read_with_the_newest_layout():
    value = encode_value(SHARE_GROUP_STATE_PARTITION_METADATA, {
        "initialized_topics": [{"topic_id": TOPIC_ID, "topic_name": "t", "partitions": [0, 1]}]})
    version, decoded = decode_value(SHARE_GROUP_STATE_PARTITION_METADATA, b"\x00\x01" + value[2:])
    assert version == 1
    assert decoded.initialized_topics[0].partitions == [0, 1]


def test_member_metadata_defaults():
    """Fields left out take the schema's defaults: "" for a nullable string without one (as in
    Kafka's generated classes), -1 for the rebalance timeout; the classic metadata, a tagged
    nullable struct, is the empty struct when left out (Kafka's generated classes start with one,
    and only write a null one), and null only when written as null."""
    value = encode_value(CONSUMER_GROUP_MEMBER_METADATA, {"client_id": "c", "client_host": "/127.0.0.1",
                                                          "instance_id": None})
    _, decoded = decode_value(CONSUMER_GROUP_MEMBER_METADATA, value)
    assert (decoded.instance_id, decoded.rack_id, decoded.subscribed_topic_regex) == (None, "", "")
    assert decoded.rebalance_timeout_ms == -1
    assert decoded.classic_member_metadata == {"session_timeout_ms": 0, "supported_protocols": []}
    written_null = encode_value(CONSUMER_GROUP_MEMBER_METADATA, {"classic_member_metadata": None})
    assert written_null.endswith(bytes.fromhex("01000100"))  # tag 0, one byte: the null marker
    assert decode_value(CONSUMER_GROUP_MEMBER_METADATA, written_null)[1].classic_member_metadata is None
