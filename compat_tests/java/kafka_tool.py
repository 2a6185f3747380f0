"""Run one of Kafka's console tools by the main class its ``bin/kafka-*.sh`` script runs."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from .jars import HERE, classpath

TOPICS = "org.apache.kafka.tools.TopicCommand"
CONSOLE_PRODUCER = "org.apache.kafka.tools.ConsoleProducer"
CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"
CONSUMER_GROUPS = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
SHARE_GROUPS = "org.apache.kafka.tools.consumer.group.ShareGroupCommand"
GET_OFFSETS = "org.apache.kafka.tools.GetOffsetShell"
CONFIGS = "kafka.admin.ConfigCommand"  # still the Scala one in Kafka 4.x
PRODUCER_PERF = "org.apache.kafka.tools.ProducerPerformance"
CONSUMER_PERF = "org.apache.kafka.tools.ConsumerPerformance"
LOG_DIRS = "org.apache.kafka.tools.LogDirsCommand"
DUMP_LOG = "org.apache.kafka.tools.DumpLogSegments"

JVM_OPTIONS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
               f"-Dlog4j.configuration=file:{HERE / 'log4j.properties'}"]
TIMEOUT = 120.0  # seconds: JVM start-up plus the tool's own bounded waits


@dataclass
class ToolRun:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.strip()]


def run_tool(main_class: str, *args: str, stdin: str | None = None, check: bool = True,
             timeout: float = TIMEOUT, jvm_options: tuple[str, ...] = ()) -> ToolRun:
    """Run the tool to its end; with ``check``, a non-zero exit fails with its output."""
    command = ["java", *JVM_OPTIONS, *jvm_options, "-cp", classpath(), main_class, *args]
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=timeout,
                          stdin=None if stdin is not None else subprocess.DEVNULL)
    run = ToolRun(list(args), done.returncode, done.stdout, done.stderr)
    if check and run.returncode != 0:
        raise AssertionError(f"{main_class.rsplit('.', 1)[-1]} {' '.join(args)} exited with "
                             f"{run.returncode}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}")
    return run
