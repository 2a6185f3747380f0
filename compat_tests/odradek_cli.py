"""The ``odradek`` command as a child process, run as a person runs it: exit code, stdout, stderr.

``run`` runs a command to its end; ``Tool`` starts one that keeps running (a consumer) so a test
can read its output line by line, signal it and collect how it ended.  Both run the venv's Python
(``sys.executable -m odradek.tools.cli``), so they test this checkout.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass

COMMAND = [sys.executable, "-m", "odradek.tools.cli"]
TIMEOUT = 60.0  # seconds: an interpreter start plus the tool's own bounded waits


@dataclass
class Ran:
    code: int
    out: str
    err: str


def run(*argv: str, stdin: str | None = None, timeout: float = TIMEOUT, env: dict[str, str] | None = None) -> Ran:
    done = subprocess.run([*COMMAND, *argv], input=stdin, capture_output=True, text=True, timeout=timeout,
                          stdin=None if stdin is not None else subprocess.DEVNULL, env=env)
    return Ran(done.returncode, done.stdout, done.stderr)


class Tool:
    """A running ``odradek`` command; threads collect its stdout lines and stderr as they come, so
    it never blocks on a full pipe."""

    def __init__(self, *argv: str):
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._out: list[str] = []
        self._err: list[str] = []
        self._ended = False  # the end of stdout has been taken from the queue
        with _sigint_not_ignored():
            self.process = subprocess.Popen([*COMMAND, *argv], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, text=True)
        self._readers = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for reader in self._readers:
            reader.start()

    def lines(self, count: int, timeout: float = TIMEOUT) -> list[str]:
        """The first ``count`` lines of stdout, waiting (bounded) for them to be printed."""
        while len(self._out) < count and self._take(timeout):
            pass
        assert len(self._out) >= count, f"the tool ended after printing {self._out}: {self.finish().err}"
        return self._out[:count]

    def signal(self, how: signal.Signals) -> None:
        self.process.send_signal(how)

    def finish(self, timeout: float = TIMEOUT) -> Ran:
        """Wait for the exit; everything it printed."""
        code = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        while self._take(0):
            pass
        return Ran(code, "".join(line + "\n" for line in self._out), "".join(self._err))

    def kill(self) -> None:
        """Teardown for a test that failed early: never leave the process behind."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(TIMEOUT)

    def __enter__(self) -> "Tool":
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def _take(self, timeout: float) -> bool:
        """Move the next stdout line from the queue to ``_out``; False once stdout has ended."""
        if not self._ended:
            line = self._lines.get(timeout=timeout) if timeout else self._lines.get_nowait()
            self._ended = line is None
            if line is not None:
                self._out.append(line)
        return not self._ended

    def _read_out(self) -> None:
        with self.process.stdout:
            for line in self.process.stdout:
                self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _read_err(self) -> None:
        with self.process.stderr:
            self._err.extend(self.process.stderr)


class _sigint_not_ignored:
    """A child inherits an *ignored* SIGINT (pytest run in the background by a shell without job
    control), and Python then never raises ``KeyboardInterrupt`` in it.  A *handled* SIGINT is reset
    to the default at exec, so the test process handles it while it starts the child."""

    def __enter__(self) -> None:
        self._previous = signal.getsignal(signal.SIGINT)
        if self._previous == signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc) -> None:
        if self._previous == signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
