"""A real Apache Kafka broker (single node, KRaft, broker and controller in one) from the Maven jars.

It offers what the tool tests use of ``BrokerProcess`` (``bootstrap``, ``start``, ``stop``,
``kill``, ``restart``, the log), so ``ODRADEK_COMPAT_TARGET=kafka`` runs the same tests against
Kafka itself.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from odradek.storage.topic_metadata import kafka_id_string, new_kafka_uuid
from odradek.testing.process import LoggedProcess

from .jars import classpath
from .jvm_app import free_port
from .kafka_tool import JVM_OPTIONS

STORAGE_TOOL = "kafka.tools.StorageTool"
MAIN = "kafka.Kafka"
READY = "Kafka Server started"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


class KafkaBroker:
    def __init__(self, data_dir: Path, overrides: dict[str, object] | None = None, client_protocol: str = "PLAINTEXT"):
        """``client_protocol`` SASL_PLAINTEXT (or SSL, SASL_SSL) makes ``port`` (the clients') a
        listener of that protocol, named after it; the broker then talks to itself over a
        PLAINTEXT listener of its own."""
        self.data_dir = Path(data_dir)
        self.overrides = dict(overrides or {})
        self.client_protocol = client_protocol
        self.port = free_port()
        self.controller_port = free_port()  # kept, as the port, for restarts
        self.internal_port = free_port()
        self._process = LoggedProcess("kafka", stop_timeout=STOP_TIMEOUT)  # its log runs on across restarts

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "KafkaBroker":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        properties = self.data_dir / "server.properties"
        properties.write_text("".join(f"{k}={v}\n" for k, v in self._properties().items()))
        java = ["java", *JVM_OPTIONS, "-Xmx512m", "-cp", classpath()]
        if not (self.data_dir / "logs" / "meta.properties").exists():  # a restart keeps its storage
            cluster_id = kafka_id_string(new_kafka_uuid())  # never "-t -abc...", which StorageTool takes for an option
            subprocess.run([*java, STORAGE_TOOL, "format", "-t", cluster_id, "-c", str(properties)],
                           check=True, capture_output=True, timeout=START_TIMEOUT)
        if not self._process.start([*java, MAIN, str(properties)], ready=lambda line: READY in line,
                                   timeout=START_TIMEOUT, merge_output=True):
            self._process.stop()
            raise RuntimeError(f"Kafka did not start within {START_TIMEOUT}s:\n{self.log_text()}")
        return self

    def stop(self) -> int:
        return self._end(signal.SIGTERM)

    def kill(self) -> int:
        """kill -9: no shutdown, nothing flushed."""
        return self._end(signal.SIGKILL)

    def restart(self, *, crash: bool = False) -> "KafkaBroker":
        """Stop (or kill) and start again with the same storage and ports."""
        self.kill() if crash else self.stop()
        return self.start()

    def log_text(self) -> str:
        return self._process.log_text()

    def log_length(self) -> int:
        return self._process.log_length()

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

    def _end(self, how: signal.Signals) -> int:
        code = self._process.stop(how)
        return 0 if code is None else code


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
