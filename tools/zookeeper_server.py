"""Apache ZooKeeper's own server for ``odradek cluster``: the JVM to run it, its jars, its config.

A cluster of ``odradek serve`` processes is coordinated by a real ZooKeeper, as Kafka's
ZooKeeper-era brokers were; there is no Python one to embed, so the developer command runs
``ZooKeeperServerMain`` (standalone) from Maven Central's jars, fetched once per user.

The jars are those that server loads, found by starting it with fewer: ZooKeeper and its jute
records, slf4j's API with its simple logger (the server's log, to stdout), Dropwizard's
metrics-core (its default metrics provider) and snappy-java (its snapshot code). Its optional
Netty, Jetty and Log4j parts are left out: the NIO connection factory, no admin server, no Log4j.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

from .maven_central import Artifact, cached_jars

VERSION = "3.9.5"
ARTIFACTS = [
    Artifact("org.apache.zookeeper", "zookeeper", VERSION),
    Artifact("org.apache.zookeeper", "zookeeper-jute", VERSION),
    Artifact("org.slf4j", "slf4j-api", "2.0.13"),
    Artifact("org.slf4j", "slf4j-simple", "2.0.13"),
    Artifact("io.dropwizard.metrics", "metrics-core", "4.2.40"),
    Artifact("org.xerial.snappy", "snappy-java", "1.1.10.12"),
]
JAVA_VERSION = 17  # the oldest Java odradek's tests and Kafka 4's tools run on
INSTALL_JAVA = ("install a Java 17+ runtime (e.g. apt install openjdk-17-jre-headless, "
                "brew install openjdk@17) or pass --zookeeper HOST:PORT to use a running ZooKeeper")
#: The server's clock: sessions may last from 2 ticks to 60 s, so brokers may be given short
#: zookeeper.session.timeout.ms values to watch failover happen in seconds.
TICK_MS = 500
JVM_OPTIONS = ["-Xmx256m", "-XX:+UseSerialGC",
               "-Dorg.slf4j.simpleLogger.showDateTime=true",
               "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss,SSS"]


class ZooKeeperError(Exception):
    """ZooKeeper cannot be run here: one line naming what is missing."""


def find_java() -> str:
    """The ``java`` on PATH, checked to be Java 17 or newer."""
    java = shutil.which("java")
    if java is None:
        raise ZooKeeperError(f"java not found on PATH, and ZooKeeper needs it: {INSTALL_JAVA}")
    try:
        shown = subprocess.run([java, "-version"], stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, errors="replace", timeout=60).stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ZooKeeperError(f"cannot run {java} -version: {exc}") from None
    version = java_major_version(shown)
    if version is not None and version < JAVA_VERSION:
        raise ZooKeeperError(f"{java} is Java {version}, and ZooKeeper here needs Java {JAVA_VERSION}+: "
                             f"{INSTALL_JAVA}")
    return java


def java_major_version(shown: str) -> int | None:
    """17 from ``openjdk version "17.0.15"``, 8 from ``java version "1.8.0_392"``; None if unsure."""
    found = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    if found is None:
        return None
    major = int(found[1])
    return int(found[2] or 0) if major == 1 else major


def cache_dir() -> Path:
    """Per user, as the XDG base directories say: ``~/.cache/odradek/zookeeper-3.9.5``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "odradek" / f"zookeeper-{VERSION}"


def jars(on_download=None) -> list[Path]:
    return cached_jars(ARTIFACTS, cache_dir(), on_download)


def write_config(home: Path, port: int) -> Path:
    """``home/zoo.cfg``: standalone, on 127.0.0.1:``port``, its data in ``home/data``."""
    data = home / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = home / "zoo.cfg"
    config.write_text(
        "# written by odradek cluster on every start\n"
        f"tickTime={TICK_MS}\n"
        f"dataDir={data}\n"
        f"clientPort={port}\n"
        "clientPortAddress=127.0.0.1\n"
        f"minSessionTimeout={2 * TICK_MS}\n"
        "maxSessionTimeout=60000\n"
        "maxClientCnxns=0\n"
        "admin.enableServer=false\n"
        "4lw.commands.whitelist=ruok,srvr,stat\n"
        # keep the data directory bounded across runs: the newest 3 snapshots, purged hourly
        "autopurge.snapRetainCount=3\n"
        "autopurge.purgeInterval=1\n")
    return config


def previous_port(home: Path) -> int | None:
    """The port an earlier run gave ZooKeeper in ``home``, to keep its address across runs."""
    try:
        found = re.search(r"^clientPort=(\d+)$", (home / "zoo.cfg").read_text(), flags=re.M)
    except OSError:
        return None
    return int(found[1]) if found else None


def command(java: str, jar_files: list[Path], config: Path) -> list[str]:
    classpath = os.pathsep.join(str(jar) for jar in jar_files)
    return [java, *JVM_OPTIONS, "-cp", classpath, "org.apache.zookeeper.server.ZooKeeperServerMain", str(config)]


def is_serving(port: int) -> bool:
    """ZooKeeper on 127.0.0.1:``port`` answers its ``ruok`` command with ``imok``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"ruok")
            return sock.recv(4) == b"imok"
    except OSError:
        return False
