"""A cluster spread over three racks: rack-aware replica placement, and consumers reading from a
replica in their own rack (KIP-392, ``replica.selector.class`` rack-aware, ``client.rack``)."""

from __future__ import annotations

from confluent_kafka import TopicPartition

from odradek.wire import ApiKey

from .clients import ck_read
from .cluster_process import wait_until
from .wire_client import WireClient

CLUSTER_RACKS = {1: "rack-a", 2: "rack-b", 3: "rack-c"}
CLUSTER_OVERRIDES = {"replica.selector.class": "org.apache.kafka.common.replica.RackAwareReplicaSelector",
                     "default.replication.factor": 3}


def test_brokers_report_their_racks_and_replicas_span_them(cluster, clients):
    from kafka.admin import NewTopic
    admin = clients.kp_admin(cluster)
    admin.create_topics([NewTopic("racked", 6, 2)])
    partitions = cluster.wait_for_leaders("racked", 6, isr_size=2)
    for p in partitions.values():
        assert len({CLUSTER_RACKS[r] for r in p.replicas}) == 2
    described = admin.describe_cluster()
    assert {b.get("node_id", b.get("broker_id")): b["rack"] for b in described["brokers"]} == CLUSTER_RACKS


def fetch_v11(broker, topic: str, rack: str, leader_epoch: int):
    with WireClient(broker) as client:
        return client.send(ApiKey.FETCH, 11, {
            "replica_id": -1, "max_wait_ms": 100, "min_bytes": 1, "max_bytes": 1 << 20, "isolation_level": 0,
            "session_id": 0, "session_epoch": -1, "rack_id": rack, "forgotten_topics_data": [],
            "topics": [{"topic": topic, "partitions": [{"partition": 0, "current_leader_epoch": leader_epoch,
                                                        "fetch_offset": 0, "log_start_offset": -1,
                                                        "partition_max_bytes": 1 << 20}]}],
        }).responses[0].partitions[0]


def test_the_leader_points_a_consumer_at_a_replica_in_its_rack(cluster, clients):
    from confluent_kafka.admin import NewTopic
    clients.ck_admin(cluster).create_topics([NewTopic("nearby", 1, 3)])["nearby"].result(30)
    partition = cluster.wait_for_leaders("nearby", 1, isr_size=3)[0]
    producer = clients.ck_producer(cluster, acks="all")
    for i in range(50):
        producer.produce("nearby", value=b"%d" % i, partition=0)
    assert producer.flush(15) == 0
    follower = next(r for r in partition.replicas if r != partition.leader)
    leader_broker = cluster.brokers[partition.leader]
    answer = fetch_v11(leader_broker, "nearby", CLUSTER_RACKS[follower], partition.leader_epoch)
    assert answer.preferred_read_replica == follower and not answer.records
    same_rack = fetch_v11(leader_broker, "nearby", CLUSTER_RACKS[partition.leader], partition.leader_epoch)
    assert same_rack.preferred_read_replica == -1 and same_rack.records
    # the follower serves records up to its own high watermark, which follows the leader's
    from_follower = wait_until(
        lambda: (a := fetch_v11(cluster.brokers[follower], "nearby", CLUSTER_RACKS[follower], partition.leader_epoch))
        .high_watermark == 50 and a, 10, "the follower's high watermark to reach the leader's")
    assert from_follower.error_code == 0 and from_follower.records

    consumer = clients.ck_consumer(cluster, **{"client.rack": CLUSTER_RACKS[follower]})
    consumer.assign([TopicPartition("nearby", 0, 0)])
    assert [int(m.value()) for m in ck_read(consumer, 50)] == list(range(50))
