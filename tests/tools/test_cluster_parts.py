"""The pure parts of ``odradek cluster``: reading ``java -version``, Maven Central's layout, the
properties each broker is written, which line of a log reports a child's end, and that a child
does not outlive the command."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from odradek.server.properties import parse_properties
from odradek.tools.child_process import ChildProcess
from odradek.tools.cluster_broker import ClusterBroker
from odradek.tools.maven_central import Artifact
from odradek.tools.zookeeper_server import java_major_version


@pytest.mark.parametrize("shown, major", [
    ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6)', 17),
    ('openjdk version "21" 2023-09-19', 21),
    ('java version "1.8.0_392"\nJava(TM) SE Runtime Environment', 8),
    ('openjdk version "11.0.22" 2024-01-16', 11),
    ("something else entirely", None),
])
def test_java_major_version(shown, major):
    assert java_major_version(shown) == major


def test_artifact_url_follows_maven_central_layout():
    artifact = Artifact("org.apache.zookeeper", "zookeeper-jute", "3.9.5")
    assert artifact.url("https://repo1.maven.org/maven2") == (
        "https://repo1.maven.org/maven2/org/apache/zookeeper/zookeeper-jute/3.9.5/zookeeper-jute-3.9.5.jar")


def test_broker_properties_read_back_as_written(tmp_path):
    broker = ClusterBroker(2, 19093, tmp_path / "odd\\dir" / "broker-2", "rack-b")
    broker.write_properties("127.0.0.1:2181/dev", 2, {"num.partitions": "4", "offsets.topic.replication.factor": "1"})
    assert parse_properties(broker.properties_file.read_text()) == {
        "broker.id": "2",
        "listeners": "PLAINTEXT://127.0.0.1:19093",
        "log.dirs": str(tmp_path / "odd\\dir" / "broker-2" / "data"),
        "zookeeper.connect": "127.0.0.1:2181/dev",
        "broker.rack": "rack-b",
        "group.initial.rebalance.delay.ms": "0",
        "offsets.topic.replication.factor": "1",  # the override wins
        "transaction.state.log.replication.factor": "2",
        "transaction.state.log.min.isr": "2",
        "num.partitions": "4",
    }


@pytest.mark.parametrize("tail, line", [
    ("[2026-01-01 10:00:00,000] INFO odradek ready (odradek.lifecycle)\n",
     "[2026-01-01 10:00:00,000] INFO odradek ready (odradek.lifecycle)"),
    ("[2026-01-01 10:00:00,000] INFO connecting\nodradek serve: zookeeper.connect: cannot connect\n\n",
     "odradek serve: zookeeper.connect: cannot connect"),
    # an exception group's traceback ends in its frame, not in the error
    ("  +-+---- 1 ----\n    | Traceback (most recent call last):\n    |   File \"x.py\", line 1, in <module>\n"
     "    | NameError: name 'x' is not defined\n    +------------------------------------\n",
     "NameError: name 'x' is not defined"),
    # Java's error heads its stack trace, and more may be logged after it
    ("2026-01-01 10:00:00,000 [main] ERROR ZooKeeperServerMain - Unexpected exception, exiting abnormally\n"
     "java.net.BindException: Address already in use\n\tat java.base/sun.nio.ch.Net.bind0(Native Method)\n"
     "2026-01-01 10:00:00,001 [main] ERROR ServiceUtils - Exiting JVM with code 1\n",
     "java.net.BindException: Address already in use"),
    ("", "(nothing)"),
])
def test_the_telling_line_of_a_log_is_its_last_error_else_its_last_line(tmp_path, tail, line):
    log = tmp_path / "broker.log"
    log.write_text("an earlier run's last line\nValueError: an earlier run's error\n")
    child = ChildProcess("broker 1", ["true"], log, stop_timeout=1.0)
    child.start()
    child.wait(10.0)
    with log.open("a") as out:
        out.write(tail)
    assert child.telling_line() == line


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_is_terminated_when_its_parent_is_killed_outright(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from odradek.tools.child_process import ChildProcess\n"
        f"child = ChildProcess('sleeper', ['sleep', '60'], Path({str(tmp_path / 'sleeper.log')!r}), 1.0)\n"
        "child.start()\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(parent.stdout.readline())
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 10
        while _alive(child_pid):
            assert time.monotonic() < deadline, "the child outlived its parent by 10s"
            time.sleep(0.05)
    finally:
        parent.kill()
        parent.stdout.close()


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for init to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False
