"""A JVM application (a Kafka Connect worker, a Kafka Streams program) run from the apps' jars as
a child process: its log kept in memory by a draining thread (printed when a test fails), stopped
with SIGTERM or killed with SIGKILL, every wait bounded (``odradek.testing.process`` does that)."""

from __future__ import annotations

import signal
import socket
from typing import Callable

from odradek.testing.process import LoggedProcess

from ..clients import wait_until
from .jars import HERE

JVM_OPTIONS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
               f"-Dlog4j.configuration=file:{HERE / 'apps-log4j.properties'}"]
STOP_TIMEOUT = 30.0
OUTPUT_END_TIMEOUT = 5.0  # seconds: an exited JVM's last lines reaching the log


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.2):
    """Poll ``condition`` until it returns something true (returned) or ``timeout`` passes (fails)."""
    return wait_until(condition, timeout, interval, what)


class JvmApp:
    def __init__(self, name: str, classpath: str, main_class: str, args: list[str],
                 jvm_options: tuple[str, ...] = ()):
        self.name = name
        self.command = ["java", *JVM_OPTIONS, *jvm_options, "-cp", classpath, main_class, *args]
        self._process = LoggedProcess(name, stop_timeout=STOP_TIMEOUT)

    def start(self) -> "JvmApp":
        self._process.start(self.command, merge_output=True)
        return self

    @property
    def running(self) -> bool:
        return self._process.running

    def stop(self) -> int | None:
        """SIGTERM, the way an operator stops it: a clean shutdown, then the exit code, once the
        log holds what the shutdown hooks printed."""
        code = self._process.stop(signal.SIGTERM)
        self._process.wait_output_end(OUTPUT_END_TIMEOUT)
        return code

    def kill(self) -> int | None:
        """SIGKILL: a crashed machine, nothing flushed or left cleanly."""
        return self._process.stop(signal.SIGKILL)

    def log_text(self) -> str:
        return self._process.log_text()

    def lines(self) -> list[str]:
        return self._process.lines()
