"""``__consumer_offsets`` as durable storage: Kafka's partition choice, creation, write, replay."""

import pytest
import trio
import trio.testing
from hypothesis import given
from hypothesis import strategies as st

from odradek.server.broker import Broker
from odradek.server.coordinator_log import CoordinatorWriteError
from odradek.server.broker_config import BrokerConfig
from odradek.server.groups.offsets_records import (
    GroupMetadata, GroupMetadataKey, MemberMetadata, OffsetCommit, OffsetCommitKey, Tombstone, encode_key,
)
from odradek.server.groups.offsets_topic import OFFSETS_TOPIC, OffsetsTopic, partition_for
from odradek.storage.partition_log import wall_clock_ms
from odradek.wire import ErrorCode
from odradek.wire.records import Record, build_batch, read_batches

INT_MAX = (1 << 31) - 1  # partition_for(g, INT_MAX) is Utils.abs(g.hashCode()) itself


def java_hash_code(text: str) -> int:
    """String.hashCode by its definition: sum of s[i] * 31^(n-1-i) over UTF-16 units, as an int."""
    encoded = text.encode("utf-16-be")
    units = [int.from_bytes(encoded[i:i + 2], "big") for i in range(0, len(encoded), 2)]
    total = sum(unit * 31 ** (len(units) - 1 - i) for i, unit in enumerate(units)) % (1 << 32)
    return total - (1 << 32) if total >= 1 << 31 else total


# Reference values printed by Java 17 ("id".hashCode(), then Kafka's partition for 50 and 7 partitions).
JAVA_REFERENCE = [
    ("", 0, 0, 0),
    ("a", 97, 47, 6),
    ("my-group", -1906497762, 12, 1),
    ("console-consumer-12345", 158455506, 6, 6),
    ("polygenelubricants", -2147483648, 0, 0),
    ("GydZG_", -2147483648, 0, 0),
    ("DESIGNING WORKHOUSES", -2147483648, 0, 0),
    ("grüppe", -1233264812, 12, 3),
    ("组", 32452, 2, 0),
    ("emoji-\U0001F600", 1164511306, 6, 0),
    ("test-group", 627841412, 12, 2),
    ("group-1", 293427299, 49, 4),
    ("z" * 30, -291400512, 12, 4),
]


@pytest.mark.parametrize(("group", "hash_code", "of_50", "of_7"), JAVA_REFERENCE)
def test_partition_matches_java(group, hash_code, of_50, of_7):
    assert java_hash_code(group) == hash_code
    assert partition_for(group, 50) == of_50
    assert partition_for(group, 7) == of_7
    assert partition_for(group, INT_MAX) == (0 if hash_code == -(1 << 31) else abs(hash_code))


@given(group=st.text(max_size=40), partitions=st.integers(1, 1000))
def test_partition_is_kafkas_formula(group, partitions):
    hash_code = java_hash_code(group)
    assert partition_for(group, partitions) == (0 if hash_code == -(1 << 31) else abs(hash_code)) % partitions


def test_bytes_that_are_not_utf8_hash_as_java_decodes_them():
    """The wire keeps undecodable bytes as surrogate escapes; Java sees U+FFFD there."""
    escaped = b"g\xff".decode("utf-8", "surrogateescape")
    assert partition_for(escaped, INT_MAX) == abs(java_hash_code("g\ufffd"))


@pytest.fixture
def start_broker(tmp_path):
    """start_broker(**props) -> a Broker whose logs are open on tmp_path (a restart is another call)."""
    started = []

    def start(**props) -> Broker:
        for broker in started:
            broker.logs.close()
        config = {"log.dirs": str(tmp_path / "data")}
        config.update({name.replace("_", "."): str(value) for name, value in props.items()})
        broker = Broker(BrokerConfig(config))
        broker.open_storage()
        started.append(broker)
        return broker

    yield start
    for broker in started:
        broker.logs.close()


def commit(group, topic, partition, offset, **extra):
    return OffsetCommit(group, topic, partition, offset, leader_epoch=1, metadata="", commit_timestamp_ms=5,
                        **extra)


def group_metadata(group, generation, members=()):
    return GroupMetadata(group, "consumer", generation, "range" if members else None,
                         members[0].member_id if members else None, 1_000 + generation, list(members))


MEMBER = MemberMetadata("m-1", None, "c", "/127.0.0.1", 60_000, 45_000, b"sub", b"assign")


def test_ensure_created_uses_the_configured_settings_and_is_idempotent(start_broker):
    broker = start_broker(offsets_topic_num_partitions=5, offsets_topic_segment_bytes=2 * 1024 * 1024)
    topic = OffsetsTopic(broker)
    topic.ensure_created()
    info = broker.logs.get_topic(OFFSETS_TOPIC)
    assert info.num_partitions == 5
    assert info.configs == {"cleanup.policy": "compact", "segment.bytes": str(2 * 1024 * 1024),
                            "compression.type": "producer"}
    assert broker.logs.topic_config(OFFSETS_TOPIC).segment_bytes == 2 * 1024 * 1024
    topic.ensure_created()
    assert broker.logs.get_topic(OFFSETS_TOPIC).topic_id == info.topic_id


def test_kafka_defaults(start_broker):
    topic = OffsetsTopic(start_broker())
    assert (topic.num_partitions, topic.segment_bytes, topic.compression) == (50, 104857600, "none")


def test_write_then_load_keeps_the_latest_per_key_and_applies_tombstones(start_broker):
    broker = start_broker(offsets_topic_num_partitions=3)
    topic = OffsetsTopic(broker)
    topic.ensure_created()
    topic.write("a", [commit("a", "t", 0, 10), commit("a", "t", 1, 20), group_metadata("a", 1, [MEMBER])])
    topic.write("b", [commit("b", "t", 0, 7), group_metadata("b", 3)])
    topic.write("a", [commit("a", "t", 0, 11), Tombstone(OffsetCommitKey("a", "t", 1)),
                      group_metadata("a", 2, [MEMBER])])
    topic.write("c", [commit("c", "u", 4, 1)])
    topic.write("c", [Tombstone(OffsetCommitKey("c", "u", 4)), Tombstone(GroupMetadataKey("c"))])
    topic.write("b", [Tombstone(GroupMetadataKey("b"))])

    loaded = topic.load()
    assert loaded.offsets == {"a": {("t", 0): commit("a", "t", 0, 11)}, "b": {("t", 0): commit("b", "t", 0, 7)}}
    assert loaded.groups == {"a": group_metadata("a", 2, [MEMBER])}


def test_everything_survives_a_restart(start_broker):
    topic = OffsetsTopic(start_broker(offsets_topic_num_partitions=4))
    topic.ensure_created()
    groups = [f"group-{i}" for i in range(12)]
    for i, group in enumerate(groups):
        topic.write(group, [commit(group, "t", i, i * 100, expire_timestamp_ms=-1 if i % 2 else 99),
                            group_metadata(group, i, [MEMBER])])
    before = topic.load()

    restarted = OffsetsTopic(start_broker(offsets_topic_num_partitions=4))
    after = restarted.load()
    assert after == before
    assert set(after.offsets) == set(groups)
    assert after.offsets["group-0"][("t", 0)].expire_timestamp_ms == 99


def test_a_group_is_written_to_its_partition_as_one_batch(start_broker):
    broker = start_broker(offsets_topic_num_partitions=7, offsets_topic_compression_codec=1)
    topic = OffsetsTopic(broker)
    topic.ensure_created()
    entries = [commit("my-group", "t", p, p) for p in range(3)]
    before = wall_clock_ms()
    topic.write("my-group", entries)
    after = wall_clock_ms()
    partition = partition_for("my-group", 7)
    assert partition == 1
    log = broker.logs.partition(OFFSETS_TOPIC, partition)
    (batch,) = read_batches(log.read(0, 1 << 20).read())
    assert batch.compression == "gzip"
    assert batch.producer_id == -1 and not batch.is_transactional
    assert before <= batch.base_timestamp == batch.max_timestamp <= after
    assert [record.key for record in batch.records] == [encode_key(e.key) for e in entries]
    assert [record.offset_delta for record in batch.records] == [0, 1, 2]
    others = [p for p in range(7) if p != partition]
    assert all(broker.logs.partition(OFFSETS_TOPIC, p).log_end_offset == 0 for p in others)


def test_the_existing_partition_count_wins_over_a_changed_setting(start_broker):
    topic = OffsetsTopic(start_broker(offsets_topic_num_partitions=3))
    topic.ensure_created()
    topic.write("g", [commit("g", "t", 0, 1)])
    changed = OffsetsTopic(start_broker(offsets_topic_num_partitions=10))
    assert changed.num_partitions == 3
    changed.write("g", [commit("g", "t", 0, 2)])
    assert changed.load().offsets["g"][("t", 0)].offset == 2


def test_load_skips_records_of_types_it_does_not_keep(start_broker):
    broker = start_broker(offsets_topic_num_partitions=1)
    topic = OffsetsTopic(broker)
    topic.ensure_created()
    streams_group_key = b"\x00\x12" + encode_key(GroupMetadataKey("g"))[2:]  # a type Kafka 4.3 dropped (18)
    broker.logs.partition(OFFSETS_TOPIC, 0).append(build_batch(
        [Record(0, 0, streams_group_key, b"\x00\x00\x00\x00\x00\x01")],  # (keyless records: refused on append)
        base_timestamp=wall_clock_ms()))
    topic.write("g", [commit("g", "t", 0, 1)])
    assert topic.load().offsets == {"g": {("t", 0): commit("g", "t", 0, 1)}}


def test_load_without_the_topic_is_empty(start_broker):
    loaded = OffsetsTopic(start_broker()).load()
    assert (loaded.offsets, loaded.groups) == ({}, {})


def test_write_failures_raise(start_broker):
    broker = start_broker(offsets_topic_num_partitions=2, message_max_bytes=2000)
    topic = OffsetsTopic(broker)
    with pytest.raises(CoordinatorWriteError) as missing:
        topic.write("g", [commit("g", "t", 0, 1)])
    assert missing.value.code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    topic.ensure_created()
    with pytest.raises(ValueError):
        topic.write("g", [commit("other", "t", 0, 1)])
    with pytest.raises(CoordinatorWriteError) as too_large:
        topic.write("g", [OffsetCommit("g", "t", 0, 1, -1, "x" * 5000, 5)])
    assert too_large.value.code == ErrorCode.MESSAGE_TOO_LARGE
    assert topic.load().offsets == {}


def test_bad_compression_setting_is_refused(start_broker):
    with pytest.raises(ValueError):
        OffsetsTopic(start_broker(offsets_topic_compression_codec=9))


async def test_write_wakes_fetchers_of_that_partition(start_broker):
    broker = start_broker(offsets_topic_num_partitions=7)
    topic = OffsetsTopic(broker)
    topic.ensure_created()
    woken = []

    async def fetcher(partition):
        await broker.appends.wait_any([(OFFSETS_TOPIC, partition)])
        woken.append(partition)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(fetcher, partition_for("my-group", 7))
        nursery.start_soon(fetcher, partition_for("a", 7))
        await trio.testing.wait_all_tasks_blocked()
        topic.write("my-group", [commit("my-group", "t", 0, 1)])
        await trio.testing.wait_all_tasks_blocked()
        assert woken == [1]
        nursery.cancel_scope.cancel()
