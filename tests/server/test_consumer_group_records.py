"""Consumer group (KIP-848) records of ``__consumer_offsets``, byte for byte as Kafka 4.3 writes them.

The expected bytes are what Kafka 4.3.1's generated record classes serialize for the same
values (``MessageUtil.toVersionPrefixedBytes``), so a record odradek writes is one Kafka reads.
"""

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.server.groups.consumer_group_records import (
    ClassicMemberMetadata, ConsumerGroupKey, CurrentAssignment, GroupEpoch, MemberSubscription, PartitionMetadata,
    TargetAssignment, TargetAssignmentEpoch,
)
from odradek.server.groups.offsets_records import Tombstone, decode_key, decode_record, encode_key, encode_record

TOPIC = uuid.UUID(bytes=bytes(range(1, 17)))


def member(**changes):
    fields = dict(group="g", member_id="m", instance_id=None, rack_id="r", client_id="c", client_host="/h",
                  subscribed_topic_names=("a", "b"), subscribed_topic_regex=None, rebalance_timeout_ms=300_000,
                  server_assignor="uniform")
    fields.update(changes)
    return MemberSubscription(**fields)


KAFKA_BYTES = [
    (GroupEpoch("g", 7, -42), "0003000167", "000000000007010008ffffffffffffffd6"),
    (GroupEpoch("g", 7), "0003000167", "00000000000700"),  # a zero hash is a default: not written
    # a member of the consumer protocol: Kafka writes its null classic metadata (tag 0, a 0 marker)
    (member(), "000500016700016d", "00000002720263032f68030261026200000493e008756e69666f726d01000100"),
    (member(instance_id="i", rack_id=None, subscribed_topic_names=("a",), subscribed_topic_regex="",
            rebalance_timeout_ms=1000, server_assignor=None,
            classic=ClassicMemberMetadata(6000, (("range", b"\x01\x02"),))),
     "000500016700016d", "00000269000263032f6802026101000003e8000100110100001770020672616e67650301020000"),
    (TargetAssignmentEpoch("g", 9, 1_700_000_000_000), "0006000167", "0000000000090100080000018bcfe56800"),
    (TargetAssignment("g", "m", {TOPIC: frozenset({2, 0})}), "000700016700016d",
     "0000020102030405060708090a0b0c0d0e0f100300000000000000020000"),
    (CurrentAssignment("g", "m", 9, 8, 1, {TOPIC: {0: 5, 2: 9}}, {TOPIC: {1: 3}}), "000800016700016d",
     "0000000000090000000801020102030405060708090a0b0c0d0e0f10030000000000000002010009030000000500000009"
     "020102030405060708090a0b0c0d0e0f100200000001010005020000000300"),
]


def test_records_are_kafkas_bytes():
    for entry, key, value in KAFKA_BYTES:
        assert encode_record(entry) == (bytes.fromhex(key), bytes.fromhex(value)), entry
        assert decode_record(bytes.fromhex(key), bytes.fromhex(value)) == entry


def test_a_member_record_without_classic_metadata_is_a_classic_member_to_kafka():
    """Kafka's generated code reads an absent tagged struct as the empty struct, not null."""
    value = bytes.fromhex("00000002720263032f68030261026200000493e008756e69666f726d00")
    assert decode_record(bytes.fromhex("000500016700016d"), value) == member(classic=ClassicMemberMetadata(0, ()))


def test_tombstones_and_keys():
    key = ConsumerGroupKey(8, "g", "m")
    assert encode_record(Tombstone(key)) == (bytes.fromhex("000800016700016d"), None)
    assert decode_record(encode_key(key), None) == Tombstone(key)
    assert decode_key(bytes.fromhex("0004000167")) == ConsumerGroupKey(4, "g")


def test_kafkas_older_subscription_metadata_is_recognised():
    """Kafka before 4.1 wrote ConsumerGroupPartitionMetadata; odradek only needs to know it is there."""
    value = bytes.fromhex("0000") + bytes([2]) + TOPIC.bytes + bytes([2]) + b"t" + bytes.fromhex("00000003") + b"\x01\x00\x00"
    assert decode_record(bytes.fromhex("0004000167"), value) == PartitionMetadata("g")


def test_an_assignment_without_epochs_counts_as_assigned_at_the_member_epoch():
    """Records Kafka wrote before KIP-1251 have no assignment epochs."""
    value = bytes.fromhex("000000000009000000080102") + TOPIC.bytes + bytes.fromhex("0200000004") + b"\x00\x01\x00"
    entry = decode_record(bytes.fromhex("000800016700016d"), value)
    assert entry == CurrentAssignment("g", "m", 9, 8, 1, {TOPIC: {4: 9}}, {})


names = st.text(max_size=12)
epochs = st.integers(-2, (1 << 31) - 1)
partitions = st.dictionaries(st.uuids(), st.frozensets(st.integers(0, 1000), min_size=1), max_size=3)
partition_epochs = st.dictionaries(st.uuids(), st.dictionaries(st.integers(0, 1000), epochs, min_size=1), max_size=3)
entries = (
    st.builds(GroupEpoch, names, epochs, st.integers(-(1 << 63), (1 << 63) - 1))
    | st.builds(MemberSubscription, names, names, st.none() | names, st.none() | names, names, names,
                st.lists(names, max_size=3).map(lambda t: tuple(sorted(t))), st.none() | names, epochs,
                st.none() | names,
                st.none() | st.builds(ClassicMemberMetadata, epochs,
                                      st.lists(st.tuples(names, st.binary(max_size=8)), max_size=2).map(tuple)))
    | st.builds(TargetAssignmentEpoch, names, epochs, st.integers(0, 1 << 50))
    | st.builds(TargetAssignment, names, names, partitions)
    | st.builds(CurrentAssignment, names, names, epochs, epochs, st.sampled_from([0, 1, 2]), partition_epochs,
                partition_epochs)
)


@settings(max_examples=100, deadline=None)
@given(entry=entries)
def test_any_record_round_trips(entry):
    assert decode_record(*encode_record(entry)) == entry
