"""Jars from Maven Central, fetched once into a cache directory and checked against their SHA-1.

``odradek cluster`` runs Apache ZooKeeper's own server, which is published only as jars; fetching
the few it needs with urllib keeps Maven (and anything but a JVM) off the developer's machine.
Maven Central publishes a ``.sha1`` beside every file: a download is kept only if it matches, is
written under a temporary name and renamed into place (two runs fetching at once never see half a
jar), and the checksum is kept beside it so that later runs re-check the cached jar offline.
``ODRADEK_MAVEN_REPOSITORY`` names a mirror for machines that cannot reach repo1.maven.org.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
MIRROR_VARIABLE = "ODRADEK_MAVEN_REPOSITORY"
TIMEOUT = 60.0  # seconds without a byte before a download is given up
_SHA1 = re.compile(r"[0-9a-f]{40}")


class DownloadError(Exception):
    """A jar could not be fetched or did not match its checksum: one line naming its URL."""


@dataclass(frozen=True)
class Artifact:
    group: str
    name: str
    version: str

    @property
    def file_name(self) -> str:
        return f"{self.name}-{self.version}.jar"

    def url(self, repository: str) -> str:
        return f"{repository}/{self.group.replace('.', '/')}/{self.name}/{self.version}/{self.file_name}"


def repository() -> str:
    return (os.environ.get(MIRROR_VARIABLE) or MAVEN_CENTRAL).rstrip("/")


def cached_jars(artifacts: list[Artifact], cache: Path, on_download=None) -> list[Path]:
    """Each artifact's jar in ``cache``, downloading those missing or not matching their checksum.

    ``on_download(artifact)`` is called before each download (the command says what it fetches).
    """
    cache.mkdir(parents=True, exist_ok=True)
    jars = []
    for artifact in artifacts:
        jar = cache / artifact.file_name
        if not _intact(jar):
            if on_download is not None:
                on_download(artifact)
            _download(artifact, jar)
        jars.append(jar)
    return jars


def _intact(jar: Path) -> bool:
    """The jar and its checksum file are both there and agree."""
    try:
        expected = _checksum_file(jar).read_text().strip()
        return _sha1(jar) == expected
    except OSError:
        return False


def _download(artifact: Artifact, jar: Path) -> None:
    url = artifact.url(repository())
    expected = _fetch(url + ".sha1").decode("ascii", "replace").strip().lower()
    found = _SHA1.match(expected)  # the file may also name the jar after the digest
    if found is None:
        raise DownloadError(f"{url}.sha1 does not hold a SHA-1 checksum")
    expected = found.group()
    with tempfile.NamedTemporaryFile(dir=jar.parent, prefix=f".{jar.name}.", delete=False) as out:
        temp = Path(out.name)
        try:
            digest = _fetch(url, out)
        except BaseException:
            out.close()
            temp.unlink(missing_ok=True)
            raise
    if digest != expected:
        temp.unlink(missing_ok=True)
        raise DownloadError(f"{url} has SHA-1 {digest}, but its .sha1 file says {expected}: not using it")
    os.replace(temp, jar)
    _checksum_file(jar).write_text(expected + "\n")


def _fetch(url: str, out=None):
    """The body of ``url`` (or, with ``out``, its SHA-1 hex digest once written to ``out``)."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            if out is None:
                return response.read()
            digest = hashlib.sha1()
            while chunk := response.read(1 << 16):
                digest.update(chunk)
                out.write(chunk)
            return digest.hexdigest()
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = getattr(exc.reason, "strerror", None) or exc.reason  # "Connection refused"
        raise DownloadError(f"cannot download {url}: {reason}") from None
    except OSError as exc:  # the connection broke or timed out mid-body
        raise DownloadError(f"cannot download {url}: {exc.strerror or exc}") from None


def _checksum_file(jar: Path) -> Path:
    return jar.with_name(jar.name + ".sha1")


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
