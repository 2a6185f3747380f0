"""The total lag of the groups someone is looking at, over the last minutes, for the chart on a
group's page: sampled by the console's background task with the throughput (``Throughput.run``
calls ``sample``).

Only watched groups are sampled: a group's page asks to ``watch`` it, and it stays watched for
the chart's window after the last time its page was opened, at most ``WATCHED`` groups at once
(the least recently opened leave first). A sample sums, for each, the high watermark minus the
committed offset of each partition whose leader is here (the lag metric's reads), so the work
done every few seconds is bounded by what people look at, not by every group the broker keeps.
"""

from __future__ import annotations

import time
from collections import deque

from odradek.wire import ErrorCode

HISTORY = 150
WATCHED = 20


class LagHistory:
    def __init__(self, broker, window_s: float = 300.0):
        self.broker = broker
        self.window_s = window_s
        self._watched: dict[str, float] = {}  # group -> when its page was last opened, oldest first
        self._history: dict[str, deque[tuple[float, float]]] = {}

    def watch(self, group_id: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self._watched.pop(group_id, None)
        self._watched[group_id] = now
        self._history.setdefault(group_id, deque(maxlen=HISTORY))
        while len(self._watched) > WATCHED:
            self._forget(next(iter(self._watched)))

    def sample(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        for group in [g for g, at in self._watched.items() if at < now - self.window_s]:
            self._forget(group)
        for group, history in self._history.items():
            total = self.total_lag(group)
            if total is not None:
                history.append((now, float(total)))

    def total_lag(self, group_id: str) -> int | None:
        """The group's lag summed over the partitions led here; None if it has none of them."""
        offsets, replicas = self.broker.groups.offsets, self.broker.replicas
        total, known = 0, False
        for (topic, partition), commit in offsets.of_group(group_id).items():
            log, code = replicas.leader_log(topic, partition)
            if log is not None and code == ErrorCode.NONE:
                total += log.high_watermark - commit.offset
                known = True
        return total if known else None

    def watched(self) -> list[str]:
        """The groups sampled, least recently opened first."""
        return list(self._watched)

    def of_group(self, group_id: str) -> list[tuple[float, float]]:
        return list(self._history.get(group_id, ()))

    def _forget(self, group_id: str) -> None:
        self._watched.pop(group_id, None)
        self._history.pop(group_id, None)
