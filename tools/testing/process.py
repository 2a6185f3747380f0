"""A child process of a test run (a broker, ``odradek cluster``, a JVM), handled the one way.

Its output is drained by a thread into memory, so a chatty child never blocks on a full pipe and
its log is at hand for the message of a failed start or test; the first line a ``ready`` test
accepts marks it ready (a process that ends first wakes the starter at once, rather than letting it
wait out the timeout). A stop is a signal (SIGTERM: a clean shutdown; SIGKILL: a crash), then a
bounded wait, then, if it still runs, the next signal of its stop sequence and finally SIGKILL. A
child frozen with SIGSTOP is sent SIGCONT after its stop signal, so it can act on it.
"""

from __future__ import annotations

import collections
import signal
import subprocess
import threading
from typing import Callable, Sequence

STOP_TIMEOUT = 15.0
EXIT_WAIT = 5.0  # a child whose output ended is exiting: how long its exit code is waited for


class LoggedProcess:
    """``start(command, ready=...)`` gives what ``ready`` returned for the ready line (None: not
    ready, see ``not_ready``); ``stop()``; ``log_text()``. One child at a time, restartable; its
    log runs on across restarts (the newest ``log_lines`` of it, all if None)."""

    def __init__(self, name: str, *, log_lines: int | None = None, stop_timeout: float = STOP_TIMEOUT,
                 escalation: Sequence[signal.Signals] = ()):
        self.name = name
        self.stop_timeout = stop_timeout
        self.escalation = tuple(escalation)  # what is sent, in turn, to a child that outlives a stop's wait
        self.paused = False  # stopped by SIGSTOP
        self._log: collections.deque[str] = collections.deque(maxlen=log_lines)
        self._logged = 0  # lines ever logged (the deque may have dropped the oldest)
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._output_ended = threading.Event()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self, command: list[str], *, ready: Callable[[str], object] | None = None,
              timeout: float = 0.0, merge_output: bool = False) -> object:
        """Launch ``command``; with ``ready``, wait (at most ``timeout``) for the first line it
        returns something true for, and return that (None: it ended or timed out first). Its
        stderr is the log (stdout discarded), or with ``merge_output`` its stdout and stderr."""
        self.paused = False
        self._output_ended = threading.Event()
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, text=True, errors="replace",
            stdout=subprocess.PIPE if merge_output else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if merge_output else subprocess.PIPE)
        found: list[object] = []
        ready_event = threading.Event()
        threading.Thread(target=self._drain, args=(self._process, ready, ready_event, found, self._output_ended),
                         daemon=True,
                         name=f"{self.name}-log-{self._process.pid}").start()
        if ready is None:
            return None
        ready_event.wait(timeout)
        return found[0] if found else None

    def not_ready(self, timeout: float, how: signal.Signals = signal.SIGKILL) -> str:
        """After a start that found no ready line: stop the child (``how``) and say why, as
        ``exited with code N`` or ``was not ready within Ns``."""
        process = self._process
        code = None
        if process is not None:
            try:  # its output ended: it is exiting (wait for its code), or it hangs
                code = process.wait(EXIT_WAIT) if self._output_ended.is_set() else process.poll()
            except subprocess.TimeoutExpired:
                pass
        self.stop(how)
        return f"exited with code {code}" if code is not None else f"was not ready within {timeout}s"

    def send_signal(self, signum: signal.Signals) -> None:
        """Send a signal (SIGSTOP freezes the child as a long GC pause or a hung VM would)."""
        if self._process is not None:
            self._process.send_signal(signum)
            if signum in (signal.SIGSTOP, signal.SIGCONT):
                self.paused = signum == signal.SIGSTOP

    def stop(self, how: signal.Signals = signal.SIGTERM) -> int | None:
        """Send ``how`` and wait for the exit code (None: nothing ran); a child still running after
        ``stop_timeout`` gets the escalation signals in turn, then SIGKILL."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(how)
            if self.paused:
                process.send_signal(signal.SIGCONT)
        self.paused = False
        for then in (*self.escalation, signal.SIGKILL):
            try:
                return process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.append(f"--- {self.name} ignored {how.name} for {self.stop_timeout}s and was sent {then.name}\n")
                process.send_signal(then)
                how = then
        return process.wait(self.stop_timeout)

    def wait_output_end(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until all the child wrote is in the log: after it
        exits, the draining thread may still be reading its last lines (a JVM's shutdown hook
        prints as it exits). Whether the output ended."""
        return self._output_ended.wait(timeout)

    def append(self, line: str) -> None:
        """Add a line of one's own to the log (a marker: what was started, when)."""
        with self._lock:
            self._log.append(line)
            self._logged += 1

    def log_text(self, since: int = 0) -> str:
        return "".join(self.lines(since))

    def lines(self, since: int = 0) -> list[str]:
        """The log's lines from line ``since`` (a ``log_length()`` taken before) on."""
        with self._lock:
            dropped = self._logged - len(self._log)
            return list(self._log)[max(0, since - dropped):]

    def log_length(self) -> int:
        """How many lines were logged so far (a mark for ``lines(since)``)."""
        with self._lock:
            return self._logged

    def _drain(self, process: subprocess.Popen, ready: Callable[[str], object] | None,
               ready_event: threading.Event, found: list[object], ended: threading.Event) -> None:
        stream = process.stdout if process.stdout is not None else process.stderr
        for line in stream:
            self.append(line)
            if ready is not None and not found:
                accepted = ready(line)
                if accepted:
                    found.append(accepted)
                    ready_event.set()
        stream.close()
        ended.set()
        ready_event.set()  # it ended: wake the starter rather than letting it time out
