"""A three-broker cluster on a real ZooKeeper, used by real clients.

The cluster is shared by the module's tests (each test uses its own topics): ZooKeeper from the
Maven Central jars and three ``odradek serve`` processes, as ``cluster_process`` runs them.
What the tests check is what Kafka users see: every broker in the metadata, one controller,
replicas spread over the brokers, leaders answering, followers in sync, Kafka's layout in
ZooKeeper.
"""

from __future__ import annotations

import json
from collections import Counter

import kafka.errors
import pytest

from odradek.wire import ApiKey

from .cluster_process import wait_until
from .clients import ck_read

CLUSTER_OVERRIDES = {"default.replication.factor": 3}


def test_every_broker_sees_all_three_and_one_controller(cluster):
    controllers = set()
    for broker in cluster.brokers.values():
        metadata = cluster_metadata(broker.bootstrap)
        assert sorted(metadata.brokers) == [1, 2, 3]
        controllers.add(metadata.controller_id)
    assert len(controllers) == 1


def test_kafkas_zookeeper_layout(cluster, zk):
    assert sorted(zk.get_children("/brokers/ids")) == ["1", "2", "3"]
    registration = json.loads(zk.get("/brokers/ids/2")[0])
    assert registration["version"] == 5
    assert registration["endpoints"] == [f"PLAINTEXT://127.0.0.1:{cluster.brokers[2].port}"]
    controller = json.loads(zk.get("/controller")[0])
    assert controller["brokerid"] == cluster.controller()
    assert int(zk.get("/controller_epoch")[0]) >= 1
    assert json.loads(zk.get("/cluster/id")[0])["id"] == cluster.metadata([]).cluster_id


def test_a_replicated_topic_is_spread_and_in_sync(cluster, clients, zk):
    admin = clients.kp_admin(cluster)
    from kafka.admin import NewTopic
    admin.create_topics([NewTopic("spread", 6, 3)])
    partitions = cluster.wait_for_leaders("spread", 6, isr_size=3)
    assert Counter(p.leader for p in partitions.values()) == {1: 2, 2: 2, 3: 2}
    for p in partitions.values():
        assert sorted(p.replicas) == [1, 2, 3] and p.replicas[0] == p.leader
    assignment = json.loads(zk.get("/brokers/topics/spread")[0])
    assert {int(k): v for k, v in assignment["partitions"].items()} == {i: p.replicas for i, p in partitions.items()}
    state = json.loads(zk.get("/brokers/topics/spread/partitions/0/state")[0])
    assert state["leader"] == partitions[0].leader and sorted(state["isr"]) == [1, 2, 3]


def test_keyed_records_come_back_in_order_per_partition(cluster, clients):
    admin = clients.ck_admin(cluster)
    from confluent_kafka.admin import NewTopic
    admin.create_topics([NewTopic("keyed", 6, 3)])["keyed"].result(30)
    cluster.wait_for_leaders("keyed", 6, isr_size=3)
    producer = clients.ck_producer(cluster, **{"acks": "all", "enable.idempotence": True})
    for i in range(600):
        producer.produce("keyed", key=b"key-%d" % (i % 20), value=b"%d" % i)
    assert producer.flush(30) == 0
    consumer = clients.ck_consumer(cluster)
    from confluent_kafka import TopicPartition
    consumer.assign([TopicPartition("keyed", p, 0) for p in range(6)])
    messages = ck_read(consumer, 600)
    by_key: dict[bytes, list[int]] = {}
    partition_of: dict[bytes, int] = {}
    for message in messages:
        by_key.setdefault(message.key(), []).append(int(message.value()))
        assert partition_of.setdefault(message.key(), message.partition()) == message.partition()
    assert all(values == sorted(values) for values in by_key.values())
    assert sum(len(v) for v in by_key.values()) == 600


def test_a_follower_refuses_produce_and_the_client_finds_the_leader(cluster, clients):
    from kafka.admin import NewTopic
    clients.kp_admin(cluster).create_topics([NewTopic("routing", 1, 3)])
    leader = cluster.wait_for_leaders("routing", 1, isr_size=3)[0].leader
    follower = next(b for i, b in cluster.brokers.items() if i != leader)
    producer = clients.kp_producer(follower, acks="all")
    assert producer.send("routing", b"hello").get(timeout=15).offset == 0


def test_acks_all_is_refused_below_min_insync_replicas(cluster, clients):
    """With min.insync.replicas above the ISR's size, Kafka refuses acks=all (NOT_ENOUGH_REPLICAS)."""
    from confluent_kafka.admin import NewTopic
    admin = clients.ck_admin(cluster)
    admin.create_topics([NewTopic("strict", 1, 2, config={"min.insync.replicas": "3"})])["strict"].result(30)
    cluster.wait_for_leaders("strict", 1, isr_size=2)
    producer = clients.kp_producer(cluster, acks="all", retries=0)
    with pytest.raises(kafka.errors.NotEnoughReplicasError):
        producer.send("strict", b"x").get(timeout=15)
    assert clients.kp_producer(cluster, acks=1).send("strict", b"y").get(timeout=15).offset == 0


def cluster_metadata(bootstrap: str):
    from odradek.tools.client import Client

    with Client(bootstrap, timeout=10.0) as client:
        return wait_until(lambda: client.metadata([]), 10, "metadata")


def test_answers_keep_request_order_while_acks_all_waits_for_the_isr(cluster, clients):
    """A Produce waiting for its followers lets the connection handle the next requests, but the
    answers still come back in the order the requests went out, as Kafka's do."""
    import socket

    from odradek.wire import encode_request, parse_response
    from odradek.wire.records import Record, build_batch

    from .raw_kafka import read_response

    from kafka.admin import NewTopic
    clients.kp_admin(cluster).create_topics([NewTopic("ordered", 1, 3)])
    leader = cluster.wait_for_leaders("ordered", 1, isr_size=3)[0].leader
    batch = build_batch([Record(0, 0, None, b"v")], base_timestamp=1)
    produce = {"transactional_id": None, "acks": -1, "timeout_ms": 10_000,
               "topic_data": [{"name": "ordered", "partition_data": [{"index": 0, "records": batch}]}]}
    with socket.create_connection(("127.0.0.1", cluster.brokers[leader].port), timeout=15) as sock:
        requests = [(ApiKey.PRODUCE, 9, produce), (ApiKey.API_VERSIONS, 3, {"client_software_name": "t",
                                                                              "client_software_version": "1"}),
                    (ApiKey.PRODUCE, 9, produce), (ApiKey.METADATA, 12, {"topics": None,
                                                                         "allow_auto_topic_creation": False})]
        sock.sendall(b"".join(encode_request(key, version, i, "t", body)
                              for i, (key, version, body) in enumerate(requests)))
        answers = [parse_response(key, version, read_response(sock)) for key, version, _ in requests]
    assert [correlation_id for correlation_id, _ in answers] == [0, 1, 2, 3]
    offsets = [answers[i][1].responses[0].partition_responses[0] for i in (0, 2)]
    assert [(o.error_code, o.base_offset) for o in offsets] == [(0, 0), (0, 1)]
