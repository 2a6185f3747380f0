"""The issue's targets, each checked against the measurements of the same run.

A target is a sentence and a check; the check answers (met, what was found), with ``met`` None
when the run holds no figure for it (workload not run, or broker failed). To add one, append a
``Target`` whose check reads the measurements by workload, case and metric names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .measurement import Measurement

Check = Callable[[list[Measurement]], tuple["bool | None", str]]


@dataclass(frozen=True)
class Target:
    description: str
    check: Check


def median_of(measurements: Iterable[Measurement], workload: str, metric: str,
              broker: str = "odradek", case: str | None = None) -> float | None:
    """The median of the one matching measurement (any case if ``case`` is None), if it has values."""
    for measurement in measurements:
        if (measurement.workload, measurement.metric, measurement.broker) == (workload, metric, broker) \
                and (case is None or measurement.case == case) and measurement.values:
            return measurement.median
    return None


def at_most(workload: str, metric: str, limit: float, unit: str, case: str | None = None) -> Check:
    """odradek's median of ``metric`` is no more than ``limit``."""
    def check(measurements: list[Measurement]) -> tuple[bool | None, str]:
        value = median_of(measurements, workload, metric, case=case)
        if value is None:
            return None, f"no {metric} figure in this run"
        if value <= limit:
            return True, f"{value:.3g} {unit} (limit {limit:g} {unit})"
        return False, f"{value:.3g} {unit}: {value / limit - 1:.0%} over the limit of {limit:g} {unit}"
    return check


TARGETS = [
    Target("startup ≤ 0.3 s", at_most("startup", "startup s", 0.3, "s")),
    Target("idle RSS ≤ 40 MB", at_most("startup", "idle RSS MB", 40, "MB")),
]
