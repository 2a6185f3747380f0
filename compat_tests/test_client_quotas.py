"""Client quotas: ``kafka-configs --entity-type clients|users`` unmodified, and the rates enforced.

The quotas are set with Kafka 4.3.1's own ConfigCommand (AlterClientQuotas) and read back with it
(DescribeClientQuotas), kept across a restart; confluent-kafka clients then produce and consume as
fast as they can under ``producer_byte_rate`` / ``consumer_byte_rate``, and the rate they get once
the first window's burst is over is within 20% of the quota. The broker keeps 3 one-second
samples (``quota.window.num``), Kafka's mechanism with a shorter memory than its default 11, so
the burst a fresh client is allowed (two windows' worth) is over in seconds. Like
``test_kafka_tools``, the module runs against Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``).
"""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Consumer, Producer

from odradek.tools.client import Client
from odradek.wire import ApiKey

from .java.kafka_tool import CONFIGS, run_tool

BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0, "quota.window.num": 3, "quota.window.size.seconds": 1}
RUNS_AGAINST_KAFKA_TOO = True
QUOTA = 200_000  # bytes/s
RECORD = b"x" * 1000
WARM_UP = 4.0  # s: the burst of the first windows, then the throttled steady state
MEASURE = 6.0  # s of steady state measured
TOLERANCE = 0.2


@pytest.fixture
def kafka(module_broker, kafka_jars):
    def run(*args: str, **options):
        return run_tool(CONFIGS, "--bootstrap-server", module_broker.bootstrap, *args, **options)
    return run


def test_kafka_configs_alters_and_describes_client_quotas(kafka):
    client = ("--entity-type", "clients", "--entity-name", "configs-app")
    altered = kafka("--alter", *client, "--add-config",
                    "producer_byte_rate=1024,consumer_byte_rate=2048,request_percentage=50")
    assert altered.lines() == ["Completed updating config for client configs-app."]
    described = kafka("--describe", *client).lines()
    assert len(described) == 1 and described[0].startswith("Quota configs for client-id 'configs-app' are ")
    assert sorted(described[0].split(" are ")[1].split(", ")) == [
        "consumer_byte_rate=2048.0", "producer_byte_rate=1024.0", "request_percentage=50.0"]

    kafka("--alter", *client, "--delete-config", "consumer_byte_rate,request_percentage")
    assert kafka("--describe", *client).lines() == [
        "Quota configs for client-id 'configs-app' are producer_byte_rate=1024.0"]
    kafka("--alter", *client, "--delete-config", "producer_byte_rate")
    assert kafka("--describe", *client).lines() == []


def test_kafka_configs_user_and_user_client_quotas(kafka):
    user = ("--entity-type", "users", "--entity-name", "quota-alice")
    kafka("--alter", *user, "--add-config", "producer_byte_rate=4096")
    kafka("--alter", *user, "--entity-type", "clients", "--entity-name", "quota-app",
          "--add-config", "consumer_byte_rate=100")
    assert kafka("--describe", *user).lines() == ["Quota configs for user-principal 'quota-alice' are "
                                                  "producer_byte_rate=4096.0"]
    assert kafka("--describe", *user, "--entity-type", "clients", "--entity-name", "quota-app").lines() == [
        "Quota configs for user-principal 'quota-alice', client-id 'quota-app' are consumer_byte_rate=100.0"]
    everyone = kafka("--describe", "--entity-type", "users").lines()
    assert "Quota configs for user-principal 'quota-alice' are producer_byte_rate=4096.0" in everyone
    kafka("--alter", *user, "--delete-config", "producer_byte_rate")
    kafka("--alter", *user, "--entity-type", "clients", "--entity-name", "quota-app",
          "--delete-config", "consumer_byte_rate")
    assert kafka("--describe", *user).lines() == []


def test_kafka_configs_refuses_what_kafka_refuses(kafka):
    client = ("--entity-type", "clients", "--entity-name", "refused-app")
    fractional = kafka("--alter", *client, "--add-config", "producer_byte_rate=10.5", check=False)
    assert fractional.returncode != 0
    assert "InvalidRequestException: producer_byte_rate cannot be a fractional value." in fractional.stderr
    negative = kafka("--alter", *client, "--add-config", "request_percentage=-5", check=False)
    assert negative.returncode != 0
    assert "InvalidRequestException: Quota request_percentage must be greater than 0" in negative.stderr
    unknown = kafka("--alter", *client, "--add-config", "retention.ms=1", check=False)
    assert unknown.returncode != 0
    assert kafka("--describe", *client).lines() == []


def test_the_default_client_quota_is_described_as_the_default(kafka):
    default = ("--entity-type", "clients", "--entity-default")
    kafka("--alter", *default, "--add-config", "request_percentage=200")
    try:
        assert kafka("--describe", *default).lines() == [
            "Quota configs for the default client-id are request_percentage=200.0"]
    finally:
        kafka("--alter", *default, "--delete-config", "request_percentage")


def test_a_producer_is_held_to_its_byte_rate(module_broker, topic):
    set_client_quota(module_broker.bootstrap, "quota-producer", "producer_byte_rate", QUOTA)
    throttles = []
    producer = Producer({"bootstrap.servers": module_broker.bootstrap, "client.id": "quota-producer",
                         "linger.ms": 5, "batch.size": 16384, "statistics.interval.ms": 1000,
                         "stats_cb": lambda text: throttles.extend(
                             b["throttle"]["max"] for b in json.loads(text)["brokers"].values())})
    acked = []  # (time, bytes) of each delivered record
    on_delivery = lambda err, msg: acked.append((time.monotonic(), len(msg.value()))) if err is None else None  # noqa
    started = time.monotonic()
    try:
        while time.monotonic() - started < WARM_UP + MEASURE:
            try:
                producer.produce(topic, RECORD, on_delivery=on_delivery)
            except BufferError:
                producer.poll(0.05)
            producer.poll(0)
        producer.flush(30)
    finally:
        set_client_quota(module_broker.bootstrap, "quota-producer", "producer_byte_rate", None)
    rate = _steady_rate(acked, started)
    print(f"producer: {rate:.0f} B/s under a quota of {QUOTA} B/s; throttle seen up to {max(throttles, default=0)} ms")
    assert abs(rate - QUOTA) <= TOLERANCE * QUOTA, f"{rate:.0f} B/s, quota {QUOTA}"
    assert max(throttles, default=0) > 0, "no produce response carried a throttle time"


def test_a_consumer_is_held_to_its_byte_rate(module_broker, topic):
    _fill(module_broker.bootstrap, topic, int(QUOTA * (WARM_UP + MEASURE + 4)))
    set_client_quota(module_broker.bootstrap, "quota-consumer", "consumer_byte_rate", QUOTA)
    # fetches small beside the quota window: a throttled fetch is answered empty and asked again after
    # the throttle time, so each one as big as the window (Kafka's cap) would leave a third of the
    # quota unused (128 KB/s of 200 KB/s here, against Kafka 4.3.1 and odradek alike)
    consumer = Consumer({"bootstrap.servers": module_broker.bootstrap, "client.id": "quota-consumer",
                         "group.id": f"{topic}-group", "auto.offset.reset": "earliest",
                         "fetch.max.bytes": QUOTA // 5, "message.max.bytes": QUOTA // 5,
                         "max.partition.fetch.bytes": QUOTA // 5})
    consumer.subscribe([topic])
    received = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < WARM_UP + MEASURE:
            for message in consumer.consume(1000, timeout=0.5):
                if message.error() is None:
                    received.append((time.monotonic(), len(message.value())))
    finally:
        consumer.close()
        set_client_quota(module_broker.bootstrap, "quota-consumer", "consumer_byte_rate", None)
    rate = _steady_rate(received, started)
    print(f"consumer: {rate:.0f} B/s under a quota of {QUOTA} B/s")
    assert abs(rate - QUOTA) <= TOLERANCE * QUOTA, f"{rate:.0f} B/s, quota {QUOTA}"


def test_without_a_quota_the_same_client_is_not_throttled(module_broker, topic):
    producer = Producer({"bootstrap.servers": module_broker.bootstrap, "client.id": "quota-producer",
                         "linger.ms": 5})
    count = int(QUOTA * 3 / len(RECORD))  # three seconds' worth under the quota
    started = time.monotonic()
    for _ in range(count):
        while True:
            try:
                producer.produce(topic, RECORD)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(30) == 0
    assert time.monotonic() - started < 3, "produced no faster than the (removed) quota"


def _steady_rate(events: list[tuple[float, int]], started: float) -> float:
    """Bytes per second in [WARM_UP, WARM_UP + MEASURE) after ``started``."""
    begin, end = started + WARM_UP, started + WARM_UP + MEASURE
    return sum(size for at, size in events if begin <= at < end) / MEASURE


def set_client_quota(bootstrap: str, client_id: str, key: str, value: float | None) -> None:
    """Sets (or, with None, removes) one quota of a client id over AlterClientQuotas."""
    with Client(bootstrap) as client:
        answer = client.send(ApiKey.ALTER_CLIENT_QUOTAS, {"entries": [{
            "entity": [{"entity_type": "client-id", "entity_name": client_id}],
            "ops": [{"key": key, "value": value or 0.0, "remove": value is None}]}], "validate_only": False})
    assert answer.entries[0].error_code == 0, answer
    time.sleep(0.5)  # Kafka applies it through its metadata log a moment after answering


def _fill(bootstrap: str, topic: str, size: int) -> None:
    # small batches: a fetch returns at least one whole batch, and one bigger than the quota window
    # allows (2 x QUOTA here) would be throttled every time, as in Kafka
    producer = Producer({"bootstrap.servers": bootstrap, "client.id": "quota-filler", "linger.ms": 20,
                         "batch.size": 16384})
    for _ in range(size // len(RECORD) + 1):
        while True:
            try:
                producer.produce(topic, RECORD)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(60) == 0
