"""The Kafka jars ``pom.xml`` names, copied with their runtime dependencies into the test cache.

Maven runs once per ``pom.xml`` content: a stamp file holding the pom's hash marks a finished copy,
so later runs cost a file read.  Without ``java`` or ``mvn`` the tests that need the jars skip.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
CACHE = HERE.parent / ".cache" / "kafka-jars"
INSTALL_TIMEOUT = 900.0  # seconds: a first download of ~100 jars on a slow mirror


class JavaUnavailable(Exception):
    """No JVM or no Maven on this machine: the official tools cannot run here."""


def missing_programs() -> list[str]:
    return [name for name in ("java", "mvn") if shutil.which(name) is None]


@functools.cache
def classpath() -> str:
    """The jars' classpath, installing them first if the cache does not hold this pom's set."""
    missing = missing_programs()
    if missing:
        raise JavaUnavailable(f"{' and '.join(missing)} not found on PATH")
    stamp = CACHE / "installed-from-pom.sha256"
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        _install(digest, stamp)
    return ":".join(sorted(str(jar) for jar in CACHE.glob("*.jar")))


def _install(digest: str, stamp: Path) -> None:
    shutil.rmtree(CACHE, ignore_errors=True)
    CACHE.mkdir(parents=True)
    command = ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
               "-DincludeScope=runtime", f"-DoutputDirectory={CACHE}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    stamp.write_text(digest)
