"""A ZooKeeper-coordinated cluster for tests: ``odradek cluster`` run as a child process.

``odradek cluster`` already starts Apache ZooKeeper (a JVM, its jars fetched from Maven Central
once per user) and N ``odradek serve`` processes and stops them together on SIGTERM; this runs it
with a temporary ``--dir`` and free ports and waits for the ``bootstrap servers:`` line of its
summary. Only clusters need Java: a single ``Broker`` never does.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import socket
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from .broker import TEST_DEFAULTS, BrokerError, _running
from .process import LoggedProcess

BOOTSTRAP = re.compile(r"^bootstrap servers: (?P<servers>\S+)$")
START_TIMEOUT = 120.0  # ZooKeeper's JVM, then every broker, on a loaded machine
STOP_TIMEOUT = 90.0  # each broker's controlled shutdown, one after the other
#: Short failure detection so tests that stop brokers see failover in seconds, not Kafka's defaults.
CLUSTER_TEST_DEFAULTS = {"zookeeper.session.timeout.ms": "6000", "replica.lag.time.max.ms": "6000",
                         "offsets.topic.num.partitions": "6", "transaction.state.log.num.partitions": "6"}


class Cluster:
    """``Cluster(brokers=3).start()``, then ``.bootstrap`` (``host:port,host:port,...``); ``close()``."""

    def __init__(self, brokers: int = 3, properties: Mapping[str, object] | None = None, *,
                 directory: str | Path | None = None, start_timeout: float = START_TIMEOUT):
        self.size = brokers
        self.properties = {**TEST_DEFAULTS, **CLUSTER_TEST_DEFAULTS,
                           **{k: str(v) for k, v in (properties or {}).items()}}
        self._own_dir = directory is None
        self.directory = Path(directory) if directory is not None else None
        self.start_timeout = start_timeout
        self.bootstrap = ""
        self._process = LoggedProcess("odradek cluster", log_lines=2000, stop_timeout=STOP_TIMEOUT,
                                      escalation=(signal.SIGINT,))  # its second interrupt kills what is left

    @property
    def running(self) -> bool:
        return self._process.running

    @property
    def addresses(self) -> list[str]:
        return self.bootstrap.split(",") if self.bootstrap else []

    def start(self) -> "Cluster":
        if self.running:
            return self
        if self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="odradek-test-cluster-"))
        command = [sys.executable, "-m", "odradek.tools.cli", "cluster", "--brokers", str(self.size),
                   "--dir", str(self.directory), "--base-port", str(_free_port_run(self.size))]
        for key, value in self.properties.items():
            command += ["--override", f"{key}={value}"]
        _running.add(self)
        found = self._process.start(command, ready=lambda line: BOOTSTRAP.match(line.strip()),
                                    timeout=self.start_timeout, merge_output=True)
        if found is None:
            why = self._process.not_ready(self.start_timeout, signal.SIGTERM)
            raise BrokerError(f"odradek cluster {why}:\n{self.log_text()}")
        self.bootstrap = found["servers"]
        return self

    def stop(self) -> int | None:
        """SIGTERM: ``odradek cluster`` stops the brokers one at a time, then ZooKeeper."""
        return self._process.stop()

    def close(self) -> None:
        self.stop()
        _running.discard(self)
        if self._own_dir and self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def log_text(self) -> str:
        """What ``odradek cluster`` printed; each broker's own log is ``broker-<id>/broker.log``."""
        return self._process.log_text()

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


@contextmanager
def cluster(brokers: int = 3, properties: Mapping[str, object] | None = None, **options) -> Iterator[str]:
    """``with cluster(3) as bootstrap:`` ZooKeeper and ``brokers`` brokers for the block."""
    with Cluster(brokers, properties, **options) as running:
        yield running.bootstrap


def _free_port_run(count: int, attempts: int = 50) -> int:
    """The first of ``count`` consecutive ports free on 127.0.0.1 (``odradek cluster`` numbers
    its brokers' ports from a base)."""
    for _ in range(attempts):
        base = random.randint(20000, 60000 - count)
        if all(_is_free(port) for port in range(base, base + count)):
            return base
    raise BrokerError(f"found no {count} consecutive free ports on 127.0.0.1")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
