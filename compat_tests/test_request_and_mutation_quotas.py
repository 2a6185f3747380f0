"""``request_percentage`` (KIP-124) and ``controller_mutation_rate`` (KIP-599) quotas, enforced.

A client over its request-time quota gets answers carrying ``throttle_time_ms`` (at most one
quota window, as Kafka's ClientRequestQuotaManager bounds it), and its connection is not read
again until then (KIP-219). A client over its controller mutation quota gets
THROTTLING_QUOTA_EXCEEDED for each further topic it asks to create, grow or delete at the versions
that know the error (CreateTopics v6+, CreatePartitions v3+, DeleteTopics v5+, kafka-python's
admin client here), while older versions are served and only throttled. The broker keeps 3
one-second samples (``controller.quota.window.*``, the mutation quota's own): a mutation quota of
Q allows a burst of 2 x Q partitions. The module runs
against Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``).
"""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Producer
from kafka.admin import KafkaAdminClient, NewPartitions

from odradek.tools.client.connection import Connection
from odradek.wire import ApiKey

from .test_client_quotas import set_client_quota

BROKER_OVERRIDES = {"quota.window.num": 3, "quota.window.size.seconds": 1, "controller.quota.window.num": 3,
                    "controller.quota.window.size.seconds": 1, "num.partitions": 1}
RUNS_AGAINST_KAFKA_TOO = True
THROTTLING_QUOTA_EXCEEDED = 89
WINDOW_MS = 1000
TINY_REQUEST_PERCENTAGE = 0.001  # 20 microseconds of handling over the 2 s the rate spans at first


@pytest.fixture
def quota(module_broker):
    """Sets a client id's quota for the test, and removes it afterwards."""
    made = []

    def set_quota(client_id: str, key: str, value: float) -> None:
        set_client_quota(module_broker.bootstrap, client_id, key, value)
        made.append((client_id, key))

    yield set_quota
    for client_id, key in made:
        set_client_quota(module_broker.bootstrap, client_id, key, None)


def _connect(broker, client_id: str) -> Connection:
    host, port = broker.bootstrap.rsplit(":", 1)
    return Connection(host, int(port), client_id, 30.0)


def _metadata(connection: Connection):
    return connection.request(ApiKey.METADATA, {"topics": [], "allow_auto_topic_creation": False,
                                                "include_topic_authorized_operations": False})


def test_a_client_over_its_request_percentage_is_throttled_and_muted(module_broker, quota):
    quota("busy-client", "request_percentage", TINY_REQUEST_PERCENTAGE)
    connection = _connect(module_broker, "busy-client")
    try:
        throttle_ms = 0
        for _ in range(200):
            throttle_ms = _metadata(connection).throttle_time_ms
            if throttle_ms:
                break
        assert 0 < throttle_ms <= WINDOW_MS, "no answer carried a throttle time within its bounds"
        asked = time.monotonic()
        _metadata(connection)  # the connection is muted: read only once the throttle time is over
        waited_ms = (time.monotonic() - asked) * 1000
        assert waited_ms >= throttle_ms * 0.8, f"answered after {waited_ms:.0f} ms, throttled for {throttle_ms} ms"
    finally:
        connection.close()
    other = _connect(module_broker, "idle-client")  # another client id is not held to that quota
    try:
        assert all(_metadata(other).throttle_time_ms == 0 for _ in range(20))
    finally:
        other.close()


def test_a_producer_over_its_request_percentage_sees_throttle_times(module_broker, quota, topic):
    quota("busy-producer", "request_percentage", TINY_REQUEST_PERCENTAGE)
    throttles = []
    producer = Producer({"bootstrap.servers": module_broker.bootstrap, "client.id": "busy-producer",
                         # one request at a time: each throttled answer mutes the connection for up to
                         # a second, so a pipeline of many small requests would take that long each
                         "linger.ms": 20, "max.in.flight": 1, "statistics.interval.ms": 200,
                         "stats_cb": lambda text: throttles.extend(
                             b["throttle"]["max"] for b in json.loads(text)["brokers"].values())})
    delivered = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (len(delivered) >= 50 and max(throttles, default=0) > 0):
        producer.produce(topic, b"x", on_delivery=lambda err, msg: delivered.append(err))
        producer.poll(0.01)
    assert producer.flush(30) == 0
    assert delivered and all(err is None for err in delivered), "records were lost under the quota"
    assert 0 < max(throttles, default=0) <= WINDOW_MS


def _admin(broker, client_id: str, call):
    """``call(admin)`` on a new kafka-python admin client: kafka-python pauses a connection whose
    answer carried a throttle time (it raises NodeNotReadyError meanwhile), a new one is not."""
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, client_id=client_id)
    try:
        return call(admin)
    finally:
        admin.close()


def test_strict_mutation_quota_refuses_topics_beyond_it(module_broker, quota, topic):
    quota("mutator", "controller_mutation_rate", 2)  # a burst of 4 partitions, then 2 a second
    big, small = f"{topic}-big", f"{topic}-small"
    first = _admin(module_broker, "mutator", lambda admin: admin.create_topics(
        {big: {"num_partitions": 20, "replication_factor": 1}}, raise_errors=False))
    assert [t["error_code"] for t in first["topics"]] == [0]  # allowed: the bucket was not empty
    started = time.monotonic()  # 16 partitions below zero at 2 a second: refused for the next 8 s
    second = _admin(module_broker, "mutator", lambda admin: admin.create_topics(
        {small: {"num_partitions": 1, "replication_factor": 1}}, raise_errors=False))
    assert [(t["error_code"], t["error_message"]) for t in second["topics"]] == [
        (THROTTLING_QUOTA_EXCEEDED, None)]  # Kafka leaves out the error's own message
    grown = _admin(module_broker, "mutator", lambda admin: admin.create_partitions(
        {big: NewPartitions(22)}, raise_errors=False))
    assert [r.error_code for r in grown.results] == [THROTTLING_QUOTA_EXCEEDED]
    deleted = _admin(module_broker, "mutator", lambda admin: admin.delete_topics([big], raise_errors=False))
    assert [r["error_code"] for r in deleted["topics"]] == [THROTTLING_QUOTA_EXCEEDED]
    assert time.monotonic() - started < 6, "too slow to see the quota refuse each API"
    other = _admin(module_broker, "other-mutator", lambda admin: admin.create_topics(
        {small: {"num_partitions": 1, "replication_factor": 1}}, raise_errors=False))
    assert [t["error_code"] for t in other["topics"]] == [0]  # another client id: its own quota (none)
    deadline = time.monotonic() + 20
    while True:
        again = _admin(module_broker, "mutator", lambda admin: admin.delete_topics([big], raise_errors=False))
        codes = [r["error_code"] for r in again["topics"]]
        if codes != [THROTTLING_QUOTA_EXCEEDED] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert codes == [0]
    assert time.monotonic() - started > 6, "allowed again before the bucket had refilled"
    _admin(module_broker, "other-mutator", lambda admin: admin.delete_topics([small]))


def test_older_versions_are_served_and_throttled(module_broker, quota, topic):
    quota("old-mutator", "controller_mutation_rate", 5)  # a burst of 10 partitions
    connection = _connect(module_broker, "old-mutator")
    create = {"topics": [{"name": f"{topic}-a", "num_partitions": 15, "replication_factor": 1,
                          "assignments": [], "configs": []}], "timeout_ms": 10000, "validate_only": False}
    try:
        answer = connection.request(ApiKey.CREATE_TOPICS, create, version=5)
        assert [t.error_code for t in answer.topics] == [0]
        # 5 partitions below zero at 5 a second: odradek throttles this answer for a second, Kafka
        # 4.3.1 (seen) not yet, only the next one
        assert answer.throttle_time_ms <= 1000 + 100
        # read once the bucket is back at about zero (the connection was muted meanwhile): 5 more
        # partitions take it below zero again, made all the same
        create["topics"][0].update(name=f"{topic}-b", num_partitions=5)
        answer = connection.request(ApiKey.CREATE_TOPICS, create, version=5)
        assert [t.error_code for t in answer.topics] == [0]
        assert answer.throttle_time_ms > 0
        answer = connection.request(ApiKey.DELETE_TOPICS, {"topic_names": [f"{topic}-a", f"{topic}-b"],
                                                           "timeout_ms": 10000}, version=4)
        assert [r.error_code for r in answer.responses] == [0, 0]
        assert answer.throttle_time_ms > 0
    finally:
        connection.close()


def test_without_a_quota_mutations_are_not_throttled(module_broker, topic):
    connection = _connect(module_broker, "free-mutator")
    try:
        answer = connection.request(ApiKey.CREATE_TOPICS, {
            "topics": [{"name": topic, "num_partitions": 20, "replication_factor": 1, "assignments": [],
                        "configs": []}], "timeout_ms": 10000, "validate_only": False})
        assert [t.error_code for t in answer.topics] == [0] and answer.throttle_time_ms == 0
    finally:
        connection.close()
