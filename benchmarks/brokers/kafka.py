"""Apache Kafka (the compat tests' Maven jars, 4.3.1) as one KRaft node, broker and controller.

Configured as Kafka's shipped ``config/server.properties`` for a combined node: only the roles, the
listeners, the data dir and replication factor / min ISR 1 for internal topics; everything else is
Kafka's default (``offsets.topic.num.partitions`` stays 50). The JVM options are those
``kafka-server-start.sh`` gives through ``kafka-run-class.sh`` (1 GB heap, G1). Storage formatting
runs before the measured start, as an operator formats once and starts many times.
"""

from __future__ import annotations

import base64
import subprocess
import uuid
from pathlib import Path

from compat_tests.java.jars import classpath
from compat_tests.java.kafka_broker import single_node_properties

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
    properties = data_dir / "server.properties"
    properties.write_text("".join(f"{key}={value}\n" for key, value in
                                  {**single_node_properties(data_dir / "logs", port, controller_port),
                                   **overrides}.items()))
    log4j = data_dir / "log4j.properties"
    log4j.write_text(LOG4J)
    common = [f"-Dlog4j.configuration=file:{log4j}", "-cp", classpath()]
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    formatted = subprocess.run(["java", *FORMAT_JVM_OPTIONS, *common, STORAGE_TOOL, "format",
                                "-t", cluster_id, "-c", str(properties)],
                               capture_output=True, text=True, timeout=START_TIMEOUT,
                               stdin=subprocess.DEVNULL)
    if formatted.returncode != 0:
        raise RuntimeError(f"{STORAGE_TOOL} format exited {formatted.returncode}:\n"
                           f"{formatted.stdout[-2000:]}{formatted.stderr[-2000:]}")
    command = ["java", *SERVER_JVM_OPTIONS, *common, MAIN, str(properties)]
    return BrokerProcess("kafka", command, port, data_dir / "broker.log", START_TIMEOUT)
