"""A broker process the suite spawned: its port, its log file, its memory, and how it is stopped.

Every broker under test is one of these, so start-up time, RSS and shutdown are measured the same
way whatever the broker is. Output goes to a file in the data dir: a pipe nobody reads would fill
up and stall a chatty broker (Kafka at INFO) in the middle of a measurement.

A member of a cluster is spawned with ``wait=False`` and waited for once all its peers run (a
KRaft node answers nothing until a quorum of controllers is up), and it is ready once its Metadata
lists ``expected_brokers`` brokers. It can be killed with SIGKILL and started again, as the
cluster workload's failover case does.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from .readiness import wait_for_metadata

STOP_TIMEOUT = 30.0     # seconds between SIGTERM and SIGKILL
LOG_TAIL = 4000         # characters of the log quoted when a broker fails to start
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A loopback port free right now (the broker binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far, every thread, from ``/proc/<pid>/stat``."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


class BrokerProcess:
    """A started broker; see ``benchmarks.session.RunningBroker`` for what the workloads use."""

    def __init__(self, name: str, command: list[str], port: int, log_path: Path,
                 start_timeout: float, *, expected_brokers: int = 1, wait: bool = True):
        self.name = name
        self.command = command
        self.port = port
        self.bootstrap = f"127.0.0.1:{port}"
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.expected_brokers = expected_brokers
        self._spawn()
        if wait:
            self.wait_until_ready()

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def wait_until_ready(self) -> None:
        """Return once the process serves; stop it and raise, quoting its log, if it does not."""
        try:
            self._wait_for_service(self.start_timeout)
        except Exception as error:
            self.stop()
            raise RuntimeError(f"{self.name} did not start serving: {error}\n"
                               f"--- {self.log_path} ---\n{self.log_tail()}") from error
        self.startup_seconds = time.monotonic() - self._spawned

    def rss_bytes(self) -> int:
        """VmRSS of the broker process now, from /proc (the JVM itself for Kafka)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"{self.name} (pid {self.pid}) has no VmRSS: it has exited")

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid)

    def stop(self) -> None:
        if self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(STOP_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL, as ``kill -9`` does: no shutdown of any kind."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait(STOP_TIMEOUT)

    def restart(self) -> None:
        """Start the same command again on the same data (after ``kill`` or ``stop``)."""
        self.stop()
        self._spawn()
        self.wait_until_ready()

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-LOG_TAIL:]
        except FileNotFoundError:
            return ""

    def _spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            self._spawned = time.monotonic()
            self._process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT)
        self.pid = self._process.pid

    def _wait_for_service(self, timeout: float) -> None:
        wait_for_metadata("127.0.0.1", self.port, timeout, self._process.poll, self.expected_brokers)
