"""One figure of one broker in one case, with every repetition's value kept.

The report takes medians and ratios from these; keeping the raw values lets a reader see the spread.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field


@dataclass
class Measurement:
    workload: str            # module name of the workload, e.g. "produce"
    case: str                # what was run, e.g. "perf-test 100 B acks=1"
    broker: str              # "odradek", "kafka" or "tansu"
    metric: str              # what the values are, with their unit, e.g. "records/s" or "p99 ms"
    values: list[float] = field(default_factory=list)   # one per repetition
    higher_is_better: bool = True
    note: str = ""           # e.g. why a broker has no value in this case

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Measurement":
        return cls(**data)
