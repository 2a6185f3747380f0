"""One ``odradek serve`` child process on a free port with its own temporary data directory.

It is started with ``python -m odradek.tools.cli serve --port 0`` and is ready when it logs its
ready line (printed at every log level), which also says which port the OS gave it; a restart
reuses that port and the data. ``close()`` stops it with SIGTERM (SIGKILL if it does not go) and
removes the data directory it made. Its log is kept in memory, bounded, for the error raised when
it does not start. Any broker still running when the interpreter exits is stopped then too.
"""

from __future__ import annotations

import atexit
import re
import shutil
import signal
import sys
import tempfile
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from .process import LoggedProcess

READY = re.compile(r"odradek ready: listening on (?P<host>[^,\s]+):(?P<port>\d+)[,\s]")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
LOG_LINES = 2000  # the newest lines of the broker's log kept for error messages
#: Defaults for a broker that lives for one test run: groups form at once, no waiting for more members.
TEST_DEFAULTS = {"group.initial.rebalance.delay.ms": "0"}

_running: "weakref.WeakSet[Broker]" = weakref.WeakSet()


class BrokerError(RuntimeError):
    """The broker (or cluster) did not start or stop cleanly; the message ends with its log."""


class Broker:
    """A test broker: ``Broker().start()``, then ``.bootstrap``; ``close()`` when done.

    ``properties`` are Kafka broker properties (``{"num.partitions": 3}``), passed as
    ``--override``; ``data_dir``, if given, is kept (else a temporary one is made and removed).
    """

    def __init__(self, properties: Mapping[str, object] | None = None, *, data_dir: str | Path | None = None,
                 host: str = "127.0.0.1", port: int = 0, log_level: str = "WARNING",
                 start_timeout: float = START_TIMEOUT):
        self.properties = {**TEST_DEFAULTS, **{k: str(v) for k, v in (properties or {}).items()}}
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.host = host
        self.port = port
        self.log_level = log_level
        self.start_timeout = start_timeout
        self._process = LoggedProcess("odradek", log_lines=LOG_LINES, stop_timeout=STOP_TIMEOUT)

    @property
    def bootstrap(self) -> str:
        """``host:port``, what clients take as ``bootstrap_servers`` / ``bootstrap.servers``."""
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process.running

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def start(self) -> "Broker":
        """Start the broker and wait (at most ``start_timeout``) until it accepts connections."""
        if self.running:
            return self
        if self.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="odradek-test-"))
        command = serve_command(self.host, self.port, self.data_dir, self.log_level, self.properties)
        _running.add(self)
        found = self._process.start(command, ready=READY.search, timeout=self.start_timeout)
        if found is None:
            why = self._process.not_ready(self.start_timeout)
            raise BrokerError(f"odradek broker {why}:\n{self.log_text()}")
        self.port = int(found["port"])
        return self

    def stop(self, how: signal.Signals = signal.SIGTERM) -> int | None:
        """Stop the process (SIGTERM: a clean shutdown; SIGKILL: a crash); keep the data and port."""
        return self._process.stop(how)

    def restart(self) -> "Broker":
        """Stop and start again on the same port and data, as a client sees a broker bounce."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the broker and remove the data directory it made."""
        self.stop()
        _running.discard(self)
        if self._own_dir and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def log_text(self) -> str:
        """The newest lines the broker logged (at ``log_level`` and above)."""
        return self._process.log_text()

    def __enter__(self) -> "Broker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<odradek Broker {self.bootstrap} {'running' if self.running else 'stopped'}>"


def serve_command(host: str, port: int, data_dir: Path | None, log_level: str,
                  properties: Mapping[str, object], properties_file: Path | None = None) -> list[str]:
    """``python -m odradek.tools.cli serve`` with these settings, each property an ``--override``
    (no ``data_dir``: the properties name ``log.dirs``)."""
    command = [sys.executable, "-m", "odradek.tools.cli", "serve",
               *([str(properties_file)] if properties_file is not None else []),
               "--host", host, "--port", str(port), "--log-level", log_level]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    for key, value in properties.items():
        command += ["--override", f"{key}={value}"]
    return command


@contextmanager
def broker(properties: Mapping[str, object] | None = None, **options) -> Iterator[str]:
    """``with broker() as bootstrap:`` a fresh broker for the block, stopped and removed after it.

    ``options`` are ``Broker``'s (``data_dir``, ``host``, ``port``, ``log_level``, ``start_timeout``).
    """
    with Broker(properties, **options) as running:
        yield running.bootstrap


@atexit.register
def _stop_leftovers() -> None:
    """A script that never closed its broker (or died on an exception) still stops it."""
    for left in list(_running):
        left.close()
