"""A broker process the suite spawned: its port, its log file, its memory, and how it is stopped.

Every broker under test is one of these, so start-up time, RSS and shutdown are measured the same
way whatever the broker is. Output goes to a file in the data dir: a pipe nobody reads would fill
up and stall a chatty broker (Kafka at INFO) in the middle of a measurement.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

from .readiness import wait_for_metadata

STOP_TIMEOUT = 30.0     # seconds between SIGTERM and SIGKILL
LOG_TAIL = 4000         # characters of the log quoted when a broker fails to start


def free_port() -> int:
    """A loopback port free right now (the broker binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BrokerProcess:
    """A started broker; see ``benchmarks.session.RunningBroker`` for what the workloads use."""

    def __init__(self, name: str, command: list[str], port: int, log_path: Path,
                 start_timeout: float):
        self.name = name
        self.bootstrap = f"127.0.0.1:{port}"
        self.log_path = log_path
        with open(log_path, "ab") as log:
            spawned = time.monotonic()
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT)
        self.pid = self._process.pid
        try:
            wait_for_metadata("127.0.0.1", port, start_timeout, self._process.poll)
        except Exception as error:
            self.stop()
            raise RuntimeError(f"{name} did not answer Metadata: {error}\n"
                               f"--- {log_path} ---\n{self.log_tail()}") from error
        self.startup_seconds = time.monotonic() - spawned

    def rss_bytes(self) -> int:
        """VmRSS of the broker process now, from /proc (the JVM itself for Kafka)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"{self.name} (pid {self.pid}) has no VmRSS: it has exited")

    def stop(self) -> None:
        if self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(STOP_TIMEOUT)

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-LOG_TAIL:]
        except FileNotFoundError:
            return ""
