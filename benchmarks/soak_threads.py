"""What the soak's good and hostile clients share: loops in threads that run until told to stop.

Each kind of client is one method run in its own daemon thread; an exception ends only that
loop and is kept in ``errors`` for the results, never silently lost. ``every(period)`` is the one
"until the end" loop they all use: it yields on a fixed schedule (a late turn does not shift the
next ones) and ends as soon as ``stop`` is called, however long the period.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator


class ClientThreads:
    """Runs ``loops`` (methods of a subclass), one thread each, between ``__enter__`` and ``stop``."""

    JOIN_TIMEOUT = 120.0   # seconds a loop has to finish (flush, close) once stopped

    def __init__(self, loops: list[Callable[[], None]]):
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._guard, args=(loop,), daemon=True,
                                          name=f"{type(self).__name__}-{loop.__name__}") for loop in loops]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.JOIN_TIMEOUT)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def every(self, period: float, first: float | None = None) -> Iterator[int]:
        """Turn numbers 0, 1, ... every ``period`` seconds (the first after ``first``, by default one
        period) until ``stop``; a turn that ran late is not made up for by a burst."""
        due = time.monotonic() + (period if first is None else first)
        turn = 0
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            yield turn
            turn += 1
            due = max(due + period, time.monotonic())

    def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless stopped meanwhile; True if stopped."""
        return self._stop.wait(seconds)

    def _count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.counts[what] += n

    def _guard(self, loop: Callable[[], None]) -> None:
        try:
            loop()
        except Exception as error:   # reported with the results, never silently lost
            self.errors.append(f"{loop.__name__}: {type(error).__name__}: {error}")
