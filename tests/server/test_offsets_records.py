"""Keys and values of ``__consumer_offsets`` records, byte for byte as Kafka lays them out."""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.server.groups.offsets_records import (
    GroupMetadata, GroupMetadataKey, MemberMetadata, OffsetCommit, OffsetCommitKey, Tombstone,
    UnknownRecordTypeError, decode_key, decode_record, decode_value, encode_key, encode_record, encode_value,
)
from odradek.wire import DecodeError


def i16(n): return struct.pack(">h", n)
def i32(n): return struct.pack(">i", n)
def i64(n): return struct.pack(">q", n)
def s16(text): return i16(len(text.encode())) + text.encode()
def null16(): return i16(-1)
def b32(data): return i32(len(data)) + data
def compact(text): return bytes([len(text.encode()) + 1]) + text.encode()


COMMIT = OffsetCommit("g", "orders", 3, offset=1234, leader_epoch=7, metadata="meta",
                      commit_timestamp_ms=1_700_000_000_000)
MEMBER = MemberMetadata("m-1", "instance-1", "client", "/10.0.0.1", rebalance_timeout_ms=300_000,
                        session_timeout_ms=45_000, subscription=b"\x00\x01sub", assignment=b"\x00\x02as")
GROUP = GroupMetadata("g", "consumer", generation=5, protocol="range", leader="m-1",
                      current_state_timestamp_ms=1_700_000_000_500, members=[MEMBER])


def test_offset_commit_key_known_bytes():
    expected = i16(1) + s16("g") + s16("orders") + i32(3)
    assert encode_key(COMMIT.key) == expected
    assert decode_key(expected) == OffsetCommitKey("g", "orders", 3)
    assert decode_key(i16(0) + expected[2:]) == OffsetCommitKey("g", "orders", 3)  # pre-0.10.1 type


def test_group_metadata_key_known_bytes():
    expected = i16(2) + s16("g")
    assert encode_key(GROUP.key) == expected
    assert decode_key(expected) == GroupMetadataKey("g")


def test_offset_commit_value_v3_is_written_by_default():
    expected = i16(3) + i64(1234) + i32(7) + s16("meta") + i64(1_700_000_000_000)
    assert encode_value(COMMIT) == expected
    assert decode_value(COMMIT.key, expected) == COMMIT


def test_an_explicit_expire_timestamp_is_written_as_v1():
    commit = OffsetCommit("g", "orders", 3, 1234, 7, "meta", 1_000, expire_timestamp_ms=9_000)
    expected = i16(1) + i64(1234) + s16("meta") + i64(1_000) + i64(9_000)
    assert encode_value(commit) == expected
    assert decode_value(commit.key, expected) == OffsetCommit("g", "orders", 3, 1234, -1, "meta", 1_000, 9_000)


def test_offset_commit_value_v0_and_v4_known_bytes():
    v0 = i16(0) + i64(55) + s16("") + i64(1_000)
    assert decode_value(OffsetCommitKey("g", "t", 0), v0) == OffsetCommit("g", "t", 0, 55, -1, "", 1_000, -1)
    v4 = i16(4) + i64(55) + i32(2) + compact("x") + i64(1_000) + b"\x00"  # empty tagged fields
    assert decode_value(OffsetCommitKey("g", "t", 0), v4) == OffsetCommit("g", "t", 0, 55, 2, "x", 1_000, -1)
    assert encode_value(OffsetCommit("g", "t", 0, 55, 2, "x", 1_000), version=4) == v4


def test_group_metadata_value_v3_is_written_by_default():
    member = (s16("m-1") + s16("instance-1") + s16("client") + s16("/10.0.0.1") + i32(300_000) + i32(45_000)
              + b32(b"\x00\x01sub") + b32(b"\x00\x02as"))
    expected = (i16(3) + s16("consumer") + i32(5) + s16("range") + s16("m-1") + i64(1_700_000_000_500)
                + i32(1) + member)
    assert encode_value(GROUP) == expected
    assert decode_value(GROUP.key, expected) == GROUP


def test_empty_group_metadata_known_bytes():
    """What Kafka writes when a group empties: no protocol, no leader, no members."""
    empty = GroupMetadata("g", "consumer", 6, None, None, 42, [])
    expected = i16(3) + s16("consumer") + i32(6) + null16() + null16() + i64(42) + i32(0)
    assert encode_value(empty) == expected
    assert decode_value(GroupMetadataKey("g"), expected) == empty


def test_group_metadata_v0_reads_the_session_timeout_as_rebalance_timeout():
    member = s16("m") + s16("c") + s16("h") + i32(10_000) + b32(b"s") + b32(b"a")
    v0 = i16(0) + s16("consumer") + i32(1) + s16("range") + s16("m") + i32(1) + member
    group = decode_value(GroupMetadataKey("g"), v0)
    assert group == GroupMetadata("g", "consumer", 1, "range", "m", -1,
                                  [MemberMetadata("m", None, "c", "h", 10_000, 10_000, b"s", b"a")])


def test_group_metadata_v4_is_flexible():
    member = (compact("m") + compact("i") + compact("c") + compact("h") + i32(20) + i32(10)
              + bytes([2]) + b"s" + bytes([2]) + b"a" + b"\x00")
    v4 = (i16(4) + compact("consumer") + i32(1) + compact("range") + b"\x00" + i64(7)
          + bytes([2]) + member + b"\x00")  # a null leader is length 0 in compact form
    assert decode_value(GroupMetadataKey("g"), v4) == GroupMetadata(
        "g", "consumer", 1, "range", None, 7, [MemberMetadata("m", "i", "c", "h", 20, 10, b"s", b"a")])


def expected_after(entry, version):
    """What survives a round trip through ``version``: absent fields read as Kafka's defaults."""
    if isinstance(entry, OffsetCommit):
        return OffsetCommit(entry.group, entry.topic, entry.partition, entry.offset,
                            entry.leader_epoch if version >= 3 else -1, entry.metadata,
                            entry.commit_timestamp_ms, entry.expire_timestamp_ms if version == 1 else -1)
    members = [MemberMetadata(m.member_id, m.group_instance_id if version >= 3 else None, m.client_id,
                              m.client_host, m.rebalance_timeout_ms if version >= 1 else m.session_timeout_ms,
                              m.session_timeout_ms, m.subscription, m.assignment) for m in entry.members]
    return GroupMetadata(entry.group, entry.protocol_type, entry.generation, entry.protocol, entry.leader,
                         entry.current_state_timestamp_ms if version >= 2 else -1, members)


@pytest.mark.parametrize("version", range(5))
def test_values_round_trip_at_every_version(version):
    commit = OffsetCommit("g", "t", 1, 10, 4, "m", 100, expire_timestamp_ms=200)
    for entry in (commit, GROUP):
        data = encode_value(entry, version=version)
        assert data[:2] == i16(version)
        assert decode_value(entry.key, data) == expected_after(entry, version)


@pytest.mark.parametrize("record_type", [0, 1])
def test_offset_commit_keys_round_trip_at_both_types(record_type):
    data = encode_key(COMMIT.key, record_type)
    assert data[:2] == i16(record_type)
    assert decode_key(data) == COMMIT.key


def test_newer_value_versions_are_read_with_the_v4_layout():
    v4 = encode_value(COMMIT, version=4)
    assert decode_value(COMMIT.key, i16(5) + v4[2:]) == COMMIT


def test_records_and_tombstones():
    assert encode_record(Tombstone(COMMIT.key)) == (encode_key(COMMIT.key), None)
    assert decode_record(encode_key(COMMIT.key), None) == Tombstone(COMMIT.key)
    assert decode_record(*encode_record(GROUP)) == GROUP
    assert Tombstone(GroupMetadataKey("x")).group == "x"


def test_unknown_and_broken_keys():
    with pytest.raises(UnknownRecordTypeError):
        decode_key(i16(18) + s16("g"))  # StreamsGroupPartitionMetadata, which Kafka 4.3 dropped
    with pytest.raises(DecodeError):
        decode_key(b"\x00")
    with pytest.raises(DecodeError):
        decode_key(i16(1) + s16("g"))  # truncated
    with pytest.raises(DecodeError):
        decode_value(COMMIT.key, i16(-1) + i64(1))


names = st.text(max_size=20)
commits = st.builds(OffsetCommit, names, names, st.integers(0, (1 << 31) - 1), st.integers(-1, 1 << 62),
                    st.integers(-1, (1 << 31) - 1), names, st.integers(-1, 1 << 50), st.just(-1))
members = st.builds(MemberMetadata, names, st.none() | names, names, names, st.integers(0, (1 << 31) - 1),
                    st.integers(0, (1 << 31) - 1), st.binary(max_size=30), st.binary(max_size=30))
groups = st.builds(GroupMetadata, names, names, st.integers(0, (1 << 31) - 1), st.none() | names,
                   st.none() | names, st.integers(-1, 1 << 50), st.lists(members, max_size=4))


@settings(max_examples=100, deadline=None)
@given(entry=commits | groups)
def test_any_entry_round_trips_as_written(entry):
    assert decode_record(*encode_record(entry)) == entry


def test_the_share_and_streams_groups_record_types_are_kafkas():
    """They route records to modules imported on first use, so they are written out, not derived."""
    from odradek.server.groups.offsets_records import SHARE_GROUP_TYPES, STREAMS_GROUP_TYPES
    from odradek.wire.coordinator_records import consumer_offsets

    def named(prefix):
        return {t for t, record in consumer_offsets.RECORD_BY_TYPE.items() if record.name.startswith(prefix)}

    assert SHARE_GROUP_TYPES == named("ShareGroup")
    assert STREAMS_GROUP_TYPES == named("StreamsGroup")
