"""Kafka Streams programs (``StreamsScenarios.java``, beside this file) compiled with ``javac``
against the apps' jars, and run as separate JVM processes, one per application instance.

The classes are compiled once per source text into the test cache (a folder named by the
source's hash, moved into place whole, so concurrent runs never see half a compile)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .jars import APPS_CACHE, HERE, JavaUnavailable, apps_classpath
from .jvm_app import JvmApp, wait_for

SOURCE = HERE / "StreamsScenarios.java"
MAIN = "StreamsScenarios"
CLASSES = APPS_CACHE.parent / "streams-classes"
COMPILE_TIMEOUT = 180.0
RUNNING_TIMEOUT = 120.0  # seconds: JVM start, group join, changelog restoration on a loaded machine


def compiled_classes() -> Path:
    if shutil.which("javac") is None:
        raise JavaUnavailable("javac not found on PATH (a JDK, not only a JRE, compiles the Streams programs)")
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    target = CLASSES / digest
    if not (target / f"{MAIN}.class").exists():
        CLASSES.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(dir=CLASSES, prefix="building-"))
        command = ["javac", "-cp", apps_classpath(), "-d", str(building), str(SOURCE)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT)
        if done.returncode != 0:
            raise RuntimeError(f"javac {SOURCE.name} failed:\n{done.stdout}\n{done.stderr}")
        try:
            os.rename(building, target)
        except OSError:  # another run compiled the same source meanwhile
            shutil.rmtree(building, ignore_errors=True)
    return target


class StreamsApp(JvmApp):
    """One instance of a Streams application: ``scenario`` is ``wordcount`` or ``windowed``."""

    def __init__(self, name: str, scenario: str, properties_file: Path):
        super().__init__(name, f"{compiled_classes()}:{apps_classpath()}", MAIN, [scenario, str(properties_file)])

    def states(self) -> list[str]:
        return [line.split()[1] for line in self.lines() if line.startswith("STATE ")]

    def wait_running(self, since: int = 0, timeout: float = RUNNING_TIMEOUT) -> None:
        """Wait until the instance reports RUNNING (after its ``since``-th state change)."""
        def running() -> bool:
            if not self.running:
                raise AssertionError(f"Streams instance {self.name} exited:\n{self.log_text()}")
            return "RUNNING" in self.states()[since:]
        wait_for(running, timeout, f"Streams instance {self.name} RUNNING\n{self.log_text()[-20000:]}")
