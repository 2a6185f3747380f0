"""``odradek cluster`` as a developer meets it: a real ZooKeeper and three real brokers, started
by the command, reached by a Kafka client, stopped with Ctrl-C; mistakes in one line.

The command runs as a subprocess with its own XDG_CACHE_HOME, so the first run really fetches
ZooKeeper's jars from Maven Central and checks them, as a developer's first run does. The tests
that start ZooKeeper skip, saying why, without ``java``.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest
from kazoo.client import KazooClient

from odradek.tools.client import Client
from odradek.tools.zookeeper_server import ARTIFACTS, VERSION
from odradek.wire import ApiKey

from .cluster_process import wait_until

START_TIMEOUT = 180.0  # the first run downloads ~4.6 MB of jars
STOP_TIMEOUT = 120.0  # three controlled shutdowns in turn, then ZooKeeper
ERROR_TIMEOUT = 60.0
BROKER_ROW = re.compile(r"^(\d+)\s+127\.0\.0\.1:(\d+)\s+(\d+)\s", flags=re.M)
#: A dead broker's ZooKeeper session ends in seconds, so the others' controlled shutdowns do not wait
#: for Kafka's 18 s default before it is known to be gone.
FAST_FAILURE = ("--override", "zookeeper.session.timeout.ms=4000")
ZOOKEEPER_PID = re.compile(r"^zookeeper\.connect: \S+ \(ZooKeeper [\d.]+, pid (\d+),", flags=re.M)

needs_java = pytest.mark.skipif(shutil.which("java") is None,
                                reason="odradek cluster runs ZooKeeper, which needs java on PATH")


class ClusterCommand:
    """``odradek cluster`` running in the background, its stdout and stderr collected by threads."""

    def __init__(self, *argv: str, env: dict[str, str]):
        self.process = subprocess.Popen([sys.executable, "-m", "odradek.tools.cli", "cluster", *argv],
                                        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, errors="replace")
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [threading.Thread(target=_collect, args=(self.process.stdout, self._out), daemon=True),
                         threading.Thread(target=_collect, args=(self.process.stderr, self._err), daemon=True)]
        for reader in self._readers:
            reader.start()

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def wait_for_summary(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while "\nStop with Ctrl-C" not in self.stdout:
            assert self.process.poll() is None, f"exited with {self.process.returncode}:\n{self.stderr}"
            assert time.monotonic() < deadline, f"no summary within {START_TIMEOUT}s:\n{self.stderr}"
            time.sleep(0.1)
        return self.stdout

    def broker_pids(self) -> dict[int, int]:
        return {int(m[1]): int(m[3]) for m in BROKER_ROW.finditer(self.stdout)}

    def zookeeper_connect(self) -> str:
        return re.search(r"^zookeeper\.connect: (\S+)", self.stdout, flags=re.M)[1]

    def child_pids(self) -> list[int]:
        zookeeper = ZOOKEEPER_PID.search(self.stdout)
        return [*self.broker_pids().values(), *([int(zookeeper[1])] if zookeeper else [])]

    def wait(self) -> int:
        code = self.process.wait(STOP_TIMEOUT)
        for reader in self._readers:
            reader.join(STOP_TIMEOUT)
        return code

    def kill(self) -> None:
        """Teardown after a failed test: the command and what it started."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
        for pid in self.child_pids() if "\nStop with" in self.stdout else []:
            _kill(pid)


def _collect(stream, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports on 127.0.0.1 that nothing listens on."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise AssertionError(f"no {count} consecutive free ports")


def environment(cache: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(cache), **extra}


def cluster(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``odradek cluster`` expecting it to refuse to start (bounded, in case it does not)."""
    return subprocess.run([sys.executable, "-m", "odradek.tools.cli", "cluster", *argv], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=ERROR_TIMEOUT)


def one_line(ran: subprocess.CompletedProcess) -> str:
    lines = ran.stderr.splitlines()
    assert "Traceback" not in ran.stderr, ran.stderr
    assert len(lines) == 1, ran.stderr
    return lines[0]


def registered(zookeeper_connect: str, count: int) -> dict[int, dict] | None:
    """The brokers' registrations (Kafka's /brokers/ids/<id> JSON), once ``count`` are there."""
    zookeeper = KazooClient(hosts=zookeeper_connect, timeout=10)
    zookeeper.start(timeout=10)
    try:
        ids = zookeeper.get_children("/brokers/ids") if zookeeper.exists("/brokers/ids") else []
        if len(ids) != count:
            return None
        return {int(i): json.loads(zookeeper.get(f"/brokers/ids/{i}")[0]) for i in ids}
    finally:
        zookeeper.stop()
        zookeeper.close()


def metadata(address: str):
    """The Metadata answer of the broker at ``address`` itself (after its ApiVersions)."""
    with Client(address, timeout=10.0) as client:
        return client.send(ApiKey.METADATA, {"topics": [], "allow_auto_topic_creation": False})


@needs_java
def test_three_brokers_start_serve_stop_on_ctrl_c_and_come_back_on_their_data(tmp_path):
    cache, root, base = tmp_path / "cache", tmp_path / "cluster", free_ports(3)
    env = environment(cache)
    first = ClusterCommand("--brokers", "3", "--dir", str(root), "--base-port", str(base), "--racks", "a,b",
                           "--override", "num.partitions=2", *FAST_FAILURE, env=env)
    try:
        summary = first.wait_for_summary()
        addresses = [f"127.0.0.1:{base + i}" for i in range(3)]
        assert f"bootstrap servers: {','.join(addresses)}\n" in summary
        assert set(first.broker_pids()) == {1, 2, 3}
        # the first run fetched ZooKeeper's jars, each with the checksum it was checked against
        jars = sorted(path.name for path in (cache / "odradek" / f"zookeeper-{VERSION}").iterdir())
        assert jars == sorted([a.file_name for a in ARTIFACTS] + [a.file_name + ".sha1" for a in ARTIFACTS])
        assert first.stderr.count("fetching ") == len(ARTIFACTS)

        properties = (root / "broker-3" / "server.properties").read_text()
        for line in ("broker.id=3", f"listeners=PLAINTEXT://127.0.0.1:{base + 2}",
                     f"log.dirs={root / 'broker-3' / 'data'}", "broker.rack=a", "num.partitions=2"):
            assert f"\n{line}\n" in properties

        # every broker answers a Kafka client (ApiVersions, then Metadata) as soon as it is ready,
        # and each registered in the ZooKeeper the command started, with its listener and rack
        for address in addresses:
            assert metadata(address).throttle_time_ms == 0
        registrations = wait_until(lambda: registered(first.zookeeper_connect(), 3), 30.0,
                                   "three brokers registered in ZooKeeper")
        assert {i: (r["endpoints"], r.get("rack")) for i, r in registrations.items()} == {
            1: ([f"PLAINTEXT://{addresses[0]}"], "a"),
            2: ([f"PLAINTEXT://{addresses[1]}"], "b"),
            3: ([f"PLAINTEXT://{addresses[2]}"], "a")}
        wait_until(lambda: all({b.node_id: b.rack for b in metadata(a).brokers} == {1: "a", 2: "b", 3: "a"}
                               for a in addresses), 30.0, "all three brokers, with their racks, in every broker's Metadata")
        cluster_id = metadata(addresses[0]).cluster_id
        identities = {i: (root / f"broker-{i}" / "data" / "meta.properties").read_text() for i in (1, 2, 3)}

        # a second cluster on the same directory is refused while this one runs
        second = cluster("--dir", str(root), "--base-port", str(free_ports(3)), env=env)
        assert second.returncode == 1
        assert one_line(second) == f"odradek cluster: {root} is in use by another odradek cluster (pid {first.process.pid})"

        first.process.send_signal(signal.SIGINT)
        assert first.wait() == 0, first.stderr
        assert first.stderr.splitlines()[-6:] == [
            "odradek cluster: SIGINT: stopping broker 3, broker 2, broker 1, then ZooKeeper (Ctrl-C again kills them)",
            *(f"odradek cluster: {name} stopped" for name in ("broker 3", "broker 2", "broker 1", "ZooKeeper")),
            "odradek cluster: stopped"]
        assert not [pid for pid in first.child_pids() if alive(pid)]
    finally:
        first.kill()

    # again on the same directory: the same brokers on their data, the jars taken from the cache
    again = ClusterCommand("--dir", str(root), "--base-port", str(base), *FAST_FAILURE, env=env)
    try:
        again.wait_for_summary()
        assert "fetching " not in again.stderr
        assert metadata(addresses[1]).cluster_id == cluster_id
        wait_until(lambda: registered(again.zookeeper_connect(), 3), 30.0, "three brokers registered again")
        for i, identity in identities.items():
            assert (root / f"broker-{i}" / "data" / "meta.properties").read_text() == identity
            assert (root / f"broker-{i}" / "broker.log").read_text().count(f"--- odradek cluster started broker {i} ") == 2

        # a broker that dies is reported with its log, and the rest are stopped
        victim = again.broker_pids()[2]
        os.kill(victim, signal.SIGKILL)
        assert again.wait() == 1
        report = [line for line in again.stderr.splitlines() if "broker 2" in line]
        assert len(report) == 1 and "Traceback" not in again.stderr, again.stderr
        assert report[0].startswith(f"odradek cluster: broker 2 (pid {victim}) was killed by SIGKILL; "
                                    f"{root / 'broker-2' / 'broker.log'}: ")
        assert report[0].endswith("; stopping the rest")
        assert again.stderr.splitlines()[-3:] == [
            f"odradek cluster: {name} stopped" for name in ("broker 3", "broker 1", "ZooKeeper")]
        assert not [pid for pid in again.child_pids() if alive(pid)]
    finally:
        again.kill()


def test_with_a_running_zookeeper_it_starts_only_the_brokers_and_leaves_zookeeper_running(tmp_path):
    from .zookeeper_process import ZooKeeperProcess  # the cluster tests' own, from Maven's jars

    zookeeper = ZooKeeperProcess(tmp_path / "zookeeper").start()
    base = free_ports(2)
    try:
        command = ClusterCommand("--brokers", "2", "--dir", str(tmp_path / "cluster"), "--base-port", str(base),
                                 "--zookeeper", f"{zookeeper.connect}/dev", *FAST_FAILURE,
                                 env=environment(tmp_path / "cache"))
        try:
            summary = command.wait_for_summary()
            assert f"zookeeper.connect: {zookeeper.connect}/dev (not started here)\n" in summary
            assert summary.rstrip().endswith("the brokers shut down one at a time.")
            assert not (tmp_path / "cluster" / "zookeeper").exists() and not (tmp_path / "cache").exists()
            registrations = wait_until(lambda: registered(f"{zookeeper.connect}/dev", 2), 30.0,
                                       "two brokers registered under the chroot")
            assert {i: r["endpoints"] for i, r in registrations.items()} == {
                1: [f"PLAINTEXT://127.0.0.1:{base}"], 2: [f"PLAINTEXT://127.0.0.1:{base + 1}"]}
            command.process.send_signal(signal.SIGTERM)
            assert command.wait() == 0, command.stderr
            assert command.stderr.splitlines()[-4:] == [
                "odradek cluster: SIGTERM: stopping broker 2, then broker 1 (Ctrl-C again kills them)",
                "odradek cluster: broker 2 stopped", "odradek cluster: broker 1 stopped", "odradek cluster: stopped"]
            assert not [pid for pid in command.broker_pids().values() if alive(pid)]
            assert zookeeper.healthy()
        finally:
            command.kill()
    finally:
        zookeeper.stop()


def test_a_port_in_use_is_named_before_anything_starts(tmp_path):
    base = free_ports(3)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 1))
        taken.listen()
        ran = cluster("--dir", str(tmp_path / "cluster"), "--base-port", str(base),
                      env=environment(tmp_path / "cache"))
    assert ran.returncode == 1
    assert one_line(ran) == f"odradek cluster: port {base + 1} (broker 2) is already in use on 127.0.0.1"
    assert not (tmp_path / "cluster").exists() and not (tmp_path / "cache").exists()


def test_without_java_it_says_what_to_install(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    ran = cluster("--dir", str(tmp_path / "cluster"), "--base-port", str(free_ports(3)),
                  env=environment(tmp_path / "cache", PATH=str(empty)))
    assert ran.returncode == 1
    line = one_line(ran)
    assert line.startswith("odradek cluster: java not found on PATH, and ZooKeeper needs it: install a Java 17+ runtime")
    assert line.endswith("or pass --zookeeper HOST:PORT to use a running ZooKeeper")
    assert not (tmp_path / "cluster").exists() and not (tmp_path / "cache").exists()


@needs_java
def test_a_jar_that_does_not_match_its_checksum_is_not_used(tmp_path):
    """A Maven mirror (ODRADEK_MAVEN_REPOSITORY) serving a damaged jar beside the genuine .sha1."""
    artifact = ARTIFACTS[0]
    folder = tmp_path / "mirror" / artifact.url("").strip("/").rpartition("/")[0]
    folder.mkdir(parents=True)
    (folder / artifact.file_name).write_bytes(b"not the jar")
    (folder / (artifact.file_name + ".sha1")).write_text("4f091e2a604d7c6a818ac2a7169e3bad5a5441dc")
    handler = partial(QuietHandler, directory=str(tmp_path / "mirror"))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as mirror:
        threading.Thread(target=mirror.serve_forever, daemon=True).start()
        repository = f"http://127.0.0.1:{mirror.server_address[1]}"
        ran = cluster("--dir", str(tmp_path / "cluster"), "--base-port", str(free_ports(3)),
                      env=environment(tmp_path / "cache", ODRADEK_MAVEN_REPOSITORY=repository))
        mirror.shutdown()
    assert ran.returncode == 1
    assert ran.stderr.splitlines()[-1] == (
        f"odradek cluster: {artifact.url(repository)} has SHA-1 {hashlib.sha1(b'not the jar').hexdigest()}, but its .sha1 file "
        f"says 4f091e2a604d7c6a818ac2a7169e3bad5a5441dc: not using it")
    assert "Traceback" not in ran.stderr
    assert not list((tmp_path / "cache").rglob("*.jar*"))


@needs_java
def test_an_unreachable_mirror_is_one_line(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        repository = f"http://127.0.0.1:{closed.getsockname()[1]}"
    ran = cluster("--dir", str(tmp_path / "cluster"), "--base-port", str(free_ports(3)),
                  env=environment(tmp_path / "cache", ODRADEK_MAVEN_REPOSITORY=repository))
    assert ran.returncode == 1
    assert ran.stderr.splitlines()[-1] == (f"odradek cluster: cannot download {ARTIFACTS[0].url(repository)}.sha1: "
                                           f"Connection refused")


@pytest.mark.parametrize("argv, code, message", [
    (["--brokers", "0"], 2, "odradek cluster: argument --brokers: must be at least 1, got 0"),
    (["--override", "num.partitions"], 2, "odradek cluster: argument --override: override must look like key=value"),
    (["--zookeeper", "zk.example"], 2, "odradek cluster: argument --zookeeper: expected HOST:PORT[,HOST:PORT...][/chroot]"),
    (["--zookeeper", "127.0.0.1:2181", "--zookeeper-port", "2181"], 2,
     "odradek cluster: argument --zookeeper-port: not allowed with argument --zookeeper"),
    (["--racks", "a,,b"], 2, "odradek cluster: argument --racks: expected RACK,RACK,... without empty names"),
    (["--base-port", "65534"], 2, "odradek cluster: --base-port 65534 leaves no room for 3 brokers below 65536"),
])
def test_flag_mistakes_are_one_line(tmp_path, argv, code, message):
    ran = cluster("--dir", str(tmp_path / "cluster"), *argv, env=environment(tmp_path / "cache"))
    assert ran.returncode == code
    assert one_line(ran).startswith(message)
    assert not (tmp_path / "cluster").exists()


def test_an_unreachable_zookeeper_is_named(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    ran = cluster("--dir", str(tmp_path / "cluster"), "--base-port", str(free_ports(3)),
                  "--zookeeper", f"127.0.0.1:{port}/dev", env=environment(tmp_path / "cache"))
    assert ran.returncode == 1
    assert one_line(ran) == f"odradek cluster: cannot reach ZooKeeper at 127.0.0.1:{port}/dev: Connection refused"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass
