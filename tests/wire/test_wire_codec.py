"""Message codec semantics: defaults, version differences, nulls, tagged fields, error paths."""

import uuid

import pytest
from construct import Container

from odradek.wire import API_BY_NAME, DecodeError, EncodeError, decode, encode, message_codec
from odradek.wire.codec import UNKNOWN_TAGGED_FIELDS
from odradek.wire.types import ZERO_UUID

PRODUCE = API_BY_NAME["Produce"]
FETCH = API_BY_NAME["Fetch"]
API_VERSIONS = API_BY_NAME["ApiVersions"]
HEARTBEAT = API_BY_NAME["ConsumerGroupHeartbeat"]


def test_decoded_value_is_a_container_with_every_schema_field():
    value = decode(PRODUCE.request, 12, encode(PRODUCE.request, 12, {
        "acks": -1, "timeout_ms": 1000,
        "topic_data": [{"name": "t", "partition_data": [{"index": 3, "records": b"rec"}]}],
    }))
    assert isinstance(value, Container)
    assert list(value) == ["transactional_id", "acks", "timeout_ms", "topic_data"]
    topic = value.topic_data[0]
    assert isinstance(topic, Container)
    assert (topic.name, topic.topic_id) == ("t", ZERO_UUID)  # topic_id only exists from v13
    assert topic.partition_data[0].records == b"rec"


def test_fields_absent_from_the_version_decode_as_defaults():
    value = decode(FETCH.request, 4, encode(FETCH.request, 4, {"max_wait_ms": 500}))
    assert value.max_wait_ms == 500
    assert value.max_bytes == 0x7FFFFFFF       # explicit schema default, field exists in v4
    assert value.session_epoch == -1            # v7+: default
    assert value.cluster_id is None             # tagged, v12+: "null" default
    assert value.rack_id == ""
    assert value.replica_state == Container(replica_id=-1, replica_epoch=-1)
    assert value.forgotten_topics_data == []


def test_fresh_defaults_are_not_shared_between_decodes():
    first = decode(FETCH.request, 4, encode(FETCH.request, 4, {}))
    first.forgotten_topics_data.append("x")
    first.replica_state.replica_id = 7
    second = decode(FETCH.request, 4, encode(FETCH.request, 4, {}))
    assert second.forgotten_topics_data == []
    assert second.replica_state.replica_id == -1


def test_fields_absent_from_the_version_are_ignored_when_encoding():
    base = {"acks": 1, "timeout_ms": 5, "topic_data": [{"name": "t", "partition_data": []}]}
    with_extra = {**base, "topic_data": [{"name": "t", "topic_id": uuid.uuid4(), "partition_data": []}]}
    assert encode(PRODUCE.request, 12, with_extra) == encode(PRODUCE.request, 12, base)


def test_missing_fields_encode_their_defaults():
    assert encode(FETCH.request, 4, {}) == encode(FETCH.request, 4, {
        "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 0x7FFFFFFF,
        "isolation_level": 0, "topics": []})


def test_null_in_a_non_nullable_version_is_an_encode_error_naming_the_field():
    with pytest.raises(EncodeError, match=r"topic_data\[0\]\.name: null is not allowed"):
        encode(PRODUCE.request, 9, {"topic_data": [{"name": None}]})
    with pytest.raises(EncodeError, match="acks"):
        encode(PRODUCE.request, 9, {"acks": None})


def test_null_in_a_nullable_version_is_encoded():
    value = decode(PRODUCE.request, 9, encode(PRODUCE.request, 9, {"transactional_id": None}))
    assert value.transactional_id is None


def test_wrong_types_are_encode_errors_with_a_path():
    with pytest.raises(EncodeError, match=r"topic_data\[0\]\.partition_data\[1\]\.index"):
        encode(PRODUCE.request, 9, {"topic_data": [{"partition_data": [{"index": 1}, {"index": "2"}]}]})
    with pytest.raises(EncodeError, match="topic_data"):
        encode(PRODUCE.request, 9, {"topic_data": 3})
    with pytest.raises(EncodeError, match=r"topic_data\[0\]: list is not a mapping"):
        encode(PRODUCE.request, 9, {"topic_data": [[]]})


def test_decode_errors_say_where_and_reject_trailing_bytes():
    data = encode(PRODUCE.request, 9, {"topic_data": [{"name": "t", "partition_data": [{"records": b"x" * 10}]}]})
    with pytest.raises(DecodeError, match=r"topic_data\[0\]\.partition_data\[0\]\.records: truncated"):
        decode(PRODUCE.request, 9, data[:-5])  # the last 3 bytes are empty tagged sections
    with pytest.raises(DecodeError, match="unexpected bytes"):
        decode(PRODUCE.request, 9, data + b"\x00")


def test_null_array_in_a_non_nullable_version_is_a_decode_error():
    metadata = API_BY_NAME["Metadata"].request
    assert decode(metadata, 1, b"\xff\xff\xff\xff").topics is None  # nullable from v1
    with pytest.raises(DecodeError, match="topics"):
        decode(metadata, 0, b"\xff\xff\xff\xff")


def test_tagged_fields_are_written_only_when_not_default_and_in_tag_order():
    message = API_VERSIONS.response
    plain = encode(message, 3, {"api_keys": []})
    assert plain == bytes.fromhex("0000" "01" "00000000" "00")
    tagged = encode(message, 3, {
        "api_keys": [],
        "zk_migration_ready": True,                  # tag 3
        "finalized_features_epoch": 5,                # tag 1
        "supported_features": [],                     # tag 0, default: not written
    })
    assert tagged == bytes.fromhex(
        "0000" "01" "00000000"
        "02"                                          # two tagged fields
        "01" "08" "0000000000000005"                  # tag 1, 8 bytes
        "03" "01" "01")                               # tag 3, 1 byte
    value = decode(message, 3, tagged)
    assert (value.finalized_features_epoch, value.zk_migration_ready) == (5, True)
    assert value.supported_features == []


def test_tagged_struct_equal_to_its_default_is_not_written():
    partition = {"partition_index": 0, "records": None}
    base = encode(FETCH.response, 12, {"responses": [{"partitions": [partition]}]})
    defaulted = {**partition, "current_leader": {"leader_id": -1}}
    assert encode(FETCH.response, 12, {"responses": [{"partitions": [defaulted]}]}) == base
    changed = {**partition, "current_leader": {"leader_id": 3}}
    data = encode(FETCH.response, 12, {"responses": [{"partitions": [changed]}]})
    value = decode(FETCH.response, 12, data)
    assert value.responses[0].partitions[0].current_leader == Container(leader_id=3, leader_epoch=-1)
    assert encode(FETCH.response, 12, value) == data


def test_unknown_tagged_fields_are_kept_and_written_back():
    message = API_VERSIONS.response
    data = bytes.fromhex(
        "0000"
        "02" "0012" "0000" "0004" "01" "09" "02" "abcd"  # one api key entry with unknown tag 9
        "00000000"
        "02" "01" "08" "0000000000000007" "07" "00")     # known tag 1, unknown tag 7 (empty)
    value = decode(message, 3, data)
    assert value[UNKNOWN_TAGGED_FIELDS] == [(7, b"")]
    assert value.api_keys[0][UNKNOWN_TAGGED_FIELDS] == [(9, b"\xab\xcd")]
    assert value.finalized_features_epoch == 7
    assert encode(message, 3, value) == data


def test_unknown_tagged_field_entries_with_a_known_tag_are_ignored():
    message = API_VERSIONS.response
    value = {"api_keys": [], UNKNOWN_TAGGED_FIELDS: [(1, b"junk"), (5, b"")]}
    assert encode(message, 3, value) == bytes.fromhex("0000" "01" "00000000" "01" "05" "00")


def test_tagged_field_with_bytes_left_over_is_a_decode_error():
    data = bytes.fromhex("0000" "01" "00000000" "01" "03" "02" "0101")  # tag 3 (bool) of size 2
    with pytest.raises(DecodeError, match="zk_migration_ready"):
        decode(API_VERSIONS.response, 3, data)


def test_nullable_struct_has_a_presence_marker():
    message = HEARTBEAT.response
    prefix = "00000000" "0000" "00" "00" "00000000" "00000000"
    assert encode(message, 0, {}) == bytes.fromhex(prefix + "ff" "00")
    topic = uuid.UUID(int=5)
    data = encode(message, 0, {"assignment": {"topic_partitions": [{"topic_id": topic, "partitions": [1]}]}})
    assert data == bytes.fromhex(prefix + "01" "02" + topic.hex + "02" "00000001" "00" "00" "00")
    assert decode(message, 0, data).assignment.topic_partitions[0].partitions == [1]
    assert decode(message, 0, encode(message, 0, {})).assignment is None


def test_codecs_are_built_once():
    assert message_codec(FETCH.response, 16) is message_codec(FETCH.response, 16)


def test_unknown_version_is_refused():
    with pytest.raises(ValueError):
        message_codec(PRODUCE.request, 2)
