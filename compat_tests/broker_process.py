"""One odradek broker as a child process, driven the way an operator drives it.

The tests talk to it only through its port, its data directory and its log: start it with
``odradek serve``, wait for the ready line, stop it with SIGTERM (or SIGKILL to simulate a
crash) and start it again on the same port and data.  Stderr is drained by a thread so a
chatty broker can never block on a full pipe.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

READY = re.compile(r"odradek ready: listening on (?P<host>[^,\s]+):(?P<port>\d+)[,\s]")
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
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self.paused = False  # stopped by SIGSTOP

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> "BrokerProcess":
        """Launch and block until the ready line (bounded); keep the port for later restarts."""
        command = [sys.executable, "-m", "odradek.tools.cli", "serve",
                   *([str(self.properties_file)] if self.properties_file else []),
                   "--host", "127.0.0.1", "--port", str(self.port), "--log-level", self.log_level]
        if "log.dirs" not in self.overrides:  # several log directories come as the log.dirs override
            command += ["--data-dir", str(self.data_dir)]
        for key, value in self.overrides.items():
            command += ["--override", f"{key}={value}"]
        self._append(f"--- odradek started: {' '.join(command)}\n")
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, text=True, errors="replace")
        ready = threading.Event()
        found: dict[str, int] = {}
        threading.Thread(target=self._drain, args=(self._process, ready, found), daemon=True).start()
        if not ready.wait(START_TIMEOUT) or "port" not in found:
            code = self._process.poll()
            self.kill()
            reason = f"exited with code {code}" if code is not None else f"not ready within {START_TIMEOUT}s"
            raise RuntimeError(f"odradek {reason}:\n{self.log_text()}")
        self.port = found["port"]
        return self

    def stop(self) -> int:
        """SIGTERM and wait: Kafka's clean shutdown.  Returns the exit code."""
        return self._end(signal.SIGTERM)

    def kill(self) -> int:
        """SIGKILL: a crash, nothing flushed by the broker itself."""
        return self._end(signal.SIGKILL)

    def signal(self, signum: signal.Signals) -> None:
        """Send a signal (SIGSTOP freezes the broker as a long GC pause or a hung VM would)."""
        if self._process is not None:
            self._process.send_signal(signum)
            if signum in (signal.SIGSTOP, signal.SIGCONT):
                self.paused = signum == signal.SIGSTOP

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
        with self._lines_lock:
            return "".join(self._lines)

    def log_length(self) -> int:
        with self._lines_lock:
            return len(self._lines)

    def tracebacks(self, since: int = 0) -> list[str]:
        """Python tracebacks the broker logged after line ``since`` (each with a few lines of context)."""
        with self._lines_lock:
            lines = self._lines[since:]
        return ["".join(lines[i:i + 30]) for i, line in enumerate(lines)
                if "Traceback (most recent call last)" in line]

    def _end(self, how: signal.Signals) -> int:
        process = self._process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(how)
            if self.paused:
                process.send_signal(signal.SIGCONT)
                self.paused = False
        try:
            code = process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait(STOP_TIMEOUT)
            self._append(f"--- odradek ignored {how.name} for {STOP_TIMEOUT}s and was killed\n")
        self._process = None
        return code

    def _drain(self, process: subprocess.Popen, ready: threading.Event, found: dict[str, int]) -> None:
        for line in process.stderr:
            self._append(line)
            if not ready.is_set():
                match = READY.search(line)
                if match:
                    found["port"] = int(match["port"])
                    ready.set()
        process.stderr.close()
        ready.set()  # the process ended: wake the starter instead of letting it time out

    def _append(self, line: str) -> None:
        with self._lines_lock:
            self._lines.append(line)
