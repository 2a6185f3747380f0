"""A real ZooKeeper server as a child process, for the cluster tests.

Apache ZooKeeper's own server (``ZooKeeperServerMain``, standalone) from the Maven Central jars
(``compat_tests/java/zookeeper-pom.xml``), on a free loopback port with its data in a temp dir.
Tests that need it skip, saying why, where there is no Java or Maven.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from odradek.testing.process import LoggedProcess

from .java.jars import JavaUnavailable, zookeeper_classpath
from .java.jvm_app import free_port

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def require_zookeeper() -> str:
    """ZooKeeper's classpath (installing the jars once), or skip the test."""
    try:
        return zookeeper_classpath()
    except JavaUnavailable as missing:
        pytest.skip(f"the cluster tests run a real ZooKeeper, which needs a JVM and Maven: {missing}")


class ZooKeeperProcess:
    def __init__(self, data_dir: Path, port: int | None = None, tick_ms: int = 500):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.tick_ms = tick_ms  # sessions may be as short as 2 ticks
        self._process = LoggedProcess("zookeeper", stop_timeout=STOP_TIMEOUT)

    @property
    def connect(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "ZooKeeperProcess":
        classpath = require_zookeeper()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "zoo.cfg"
        config.write_text(f"tickTime={self.tick_ms}\ndataDir={self.data_dir}\nclientPort={self.port}\n"
                          f"clientPortAddress=127.0.0.1\nminSessionTimeout={2 * self.tick_ms}\n"
                          f"maxSessionTimeout=60000\nadmin.enableServer=false\n4lw.commands.whitelist=ruok,srvr\n")
        command = ["java", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                   "-cp", classpath, "org.apache.zookeeper.server.ZooKeeperServerMain", str(config)]
        self._process.start(command, merge_output=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.healthy():
            if not self._process.running or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"ZooKeeper did not start on port {self.port}:\n{self.log_text()}")
            time.sleep(0.1)
        return self

    def healthy(self) -> bool:
        """ZooKeeper's ``ruok`` four-letter command answered ``imok``."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"ruok")
                return sock.recv(4) == b"imok"
        except OSError:
            return False

    def stop(self) -> None:
        self._process.stop()

    def log_text(self) -> str:
        return self._process.log_text()
