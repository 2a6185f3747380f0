"""Start-up time to the first Metadata answer, and the broker's memory idle and under load.

RSS is the broker process's own (the JVM for Kafka, the Python interpreter for odradek), read from
/proc: under load it is sampled every 100 ms by a thread while confluent-kafka produces records to
a one-partition topic and a consumer reads them all back, and the peak is kept.
"""

from __future__ import annotations

import os
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from ..measurement import Measurement
from ..session import RunningBroker, Session

TITLE = "Start-up and memory"
ABOUT = ("Time from spawning the broker process to its first successful Metadata answer; its "
         "resident memory (RSS) after 3 s idle; and its peak RSS, sampled every 100 ms, while "
         "confluent-kafka produces 1M records of 100 B to a one-partition topic and reads them back.")
IDLE_SECONDS = 3.0
SAMPLE_INTERVAL = 0.1
RECORDS = 1_000_000
RECORD_SIZE = 100
TOPIC = "startup-load"
CLIENT_TIMEOUT = 300.0
MB = 1e6


def run(session: Session) -> list[Measurement]:
    records = session.scaled(RECORDS, minimum=1000)
    fresh, loaded = "fresh broker", f"{records:,} x {RECORD_SIZE} B produced and consumed"
    figures = {name: {"startup": [], "idle": [], "peak": []} for name in session.brokers}
    notes = {name: "" for name in session.brokers}
    for repetition, name in session.rounds():
        try:
            with session.broker(name) as broker:
                startup = broker.startup_seconds
                time.sleep(IDLE_SECONDS)
                idle = broker.rss_bytes() / MB
                peak = peak_rss_under_load(broker, records) / MB
        except Exception as error:  # one broker failing must not end the others' measurements
            notes[name] = f"repetition {repetition + 1} failed: {type(error).__name__}: {error}"[:300]
            continue
        figures[name]["startup"].append(startup)
        figures[name]["idle"].append(idle)
        figures[name]["peak"].append(peak)
    measurements = []
    for name in session.brokers:
        for case, key, metric in ((fresh, "startup", "startup s"), (fresh, "idle", "idle RSS MB"),
                                  (loaded, "peak", "peak RSS MB under load")):
            measurements.append(Measurement("startup", case, name, metric, figures[name][key],
                                            higher_is_better=False, note=notes[name]))
    return measurements


def peak_rss_under_load(broker: RunningBroker, records: int) -> int:
    """The broker's highest RSS seen while ``records`` go through it and back out."""
    peak = broker.rss_bytes()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(SAMPLE_INTERVAL):
            peak = max(peak, broker.rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([NewTopic(TOPIC, 1, 1)])[TOPIC].result(CLIENT_TIMEOUT)
        produce(broker.bootstrap, records)
        consume(broker.bootstrap, records)
    finally:
        done.set()
        sampler.join()
    return max(peak, broker.rss_bytes())


def produce(bootstrap: str, records: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 5})
    payload = os.urandom(RECORD_SIZE)
    for _ in range(records):
        while True:
            try:
                producer.produce(TOPIC, payload)
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.01)
    left = producer.flush(CLIENT_TIMEOUT)
    if left:
        raise RuntimeError(f"{left} records not delivered")


def consume(bootstrap: str, records: int) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "startup-load",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(TOPIC, 0, 0)])
    seen = 0
    deadline = time.monotonic() + CLIENT_TIMEOUT
    try:
        while seen < records and time.monotonic() < deadline:
            seen += sum(1 for message in consumer.consume(10_000, 1.0) if message.error() is None)
    finally:
        consumer.close()
    if seen < records:
        raise RuntimeError(f"consumed {seen} of {records} records")
