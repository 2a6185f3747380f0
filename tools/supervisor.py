"""Child processes started in order, watched, and stopped in reverse order on Ctrl-C.

``odradek cluster`` starts ZooKeeper, then the brokers that need it; they must stop the other way
round, each broker while ZooKeeper and the others still run. SIGINT, SIGTERM and SIGHUP become
events the waiting loops check (the first asks for that orderly stop, another one kills what is
left), so the command itself decides the order instead of the terminal signalling everyone at once.
Every wait is bounded.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Callable

from .child_process import ChildProcess, describe_exit

POLL_INTERVAL = 0.1  # seconds
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class ChildFailed(Exception):
    """A child exited while starting, or was not ready in time: one line naming it and its log."""


class StopRequested(Exception):
    """Ctrl-C (or SIGTERM) while children were starting."""


class Supervisor:
    def __init__(self):
        self.children: list[ChildProcess] = []  # in start order
        self.received: str | None = None  # the stop signal's name
        self._stop = threading.Event()
        self._force = threading.Event()
        self._previous = {}

    def __enter__(self) -> "Supervisor":
        self._previous = {signum: signal.signal(signum, self._handle) for signum in STOP_SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def start(self, child: ChildProcess) -> ChildProcess:
        self.children.append(child)
        child.start()
        return child

    def wait_until_ready(self, ready: Callable[[ChildProcess], bool], children: list[ChildProcess],
                         timeout: float) -> None:
        """Until ``ready(child)`` for each of ``children``. ChildFailed if any child exits meanwhile
        or one is not ready within ``timeout`` seconds; StopRequested on Ctrl-C."""
        deadline = time.monotonic() + timeout
        while waiting := [child for child in children if not ready(child)]:
            failed = self._exited(" while starting")
            if failed:
                raise ChildFailed(failed)
            if time.monotonic() > deadline:
                raise ChildFailed(f"{waiting[0].name} was not ready within {timeout:.0f}s; {waiting[0].log_tail()}")
            if self._stop.wait(POLL_INTERVAL):
                raise StopRequested()

    def watch(self) -> str | None:
        """Block until a stop signal (None) or until a child exits by itself (what happened)."""
        while not self._stop.wait(POLL_INTERVAL):
            failed = self._exited()
            if failed:
                return failed
        return None

    def running(self) -> list[str]:
        """The names of the children still running, in the order they will be stopped."""
        return [child.name for child in reversed(self.children) if child.exit_code() is None]

    def stop_all(self, report: Callable[[str], None]) -> bool:
        """Stop each child still running, last started first, reporting each as it stops (a
        broker's controlled shutdown may take seconds). True if all stopped cleanly."""
        clean = True
        for child in reversed(self.children):
            if child.exit_code() is not None:
                continue
            problem = child.stop(give_up=self._force)
            report(problem or f"{child.name} stopped")
            clean = clean and problem is None
        return clean

    def _exited(self, when: str = "") -> str | None:
        for child in self.children:
            code = child.exit_code()
            if code is not None:
                return f"{child.name} (pid {child.pid}) {describe_exit(code)}{when}; {child.log_tail()}"
        return None

    def _handle(self, signum, frame) -> None:
        if self._stop.is_set():
            self._force.set()
        else:
            self.received = signal.Signals(signum).name
            self._stop.set()
