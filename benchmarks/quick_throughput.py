"""A first throughput baseline: confluent-kafka produces and consumes N records of S bytes.

Starts its own broker (``odradek serve`` on a free port, fresh data dir) unless ``--bootstrap``
names a running one, so the figure comes from one command:

    python benchmarks/quick_throughput.py --records 1000000 --size 100
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

READY = re.compile(r"odradek ready: listening on \S+:(\d+)")


def start_broker(data_dir: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "odradek.tools.cli", "serve", "--host", "127.0.0.1", "--port", "0",
         "--data-dir", data_dir],
        stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 30
    for line in proc.stderr:
        match = READY.search(line)
        if match:
            return proc, f"127.0.0.1:{match.group(1)}"
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise RuntimeError("broker did not become ready")


def produce(bootstrap: str, topic: str, records: int, size: int) -> float:
    producer = Producer({
        "bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 5,
        "batch.size": 1_000_000, "queue.buffering.max.messages": 1_000_000,
    })
    payload = os.urandom(size)
    start = time.perf_counter()
    for _ in range(records):
        while True:
            try:
                producer.produce(topic, payload)
                break
            except BufferError:
                producer.poll(0.01)
    remaining = producer.flush(120)
    elapsed = time.perf_counter() - start
    if remaining:
        raise RuntimeError(f"{remaining} records not delivered")
    return elapsed


def consume(bootstrap: str, topic: str, records: int) -> float:
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": "quick-throughput",
        "enable.auto.commit": False, "fetch.max.bytes": 52428800,
    })
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen = 0
    start = time.perf_counter()
    deadline = time.monotonic() + 300
    while seen < records and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=10000, timeout=1.0):
            if message.error() is None:
                seen += 1
    elapsed = time.perf_counter() - start
    consumer.close()
    if seen < records:
        raise RuntimeError(f"consumed only {seen} of {records}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--bootstrap", help="use a running broker instead of starting one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        proc = None
        bootstrap = args.bootstrap
        if bootstrap is None:
            proc, bootstrap = start_broker(data_dir)
        try:
            topic = f"quick-throughput-{int(time.time())}"
            admin = AdminClient({"bootstrap.servers": bootstrap})
            admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
            produce_s = produce(bootstrap, topic, args.records, args.size)
            consume_s = consume(bootstrap, topic, args.records)
        finally:
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
    mb = args.records * args.size / 1e6
    print(f"produced {args.records} x {args.size} B: {args.records / produce_s:,.0f} records/s "
          f"({mb / produce_s:.1f} MB/s)")
    print(f"consumed {args.records} x {args.size} B: {args.records / consume_s:,.0f} records/s "
          f"({mb / consume_s:.1f} MB/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
