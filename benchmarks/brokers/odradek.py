"""odradek as ``odradek serve`` runs it, from this checkout's installed package."""

from __future__ import annotations

import sys
from pathlib import Path

from .process import BrokerProcess, free_port

START_TIMEOUT = 30.0


def start(data_dir: Path, overrides: dict[str, object]) -> BrokerProcess:
    port = free_port()
    command = [sys.executable, "-m", "odradek.tools.cli", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--data-dir", str(data_dir / "logs")]
    for key, value in overrides.items():
        command += ["--override", f"{key}={value}"]
    return BrokerProcess("odradek", command, port, data_dir / "broker.log", START_TIMEOUT)
