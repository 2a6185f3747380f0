"""``EncodedOnce``: an immutable array is encoded once per codec and its bytes reused, and those
bytes are exactly the generic codec's, for every Metadata response version (its hot answer)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.wire import API_BY_NAME, EncodedOnce, decode, encode
from odradek.wire.codec import message_codec
from odradek.wire.protocol import RequestHeader, encode_response, encode_response_chunks

from wire_strategies import message_values

METADATA = API_BY_NAME["Metadata"]
VERSIONS = list(METADATA.response.valid_versions)


def frozen_partitions(value: dict) -> dict:
    """``value`` with every topic's partition list as an EncodedOnce tuple."""
    topics = [{**topic, "partitions": EncodedOnce(topic.get("partitions") or ())} for topic in value.get("topics") or ()]
    return {**value, "topics": topics}


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_metadata_answers_are_byte_for_byte_the_generic_codecs(version, data):
    value = data.draw(message_values(METADATA.response, version))
    expected = encode(METADATA.response, version, value)
    frozen = frozen_partitions(value)
    assert encode(METADATA.response, version, frozen) == expected  # encoded and kept
    assert encode(METADATA.response, version, frozen) == expected  # from the kept bytes
    decoded = decode(METADATA.response, version, expected)
    assert encode(METADATA.response, version, frozen_partitions(decoded)) == expected


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_one_tuple_serves_every_version_with_its_own_bytes(data):
    """The same entries answered at every version (clients differ): each version's codec keeps
    its own bytes, and none is served another's."""
    partitions = data.draw(st.lists(st.fixed_dictionaries({
        "error_code": st.integers(-1, 100), "partition_index": st.integers(0, 2**31 - 1),
        "leader_id": st.integers(-1, 2**31 - 1), "leader_epoch": st.integers(-1, 2**31 - 1),
        "replica_nodes": st.lists(st.integers(0, 2**31 - 1), max_size=4).map(tuple),
        "isr_nodes": st.lists(st.integers(0, 2**31 - 1), max_size=4).map(tuple),
        "offline_replicas": st.lists(st.integers(0, 2**31 - 1), max_size=4).map(tuple),
    }), max_size=30))
    shared = EncodedOnce(partitions)
    for _ in range(2):
        for version in data.draw(st.permutations(VERSIONS)):
            value = {"brokers": [], "topics": [{"name": "t", "partitions": shared}]}
            plain = {"brokers": [], "topics": [{"name": "t", "partitions": partitions}]}
            assert encode(METADATA.response, version, value) == encode(METADATA.response, version, plain)


def test_whole_frames_match_with_and_without_splicing():
    entries = EncodedOnce({"partition_index": i, "leader_id": 1, "replica_nodes": (1,), "isr_nodes": (1,)}
                          for i in range(1000))
    plain = [dict(entry) for entry in entries]
    for version in VERSIONS:
        header = RequestHeader(3, version, 77, "client")
        expected = encode_response(header, {"topics": [{"name": "big", "partitions": plain}]})
        body = {"topics": [{"name": "big", "partitions": entries}]}
        assert encode_response(header, body) == expected
        assert b"".join(encode_response_chunks(header, body)) == expected


def test_an_encoded_once_tuple_is_still_a_tuple():
    entries = EncodedOnce([{"partition_index": 0}])
    assert entries == ({"partition_index": 0},) and isinstance(entries, tuple) and len(entries) == 1
    codec = message_codec(METADATA.response, 12)
    assert entries.cached(codec) is None
