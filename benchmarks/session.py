"""What every workload gets: the brokers under test, how many repetitions, and a scratch directory.

Workloads never start brokers themselves: ``session.broker(name)`` starts a fresh one (new data dir,
free loopback port) and stops it afterwards, removing its data and syncing the disk, so every
broker is measured from the same clean state.
``session.cluster(name)`` does the same for a three-broker cluster of that broker.
``session.rounds()`` alternates the order of brokers between repetitions, so a slow phase of the
machine does not always land on the same broker.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Protocol

if TYPE_CHECKING:
    from .brokers.cluster import RunningCluster


class RunningBroker(Protocol):
    name: str                 # "odradek", "kafka" or "tansu"
    bootstrap: str            # "127.0.0.1:<port>"
    pid: int                  # the broker's own process (the JVM for Kafka)
    startup_seconds: float    # from spawning the process to its first successful Metadata answer

    def rss_bytes(self) -> int:
        """The broker process's resident set size now."""

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after a bounded wait)."""


@dataclass
class Session:
    brokers: list[str]
    repetitions: int
    scratch: Path
    scale: float = 1.0        # < 1 shrinks record counts and durations for a smoke run

    def rounds(self) -> Iterator[tuple[int, str]]:
        """(repetition, broker) pairs, the broker order rotated by one each repetition."""
        for repetition in range(self.repetitions):
            shift = repetition % len(self.brokers)
            for name in self.brokers[shift:] + self.brokers[:shift]:
                yield repetition, name

    def scaled(self, count: int, minimum: int = 1) -> int:
        return max(minimum, int(count * self.scale))

    @contextlib.contextmanager
    def broker(self, name: str, overrides: dict[str, object] | None = None) -> Iterator[RunningBroker]:
        """A fresh broker for one measurement; its data dir is removed afterwards."""
        from .brokers import start_broker

        with self._fresh(name, start_broker, overrides) as running:
            yield running

    @contextlib.contextmanager
    def cluster(self, name: str, overrides: dict[str, object] | None = None) -> Iterator["RunningCluster"]:
        """A fresh three-broker cluster for one measurement; its data dir is removed afterwards."""
        from .brokers import start_cluster

        with self._fresh(f"{name}-cluster", start_cluster, overrides, name) as running:
            yield running

    @contextlib.contextmanager
    def _fresh(self, label: str, start, overrides: dict[str, object] | None, name: str | None = None):
        data_dir = self.scratch / f"{label}-data"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        running = start(name or label, data_dir, overrides or {})
        try:
            yield running
        finally:
            running.stop()
            shutil.rmtree(data_dir, ignore_errors=True)
            # Let the kernel write back this broker's data (and the removal) now, so the next
            # broker's first measurement does not queue behind it on the disk.
            os.sync()
