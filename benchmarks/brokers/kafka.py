"""Apache Kafka (the compat tests' Maven jars, 4.3.1) as one KRaft node, broker and controller.

Configured as Kafka's shipped ``config/server.properties`` for a combined node: only the roles, the
listeners, the data dir and replication factor / min ISR 1 for internal topics; everything else is
Kafka's default (``offsets.topic.num.partitions`` stays 50). The JVM options are those
``kafka-server-start.sh`` gives through ``kafka-run-class.sh`` (1 GB heap, G1). Storage formatting
runs before the measured start, as an operator formats once and starts many times.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from odradek.storage.topic_metadata import kafka_id_string, new_kafka_uuid

from compat_tests.java.jars import classpath
from compat_tests.java.kafka_broker import single_node_properties

from .listeners import extra_listeners, listener_names
from .process import BrokerProcess, free_port

STORAGE_TOOL = "kafka.tools.StorageTool"
MAIN = "kafka.Kafka"
START_TIMEOUT = 120.0
SERVER_JVM_OPTIONS = ["-Xmx1G", "-Xms1G", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                      "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
                      "-Djava.awt.headless=true"]
FORMAT_JVM_OPTIONS = ["-Xmx256M"]
# Kafka's log lines at INFO on stdout, which the process writes to broker.log in the data dir.
LOG4J = """log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
"""


def start(data_dir: Path, overrides: dict[str, object]) -> BrokerProcess:
    port, controller_port = free_port(), free_port()
    node = single_node_properties(data_dir / "logs", port, controller_port)
    properties = write_properties(data_dir, {**node, **overrides, **_with_extra_listeners(node, overrides)})
    format_storage(properties, new_cluster_id())
    return BrokerProcess("kafka", server_command(properties), port, data_dir / "broker.log", START_TIMEOUT)


def _with_extra_listeners(node: dict[str, object], overrides: dict[str, object]) -> dict[str, object]:
    """The node's listener settings with a workload's extra listeners added (see ``listeners``):
    opened, advertised as given, and mapped to the security protocol their names are."""
    extra = extra_listeners(overrides)
    if not extra:
        return {}
    names = listener_names(extra)
    return {"listeners": ",".join([str(node["listeners"]), *extra]),
            "advertised.listeners": ",".join([str(node["advertised.listeners"]), *extra]),
            "listener.security.protocol.map": ",".join([str(node["listener.security.protocol.map"]),
                                                        *(f"{name}:{name}" for name in names)])}


def write_properties(node_dir: Path, properties: dict[str, object]) -> Path:
    """``node_dir/server.properties`` and the ``log4j.properties`` the node logs with."""
    path = node_dir / "server.properties"
    path.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
    (node_dir / "log4j.properties").write_text(LOG4J)
    return path


def new_cluster_id() -> str:
    """A random cluster id as ``kafka-storage.sh random-uuid`` prints one."""
    return kafka_id_string(new_kafka_uuid())  # never starting with '-', which StorageTool takes for an option


def format_storage(properties: Path, cluster_id: str) -> None:
    """``kafka-storage.sh format -t <cluster id> -c <properties>``, before the node's first start."""
    formatted = subprocess.run(["java", *FORMAT_JVM_OPTIONS, *_common(properties), STORAGE_TOOL, "format",
                                "-t", cluster_id, "-c", str(properties)],
                               capture_output=True, text=True, timeout=START_TIMEOUT,
                               stdin=subprocess.DEVNULL)
    if formatted.returncode != 0:
        raise RuntimeError(f"{STORAGE_TOOL} format exited {formatted.returncode}:\n"
                           f"{formatted.stdout[-2000:]}{formatted.stderr[-2000:]}")


def server_command(properties: Path) -> list[str]:
    """``kafka-server-start.sh <properties>``, its log4j config next to the properties."""
    return ["java", *SERVER_JVM_OPTIONS, *_common(properties), MAIN, str(properties)]


def _common(properties: Path) -> list[str]:
    return [f"-Dlog4j.configuration=file:{properties.with_name('log4j.properties')}", "-cp", classpath()]
