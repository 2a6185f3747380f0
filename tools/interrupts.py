"""SIGTERM handled like Ctrl-C, for tools that must clean up when they are stopped.

Kafka's console tools end the same way on either signal: their shutdown hook runs, so a console
consumer leaves its group (instead of holding its partitions until its session times out) and
prints how many records it processed.  Python turns SIGINT into ``KeyboardInterrupt``; this turns
SIGTERM into the same exception, so one ``except KeyboardInterrupt`` handles both.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises ``KeyboardInterrupt``; the previous handler is put back after.

    Signal handlers can only be set from the main thread: elsewhere (a tool run from a test's
    worker thread) this changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")
