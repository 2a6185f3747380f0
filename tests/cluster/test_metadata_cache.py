"""The metadata cache: what UpdateMetadata says, and what Metadata answers from it."""

from __future__ import annotations

import uuid

from construct import Container

from odradek.server.cluster.metadata_cache import LEADER_DURING_DELETE, MetadataCache
from odradek.wire import ErrorCode

TOPIC_ID = uuid.uuid4()


def update(partitions, brokers=(1, 2, 3), topic="t", topic_id=TOPIC_ID):
    return Container(
        controller_id=1, controller_epoch=4,
        live_brokers=[Container(id=b, rack=f"r{b}", endpoints=[
            Container(listener="PLAINTEXT", host=f"h{b}", port=9090 + b, security_protocol=0)]) for b in brokers],
        topic_states=[Container(topic_name=topic, topic_id=topic_id, partition_states=[
            Container(partition_index=p, leader=leader, leader_epoch=2, isr=[leader], replicas=[1, 2, 3],
                      offline_replicas=[], zk_version=7) for p, leader in partitions])])


def test_an_update_describes_brokers_topics_and_partitions():
    cache = MetadataCache(broker_id=2)
    cache.update(update([(0, 1), (1, 2)]))
    assert [(b, e.host, e.port, r) for b, e, r in cache.brokers_on("PLAINTEXT")] == [
        (1, "h1", 9091, "r1"), (2, "h2", 9092, "r2"), (3, "h3", 9093, "r3")]
    assert cache.topic("t").num_partitions == 2 and cache.topic_by_id(TOPIC_ID).name == "t"
    entries = cache.partition_entries("t", "PLAINTEXT")
    assert [(e["partition_index"], e["leader_id"], e["error_code"]) for e in entries] == [(0, 1, 0), (1, 2, 0)]


def test_later_updates_change_only_what_they_name():
    cache = MetadataCache(broker_id=2)
    cache.update(update([(0, 1), (1, 2)]))
    cache.update(update([(1, 3)]))
    assert [p.leader for p in cache.partitions("t")] == [1, 3]


def test_a_leader_not_on_the_listener_or_gone_is_unavailable():
    cache = MetadataCache(broker_id=2)
    cache.update(update([(0, 3), (1, -1)], brokers=(1, 2)))
    entries = cache.partition_entries("t", "PLAINTEXT")
    assert [(e["leader_id"], e["error_code"]) for e in entries] == [
        (-1, ErrorCode.LEADER_NOT_AVAILABLE), (-1, ErrorCode.LEADER_NOT_AVAILABLE)]


def test_a_deleted_topic_disappears():
    cache = MetadataCache(broker_id=2)
    cache.update(update([(0, 1)]))
    assert cache.update(update([(0, LEADER_DURING_DELETE)])) == ["t"]
    assert cache.topic("t") is None and cache.topic_by_id(TOPIC_ID) is None


def test_a_fenced_broker_forgets_its_own_leaderships_only():
    cache = MetadataCache(broker_id=2)
    cache.update(update([(0, 2), (1, 3)]))
    cache.forget_leaders([("t", 0), ("t", 1)], broker_id=2)
    assert [p.leader for p in cache.partitions("t")] == [-1, 3]
