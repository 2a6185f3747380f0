"""A warning that cannot flood the log: the first of its kind is written, then one line per
interval saying how many more there were.

A client refused for opening too many connections usually tries again at once, and so does a
flood of them; each refusal deserves a reason in the log, but not ten thousand lines a second.
"""

from __future__ import annotations

import logging
import time


class ThrottledLog:
    def __init__(self, logger: logging.Logger, interval: float = 10.0, level: int = logging.WARNING) -> None:
        self._log = logger
        self._level = level
        self._interval = interval
        self._next: dict[str, float] = {}  # kind -> when a line may be written again
        self._suppressed: dict[str, int] = {}

    def write(self, kind: str, message: str) -> None:
        """Log ``message`` unless a line of this ``kind`` was written less than an interval ago."""
        now = time.monotonic()
        if now < self._next.get(kind, 0.0):
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return
        self._next[kind] = now + self._interval
        more = self._suppressed.pop(kind, 0)
        if more:
            message += f" ({more} more like this in the last {self._interval:g}s were not logged)"
        self._log.log(self._level, "%s", message)
