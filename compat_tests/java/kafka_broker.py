"""A real Apache Kafka broker (single node, KRaft, broker and controller in one) from the Maven jars.

It offers what the tool tests use of ``BrokerProcess`` (``bootstrap``, ``start``, ``stop``,
``kill``, ``restart``, the log), so ``ODRADEK_COMPAT_TARGET=kafka`` runs the same tests against
Kafka itself.
"""

from __future__ import annotations

import base64
import socket
import subprocess
import threading
import uuid
from pathlib import Path

from .jars import classpath
from .kafka_tool import JVM_OPTIONS

STORAGE_TOOL = "kafka.tools.StorageTool"
MAIN = "kafka.Kafka"
READY = "Kafka Server started"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class KafkaBroker:
    def __init__(self, data_dir: Path, overrides: dict[str, object] | None = None, client_protocol: str = "PLAINTEXT"):
        """``client_protocol`` SASL_PLAINTEXT (or SSL, SASL_SSL) makes ``port`` (the clients') a
        listener of that protocol, named after it; the broker then talks to itself over a
        PLAINTEXT listener of its own."""
        self.data_dir = Path(data_dir)
        self.overrides = dict(overrides or {})
        self.client_protocol = client_protocol
        self.port = _free_port()
        self.controller_port = _free_port()  # kept, as the port, for restarts
        self.internal_port = _free_port()
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "KafkaBroker":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        properties = self.data_dir / "server.properties"
        properties.write_text("".join(f"{k}={v}\n" for k, v in self._properties().items()))
        java = ["java", *JVM_OPTIONS, "-Xmx512m", "-cp", classpath()]
        if not (self.data_dir / "logs" / "meta.properties").exists():  # a restart keeps its storage
            cluster_id = "-"
            while cluster_id.startswith("-"):  # StorageTool would take "-t -abc..." for an option
                cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            subprocess.run([*java, STORAGE_TOOL, "format", "-t", cluster_id, "-c", str(properties)],
                           check=True, capture_output=True, timeout=START_TIMEOUT)
        since = self.log_length()
        self._process = subprocess.Popen([*java, MAIN, str(properties)], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, errors="replace")
        ready = threading.Event()
        threading.Thread(target=self._drain, args=(ready,), daemon=True).start()
        if not ready.wait(START_TIMEOUT) or READY not in self._log_since(since):
            self._end()
            raise RuntimeError(f"Kafka did not start within {START_TIMEOUT}s:\n{self.log_text()}")
        return self

    def stop(self) -> int:
        return self._end()

    def kill(self) -> int:
        """kill -9: no shutdown, nothing flushed."""
        process, self._process = self._process, None
        if process is None:
            return 0
        process.kill()
        return process.wait(STOP_TIMEOUT)

    def restart(self, *, crash: bool = False) -> "KafkaBroker":
        """Stop (or kill) and start again with the same storage and ports."""
        self.kill() if crash else self.stop()
        return self.start()

    def log_text(self) -> str:
        with self._lock:
            return "".join(self._lines)

    def _log_since(self, line: int) -> str:
        with self._lock:
            return "".join(self._lines[line:])

    def log_length(self) -> int:
        with self._lock:
            return len(self._lines)

    def tracebacks(self, since: int = 0) -> list[str]:
        return []  # a Python traceback guard has nothing to look for in a JVM's log

    def _properties(self) -> dict[str, object]:
        return {
            **single_node_properties(self.data_dir / "logs", self.port, self.controller_port),
            "offsets.topic.num.partitions": 5,  # the group tests' offsets topic: quicker to create
            **(self._secured_listener() if self.client_protocol != "PLAINTEXT" else {}),
            **self.overrides,
        }

    def _secured_listener(self) -> dict[str, object]:
        protocol = self.client_protocol
        return {
            "listeners": f"{protocol}://127.0.0.1:{self.port},INTERNAL://127.0.0.1:{self.internal_port},"
                         f"CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"{protocol}://127.0.0.1:{self.port},INTERNAL://127.0.0.1:{self.internal_port}",
            "inter.broker.listener.name": "INTERNAL",
            "listener.security.protocol.map": f"{protocol}:{protocol},INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
        }

    def _end(self) -> int:
        process, self._process = self._process, None
        if process is None:
            return 0
        process.terminate()
        try:
            return process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait(STOP_TIMEOUT)

    def _drain(self, ready: threading.Event) -> None:
        process = self._process
        for line in process.stdout:
            with self._lock:
                self._lines.append(line)
            if READY in line:
                ready.set()
        ready.set()


def single_node_properties(log_dirs: Path, port: int, controller_port: int) -> dict[str, object]:
    """A combined broker and controller on loopback, as Kafka's shipped KRaft
    ``config/server.properties`` sets one up: roles, listeners, the data dir, and replication
    factor and min ISR 1 for the internal topics; everything else is Kafka's default."""
    return {
        "process.roles": "broker,controller",
        "node.id": 1,
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": log_dirs,
        "offsets.topic.replication.factor": 1,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
    }
