"""Each group's total lag over the last minutes, for the chart on its page: sampled by the
console's background task with the throughput (``Throughput.run`` calls ``sample``).

A sample sums, for every group this broker keeps offsets of, the high watermark minus the
committed offset of each partition whose leader is here: dict lookups per committed partition,
the same reads the lag metric does at scrape time. Groups gone are forgotten.
"""

from __future__ import annotations

import time
from collections import deque

from odradek.wire import ErrorCode

HISTORY = 150


class LagHistory:
    def __init__(self, broker):
        self.broker = broker
        self.by_group: dict[str, deque[tuple[float, float]]] = {}

    def sample(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        offsets, replicas = self.broker.groups.offsets, self.broker.replicas
        seen = set()
        for group in offsets.groups():
            total, known = 0, False
            for (topic, partition), commit in offsets.of_group(group).items():
                log, code = replicas.leader_log(topic, partition)
                if log is not None and code == ErrorCode.NONE:
                    total += log.high_watermark - commit.offset
                    known = True
            if known:
                self.by_group.setdefault(group, deque(maxlen=HISTORY)).append((now, float(total)))
                seen.add(group)
        for group in [g for g in self.by_group if g not in seen]:
            del self.by_group[group]

    def of_group(self, group_id: str) -> list[tuple[float, float]]:
        return list(self.by_group.get(group_id, ()))
