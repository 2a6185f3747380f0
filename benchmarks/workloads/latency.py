"""End-to-end latency at fixed rates with acks=all: producer here, consumer in its own process."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

from .. import confluent_load, latency_probe
from ..measurement import Measurement
from ..rounds import Case, run_cases
from ..session import Session

TITLE = "End-to-end latency"

RATES = [("5K", 5_000), ("50K", 50_000)]
SECONDS = 20          # measured, at scale 1
WARMUP_SECONDS = 2    # sent first and left out of every figure, whatever the scale
METRICS = {**{name: False for name in latency_probe.PERCENTILES}, "achieved msg/s": True}
REPO = Path(__file__).resolve().parents[2]

ABOUT = f"""\
A paced producer sends {latency_probe.RECORD_SIZE} B records to a new topic of **1 partition** at a
fixed rate ({", ".join(f"{rate:,}" for _, rate in RATES)} msg/s) for {WARMUP_SECONDS} s of warm-up,
not counted, then {SECONDS} s measured (at full scale); a consumer reads them as they arrive. Each
record carries its send time (`time.time_ns()`); the consumer's latency of a record is the time
`poll()` handed it over minus that, so it spans produce, the broker's acknowledged append and the
fetch that delivered it. Both clients are confluent-kafka ({confluent_load.CLIENT_VERSION}) in
**separate processes** (the consumer runs `python -m benchmarks.latency_probe`), so they share no GIL.

Producer: `acks=all`, `linger.ms=1` (one millisecond's records go out as one request instead of one
request per record; Kafka 4's Java default is 5 ms), other settings the client's defaults; every
millisecond it sends all records due by then, so a late wake-up is caught up at once. Consumer:
partition 0 assigned from the start (no group), `fetch.min.bytes=1`, `fetch.wait.max.ms` the
client's default (500 ms), so a broker that wakes a waiting fetch on append answers at once while
one that waits out the timer shows it here. Figures: p50, p99, p99.9 and max latency in ms (lower is
better), nearest-rank over every measured record, and the rate the producer achieved over the
measured part (msg/s).
"""


def run(session: Session) -> list[Measurement]:
    seconds = session.scaled(SECONDS)
    cases = [Case(f"{label} msg/s acks=all", METRICS,
                  functools.partial(_measure, rate=rate, seconds=seconds))
             for label, rate in RATES]
    return run_cases(session, "latency", cases)


def _measure(bootstrap: str, *, rate: int, seconds: int) -> dict[str, float]:
    topic = f"latency-{rate}"
    confluent_load.create_topic(bootstrap, topic)
    return measure(bootstrap, topic, rate, seconds)


def measure(bootstrap: str, topic: str, rate: int, seconds: int,
            producer_settings: dict[str, object] | None = None) -> dict[str, float]:
    """The paced producer and the consumer process on ``topic`` (created already, partition 0 read);
    ``producer_settings`` on top of the probe's own."""
    skip = rate * WARMUP_SECONDS
    records = skip + rate * seconds
    consumer = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.latency_probe", bootstrap, topic, str(records), str(skip)],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        if consumer.stdout.readline().strip() != "ready":
            raise RuntimeError("the latency consumer did not start")
        achieved = latency_probe.paced_produce(bootstrap, topic, rate, records, skip, producer_settings)
        out, _ = consumer.communicate(timeout=latency_probe.IDLE_LIMIT + 30)
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait()
    result = json.loads(out.strip().splitlines()[-1])
    if "error" in result:
        raise RuntimeError(f"latency consumer: {result['error']}")
    return {**result, "achieved msg/s": achieved}
