"""End-to-end latency probe: a paced producer, and a consumer meant to run in its own process.

Each record carries its sequence number and its send time (``time.time_ns()``, CLOCK_REALTIME, which
every process on the machine shares); the consumer subtracts that from the time ``poll`` handed the
record over. Running the consumer as ``python -m benchmarks.latency_probe BOOTSTRAP TOPIC RECORDS
SKIP`` keeps it off the producer's GIL, so neither side's Python work delays the other's clock reads.
It prints ``ready`` once its fetcher runs, then one JSON line with the percentiles.
"""

from __future__ import annotations

import argparse
import json
import math
import struct
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

STAMP = struct.Struct(">qq")      # sequence number, send time in ns
RECORD_SIZE = 100
TICK = 0.001                      # the producer sends what is due every millisecond
IDLE_LIMIT = 15.0                 # seconds without a record before the consumer gives up
PERCENTILES = {"p50 ms": 0.50, "p99 ms": 0.99, "p99.9 ms": 0.999, "max ms": 1.0}

PRODUCER_SETTINGS = {"acks": "all", "linger.ms": 1}
CONSUMER_SETTINGS = {"group.id": "benchmarks-latency", "enable.auto.commit": False,
                     "fetch.min.bytes": 1}


def paced_produce(bootstrap: str, topic: str, rate: int, records: int, skip: int,
                  settings: dict[str, object] | None = None) -> float:
    """Send ``records`` at ``rate`` per second; the rate achieved after the first ``skip``.
    ``settings`` are producer settings on top of ``PRODUCER_SETTINGS``.

    Pacing follows the clock, not a count of ticks: each tick sends every record due by now, so a
    late wake-up is caught up at once instead of lowering the rate.
    """
    failures: list[str] = []
    producer = Producer({"bootstrap.servers": bootstrap, **PRODUCER_SETTINGS, **(settings or {}),
                         "delivery.report.only.error": True,
                         "on_delivery": lambda error, _message: failures.append(str(error))})
    padding = bytes(RECORD_SIZE - STAMP.size)
    start = next_tick = time.perf_counter()
    sent = 0
    measured_from = None
    while sent < records:
        due = min(records, int((time.perf_counter() - start) * rate) + 1)
        while sent < due:
            if sent == skip:
                measured_from = time.perf_counter()
            try:
                producer.produce(topic, STAMP.pack(sent, time.time_ns()) + padding)
            except BufferError:
                producer.poll(TICK)
                continue
            sent += 1
        producer.poll(0)
        next_tick += TICK
        time.sleep(max(0.0, next_tick - time.perf_counter()))
    measured = time.perf_counter() - measured_from
    unsent = producer.flush(30)
    if unsent or failures:
        raise RuntimeError(f"{unsent} records not delivered, {len(failures)} failed"
                           + (f" (first: {failures[0]})" if failures else ""))
    return (records - skip - 1) / measured if measured > 0 else float(rate)


def consume_latencies(bootstrap: str, topic: str, records: int, skip: int) -> dict[str, float]:
    """Read ``records`` from partition 0's start; latency percentiles (ms) of those from ``skip`` on."""
    consumer = Consumer({"bootstrap.servers": bootstrap, **CONSUMER_SETTINGS})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    consumer.poll(1.0)            # the topic is still empty: this only lets the fetcher start
    print("ready", flush=True)
    latencies = []
    received = 0
    last_arrival = time.monotonic()
    try:
        while received < records:
            message = consumer.poll(0.1)   # poll, not consume(n): that waits for n records
            now = time.time_ns()
            if message is None:
                if time.monotonic() - last_arrival > IDLE_LIMIT:
                    raise TimeoutError(f"received {received} of {records}, "
                                       f"then nothing for {IDLE_LIMIT:.0f} s")
                continue
            if message.error() is not None:
                raise KafkaException(message.error())
            last_arrival = time.monotonic()
            received += 1
            sequence, sent_ns = STAMP.unpack_from(message.value())
            if sequence >= skip:
                latencies.append(now - sent_ns)
    finally:
        consumer.close()
    return percentiles(latencies)


def percentiles(latencies_ns: list[int]) -> dict[str, float]:
    """Nearest-rank percentiles in milliseconds."""
    ordered = sorted(latencies_ns)
    return {name: ordered[max(0, math.ceil(q * len(ordered)) - 1)] / 1e6
            for name, q in PERCENTILES.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap")
    parser.add_argument("topic")
    parser.add_argument("records", type=int)
    parser.add_argument("skip", type=int, help="the first records are warm-up, left out")
    args = parser.parse_args()
    try:
        result = consume_latencies(args.bootstrap, args.topic, args.records, args.skip)
    except Exception as error:
        result = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
