"""`odradek perf` itself as the client: what a user of the pure-Python perf tool sees, on every broker."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from dataclasses import dataclass

from .. import confluent_load
from ..measurement import Measurement
from ..rounds import Case, run_cases
from ..session import Session

TITLE = "odradek perf (the pure-Python client)"

# (label, record size in bytes, records at scale 1): a few seconds each against odradek
SIZES = [("100 B", 100, 5_000_000), ("1 KB", 1024, 1_000_000)]
METRICS = {"produce records/s": True, "produce MB/s": True, "produce p99 ms": False, "consume records/s": True}
RUN_TIMEOUT = 900.0  # seconds, for one `odradek perf` process at full scale on a slow broker

ABOUT = f"""\
The `odradek perf` command (`tools/perf.py`) run as a user runs it, a separate process, with its
**default options** (`--acks all`, `--batch-size 1000` records per batch, up to 5 Produce requests
in flight, no compression): it writes {SIZES[0][2]:,} records of 100 B or {SIZES[1][2]:,} of
1024 B at full scale to a new topic of **1 partition** (created and awaited beforehand), then reads
them all back from the first offset. Figures are the tool's own two lines: records/s, MB/s and the
99th percentile of the produce latency (per batch, from sending its request to its answer, counted
for each of its records; lower is better) from the first, and the consume records/s from the second.

The client is pure Python in one process: it encodes each batch in bulk (no Python object per
record), keeps up to 5 requests in flight and counts the read-back from batch headers, so at 100 B
it spends little per record and the broker's cost per request shows in its figures. They are not
comparable with the produce workload's `kafka-producer-perf-test`, whose Java client handles every
record on its own (and batches 256 KiB with `linger.ms=10` there): the produce and consume
workloads measure the brokers with Kafka's own tools; this one measures what `odradek perf` reports.
"""


@dataclass
class PerfResult:
    produce_records_per_second: float
    produce_mb_per_second: float
    produce_p99_ms: float
    consumed: int
    consume_records_per_second: float


def run(session: Session) -> list[Measurement]:
    cases = [Case(f"odradek perf {label}", METRICS,
                  functools.partial(_perf, count=session.scaled(records, minimum=1000), size=size))
             for label, size, records in SIZES]
    return run_cases(session, "odradek_perf", cases)


def _perf(bootstrap: str, *, count: int, size: int) -> dict[str, float]:
    topic = f"odradek-perf-{size}"
    confluent_load.create_topic(bootstrap, topic)
    result = odradek_perf(bootstrap, topic, count, size)
    if result.consumed < count:
        raise RuntimeError(f"odradek perf read {result.consumed} of {count} records")
    return {"produce records/s": result.produce_records_per_second, "produce MB/s": result.produce_mb_per_second,
            "produce p99 ms": result.produce_p99_ms, "consume records/s": result.consume_records_per_second}


_PRODUCED = re.compile(r"^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), .* ([\d.]+) ms 99th, ")
_CONSUMED = re.compile(r"^(\d+) records consumed, [\d.]+ MB, [\d.]+ MB/sec, ([\d.]+) records/sec\.$")


def odradek_perf(bootstrap: str, topic: str, records: int, size: int) -> PerfResult:
    """Run ``odradek perf`` with its defaults (produce, then consume) and read its two summary lines."""
    command = [sys.executable, "-m", "odradek.tools.cli", "perf", "--bootstrap-server", bootstrap,
               "--topic", topic, "--num-records", str(records), "--record-size", str(size)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"odradek perf exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return parse(done.stdout)


def parse(out: str) -> PerfResult:
    """The figures of ``odradek perf``'s producer and consumer lines, in that order."""
    lines = out.splitlines()
    produced = _PRODUCED.match(lines[0]) if lines else None
    consumed = _CONSUMED.match(lines[1]) if len(lines) > 1 else None
    if not produced or not consumed:
        raise RuntimeError(f"odradek perf printed lines of an unknown shape: {out[:500]!r}")
    return PerfResult(float(produced[2]), float(produced[3]), float(produced[4]), int(consumed[1]),
                      float(consumed[2]))
