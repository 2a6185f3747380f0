"""odradek as ``odradek serve`` runs it, from this checkout's installed package.

Its modules are byte-compiled first, as ``pip install .`` does: an editable install (or an
environment with PYTHONDONTWRITEBYTECODE set) would otherwise compile every module from source
at each start, and the start-up time would measure the compiler rather than the broker.
"""

from __future__ import annotations

import compileall
import functools
import sys
from pathlib import Path


from .listeners import extra_listeners
from .process import BrokerProcess, free_port

START_TIMEOUT = 30.0


def start(data_dir: Path, overrides: dict[str, object]) -> BrokerProcess:
    byte_compile()
    port = free_port()
    command = [sys.executable, "-m", "odradek.tools.cli", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--data-dir", str(data_dir / "logs")]
    extra = extra_listeners(overrides)
    if extra:  # PLAINTEXT first: --host and --port name the first listener
        overrides = {**overrides, "listeners": ",".join([f"PLAINTEXT://127.0.0.1:{port}", *extra])}
    for key, value in overrides.items():
        command += ["--override", f"{key}={value}"]
    return BrokerProcess("odradek", command, port, data_dir / "broker.log", START_TIMEOUT)


@functools.cache
def byte_compile() -> None:
    for package in ("wire", "server", "storage", "tools"):
        module = __import__(f"odradek.{package}", fromlist=["_"])
        compileall.compile_dir(Path(module.__file__).parent, quiet=1)
