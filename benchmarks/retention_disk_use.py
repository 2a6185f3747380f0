"""Disk use stays bounded while producing non-stop with retention on (a long-running check, not CI).

Starts ``odradek serve`` on a fresh data directory with 1 MiB segments, ``retention.bytes`` and
``retention.ms`` small and the retention check frequent, produces as fast as it can for
``--seconds``, and samples the size of the data directory every second. It fails (exit 1) if
the size ever exceeds what retention allows: the retained bytes, plus a segment being filled,
plus what the produce rate (``--rate-mib``) adds between two retention checks and during
``file.delete.delay.ms``, plus ``--slack``: a bound that does not grow with the bytes produced.

    python benchmarks/retention_disk_use.py --seconds 600
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

READY = re.compile(r"odradek ready: listening on \S+:(\d+)")
SEGMENT = 1024 * 1024
CHECK_INTERVAL_MS = 500


def start_broker(data_dir: str, overrides: dict[str, str]) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "odradek.tools.cli", "serve", "--host", "127.0.0.1", "--port", "0",
               "--data-dir", data_dir]
    for key, value in overrides.items():
        command += ["--override", f"{key}={value}"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        match = READY.search(line)
        if match:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # keep draining
            return proc, f"127.0.0.1:{match.group(1)}"
    proc.kill()
    raise RuntimeError("broker did not become ready")


def directory_size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass  # deleted while walking
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--retention-bytes", type=int, default=8 * SEGMENT)
    parser.add_argument("--delete-delay-ms", type=int, default=1000)
    parser.add_argument("--rate-mib", type=float, default=20, help="produce at most this many MiB/s")
    parser.add_argument("--slack", type=int, default=4 * SEGMENT, help="allowed extra bytes (indexes, snapshots)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        proc, bootstrap = start_broker(data_dir, {
            "log.segment.bytes": SEGMENT, "log.retention.bytes": args.retention_bytes,
            "log.retention.check.interval.ms": CHECK_INTERVAL_MS, "log.segment.delete.delay.ms": args.delete_delay_ms,
        })
        try:
            admin = AdminClient({"bootstrap.servers": bootstrap})  # kept: its futures fail once it is gone
            admin.create_topics([NewTopic("fill", num_partitions=1, replication_factor=1)])["fill"].result(30)
            producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "batch.size": 256 * 1024})
            payload = os.urandom(1000)
            produced = peak = 0
            start = next_sample = time.monotonic()
            while time.monotonic() - start < args.seconds:
                if produced > args.rate_mib * 2**20 * (time.monotonic() - start):
                    producer.poll(0.001)
                    continue
                try:
                    producer.produce("fill", payload)
                    produced += len(payload)
                except BufferError:
                    producer.poll(0.01)
                if time.monotonic() >= next_sample:
                    size = directory_size(Path(data_dir))
                    peak = max(peak, size)
                    print(f"{time.monotonic() - start:6.0f}s produced {produced / 2**20:8.1f} MiB "
                          f"on disk {size / 2**20:6.1f} MiB (peak {peak / 2**20:.1f} MiB)", flush=True)
                    next_sample += 1
            producer.flush(30)
            rate = produced / (time.monotonic() - start)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    # What may be on disk at once: the retained bytes (whole segments: up to one more), the segment
    # being filled, and what arrives between two retention checks plus the delete delay (twice
    # that, for a check that runs late).
    limit = args.retention_bytes + 2 * SEGMENT + 2 * rate * (CHECK_INTERVAL_MS + args.delete_delay_ms) / 1000
    limit += args.slack
    bounded = peak <= limit
    print(f"produced {produced / 2**20:.1f} MiB, peak disk use {peak / 2**20:.1f} MiB, "
          f"limit {limit / 2**20:.1f} MiB: {'bounded' if bounded else 'NOT bounded'}")
    return 0 if bounded else 1


if __name__ == "__main__":
    sys.exit(main())
