"""Jars from Maven Central, copied with their runtime dependencies into the test cache: Apache
Kafka's (``pom.xml``), ZooKeeper's server (``zookeeper-pom.xml``) and the applications that run
on top of a broker, Kafka Connect and Kafka Streams (``apps-pom.xml``), each set in its own folder.

Maven runs once per pom's content: a stamp file holding the pom's hash marks a finished copy,
so later runs cost a file read.  Without ``java`` or ``mvn`` the tests that need the jars skip.
The first copy is made under a lock (a thread lock, and ``flock`` on a file beside the cache for
other processes): callers such as a launcher formatting three Kafka nodes from a thread pool ask
for the classpath at once, and two Mavens copying into one folder fail each other.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import shutil
import subprocess
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
CACHE = HERE.parent / ".cache" / "kafka-jars"
ZOOKEEPER_POM = HERE / "zookeeper-pom.xml"
ZOOKEEPER_CACHE = HERE.parent / ".cache" / "zookeeper-jars"
APPS_POM = HERE / "apps-pom.xml"
APPS_CACHE = HERE.parent / ".cache" / "kafka-apps-jars"
INSTALL_TIMEOUT = 900.0  # seconds: a first download of ~100 jars on a slow mirror
_INSTALLING = threading.Lock()


class JavaUnavailable(Exception):
    """No JVM or no Maven on this machine: the official tools cannot run here."""


def missing_programs() -> list[str]:
    return [name for name in ("java", "mvn") if shutil.which(name) is None]


def classpath() -> str:
    """Kafka's jars' classpath, installing them first if the cache does not hold this pom's set."""
    return _classpath(POM, CACHE)


def zookeeper_classpath() -> str:
    """The ZooKeeper server's classpath, installed like Kafka's."""
    return _classpath(ZOOKEEPER_POM, ZOOKEEPER_CACHE)


def apps_classpath() -> str:
    """Kafka Connect's (runtime and file connectors) and Kafka Streams' classpath, installed like Kafka's."""
    return _classpath(APPS_POM, APPS_CACHE)


@functools.cache
def _classpath(pom: Path, cache: Path) -> str:
    missing = missing_programs()
    if missing:
        raise JavaUnavailable(f"{' and '.join(missing)} not found on PATH")
    stamp = cache / "installed-from-pom.sha256"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    with _INSTALLING:
        if not _installed(stamp, digest):
            lock_path = cache.with_name(cache.name + ".lock")
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            with lock_path.open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not _installed(stamp, digest):  # another process may have copied them meanwhile
                    _install(pom, cache, digest, stamp)
    return ":".join(sorted(str(jar) for jar in cache.glob("*.jar")))


def _installed(stamp: Path, digest: str) -> bool:
    return stamp.exists() and stamp.read_text() == digest


def _install(pom: Path, cache: Path, digest: str, stamp: Path) -> None:
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    command = ["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
               "-DincludeScope=runtime", f"-DoutputDirectory={cache}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    stamp.write_text(digest)
