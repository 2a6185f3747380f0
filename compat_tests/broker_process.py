"""One odradek broker as a child process, driven the way an operator drives it.

The tests talk to it only through its port, its data directory and its log: start it with
``odradek serve``, wait for the ready line, stop it with SIGTERM (or SIGKILL to simulate a
crash) and start it again on the same port and data. The process itself is handled as the shipped
``odradek.testing`` handles its brokers (``odradek.testing.process``); here the whole log is kept,
across restarts, for the tracebacks guard and for the report of a failed test.
"""

from __future__ import annotations

import signal
from pathlib import Path

from odradek.testing.broker import READY, serve_command
from odradek.testing.process import LoggedProcess

START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0


class BrokerProcess:
    def __init__(self, data_dir: Path, overrides: dict[str, object] | None = None,
                 port: int = 0, log_level: str = "INFO", properties_file: Path | None = None):
        """``data_dir`` is the log directory, unless ``overrides`` sets ``log.dirs`` (several)."""
        self.data_dir = Path(data_dir)
        self.properties_file = properties_file
        self.overrides = dict(overrides or {})
        self.port = port
        self.log_level = log_level
        self._process = LoggedProcess("odradek", stop_timeout=STOP_TIMEOUT)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process.running

    @property
    def paused(self) -> bool:
        """Stopped by SIGSTOP."""
        return self._process.paused

    def start(self) -> "BrokerProcess":
        """Launch and block until the ready line (bounded); keep the port for later restarts."""
        data_dir = None if "log.dirs" in self.overrides else self.data_dir  # several come as log.dirs
        command = serve_command("127.0.0.1", self.port, data_dir, self.log_level, self.overrides,
                                self.properties_file)
        self._process.append(f"--- odradek started: {' '.join(command)}\n")
        found = self._process.start(command, ready=READY.search, timeout=START_TIMEOUT)
        if found is None:
            raise RuntimeError(f"odradek {self._process.not_ready(START_TIMEOUT)}:\n{self.log_text()}")
        self.port = int(found["port"])
        return self

    def stop(self) -> int:
        """SIGTERM and wait: Kafka's clean shutdown.  Returns the exit code."""
        return self._end(signal.SIGTERM)

    def kill(self) -> int:
        """SIGKILL: a crash, nothing flushed by the broker itself."""
        return self._end(signal.SIGKILL)

    def signal(self, signum: signal.Signals) -> None:
        """Send a signal (SIGSTOP freezes the broker as a long GC pause or a hung VM would)."""
        self._process.send_signal(signum)

    def restart(self, *, crash: bool = False) -> "BrokerProcess":
        """Stop (or kill) and start again with the same data directory and port."""
        if crash:
            self.kill()
        else:
            code = self.stop()
            if code != 0:
                raise RuntimeError(f"odradek exited with {code} on SIGTERM:\n{self.log_text()}")
        return self.start()

    def log_text(self) -> str:
        return self._process.log_text()

    def log_length(self) -> int:
        return self._process.log_length()

    def tracebacks(self, since: int = 0) -> list[str]:
        """Python tracebacks the broker logged after line ``since`` (each with a few lines of context)."""
        lines = self._process.lines(since)
        return ["".join(lines[i:i + 30]) for i, line in enumerate(lines)
                if "Traceback (most recent call last)" in line]

    def _end(self, how: signal.Signals) -> int:
        code = self._process.stop(how)
        return 0 if code is None else code
