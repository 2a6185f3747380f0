"""Real consumers reading many partitions through fetch sessions (KIP-227).

kafka-python and the Java consumer open one session per broker with a full fetch and then send
incremental ones; librdkafka (confluent-kafka) does not use sessions and sends sessionless fetches
(epoch -1), which must go on working beside them. The broker's ``/metrics`` tells how many sessions
were opened (``odradek_fetch_sessions_created_total``) and how many partitions they cache, so each
test can tell a consumer that fetched incrementally (one session for all its fetches) from one that
opened a session per fetch.
"""

from __future__ import annotations

import collections

import pytest
from confluent_kafka import TopicPartition as CkTopicPartition
from confluent_kafka.admin import NewTopic
from kafka import TopicPartition as KpTopicPartition

from .clients import ck_read, ck_wait, kp_read, wait_until
from .java.kafka_tool import CONSOLE_CONSUMER, run_tool
from .metrics_scrape import metrics_url, scrape

BROKER_OVERRIDES = {"metrics.port": 0}
PARTITIONS = 200
PER_PARTITION = 5
CREATED = "odradek_fetch_sessions_created_total"
SESSIONS = "kafka_server_fetchsessioncache_numincrementalfetchsessions"
CACHED = "kafka_server_fetchsessioncache_numincrementalfetchpartitionscached"
FETCHES = "kafka_network_requestmetrics_requests_total"


def fill(clients, broker, topic: str) -> dict[int, list[bytes]]:
    """A topic of PARTITIONS partitions with PER_PARTITION records each: values by partition."""
    ck_wait(clients.ck_admin(broker).create_topics([NewTopic(topic, PARTITIONS, 1)]))
    producer = clients.ck_producer(broker)
    values = {p: [b"%d-%d" % (p, i) for i in range(PER_PARTITION)] for p in range(PARTITIONS)}
    reports = []
    for p, items in values.items():
        for value in items:
            producer.produce(topic, value=value, partition=p, on_delivery=lambda err, msg: reports.append(err))
        producer.poll(0)
    assert producer.flush(30) == 0
    assert len(reports) == PARTITIONS * PER_PARTITION and not any(reports)
    return values


def by_partition(pairs) -> dict[int, list[bytes]]:
    read = collections.defaultdict(list)
    for partition, value in pairs:
        read[partition].append(value)
    return dict(read)


def test_kafka_python_consumes_through_one_session(module_broker, clients, topic):
    url = metrics_url(module_broker)
    values = fill(clients, module_broker, topic)
    before = scrape(url)
    consumer = clients.kp_consumer(module_broker, fetch_max_wait_ms=50)
    consumer.assign([KpTopicPartition(topic, p) for p in range(PARTITIONS)])
    records = kp_read(consumer, PARTITIONS * PER_PARTITION)
    assert by_partition((r.partition, r.value) for r in records) == values

    def idle_fetches():  # the consumer goes on fetching with nothing new: incremental, empty answers
        consumer.poll(timeout_ms=100)
        now = scrape(url)
        return now if now.total(FETCHES, request="Fetch") - before.total(FETCHES, request="Fetch") >= 20 else None
    after = wait_until(idle_fetches, what="20 fetches from kafka-python")
    assert after.value(CREATED) - before.value(CREATED) == 1
    assert after.value(SESSIONS) - before.value(SESSIONS) == 1
    assert after.value(CACHED) - before.value(CACHED) == PARTITIONS


def test_confluent_kafka_consumes_without_sessions(module_broker, clients, topic):
    url = metrics_url(module_broker)
    values = fill(clients, module_broker, topic)
    before = scrape(url)
    consumer = clients.ck_consumer(module_broker)
    consumer.assign([CkTopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    messages = ck_read(consumer, PARTITIONS * PER_PARTITION)
    assert by_partition((m.partition(), m.value()) for m in messages) == values
    after = scrape(url)
    assert after.total(FETCHES, request="Fetch") > before.total(FETCHES, request="Fetch")
    assert after.value(CREATED) == before.value(CREATED)  # librdkafka fetches with epoch -1


@pytest.mark.usefixtures("kafka_jars")
def test_java_console_consumer_consumes_through_sessions(module_broker, clients, topic):
    url = metrics_url(module_broker)
    values = fill(clients, module_broker, topic)
    before = scrape(url)
    total = PARTITIONS * PER_PARTITION
    run = run_tool(CONSOLE_CONSUMER, "--bootstrap-server", module_broker.bootstrap, "--topic", topic,
                   "--from-beginning", "--max-messages", str(total), "--timeout-ms", "30000",
                   "--formatter-property", "print.partition=true")
    assert f"Processed a total of {total} messages" in run.stderr
    read = by_partition((int(line.split("\t")[0].removeprefix("Partition:")), line.split("\t")[1].encode())
                        for line in run.lines())
    assert {p: sorted(v) for p, v in read.items()} == {p: sorted(v) for p, v in values.items()}
    after = scrape(url)
    fetches = after.total(FETCHES, request="Fetch") - before.total(FETCHES, request="Fetch")
    opened = after.value(CREATED) - before.value(CREATED)
    assert 1 <= opened < fetches  # sessions were opened, and fetches went on in them
