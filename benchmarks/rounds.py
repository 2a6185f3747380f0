"""Runs a workload's cases on a fresh broker per round and files each figure in its Measurement.

Every workload measures the same way: per round (repetition, broker) one fresh broker, an optional
preparation (e.g. loading the topics a consume case reads), then each case in turn. A case that fails
on one broker leaves a note on its Measurements and the others go on, so one broker's gap never
costs the whole session.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable, ContextManager

from .measurement import Measurement
from .session import Session


@dataclass(frozen=True)
class Case:
    name: str                                     # e.g. "perf-test 100 B acks=1"
    metrics: dict[str, bool]                      # metric name -> higher is better
    measure: Callable[[str], dict[str, float]]    # bootstrap -> a value for each metric
    needs_broker: bool = False                    # measure gets the RunningBroker, not its address


def run_cases(session: Session, workload: str, cases: list[Case],
              prepare: Callable[[str], None] | None = None,
              start: Callable[[str], ContextManager] | None = None) -> list[Measurement]:
    """One Measurement per (case, broker, metric), in case order, values in ``session.rounds()`` order.

    ``start`` gives each round its broker by name (``session.broker`` unless said otherwise, e.g.
    ``session.cluster`` or a broker with overrides)."""
    table = {(case.name, broker, metric): Measurement(workload, case.name, broker, metric,
                                                      higher_is_better=higher)
             for case in cases for broker in session.brokers for metric, higher in case.metrics.items()}
    for repetition, broker in session.rounds():
        pending = list(cases)
        try:
            with (start or session.broker)(broker) as running:
                if prepare is not None:
                    prepare(running.bootstrap)
                while pending:
                    case = pending.pop(0)
                    try:
                        values = case.measure(running if case.needs_broker else running.bootstrap)
                    except Exception as error:
                        _note(table, workload, case, broker, repetition, error)
                        continue
                    for metric, value in values.items():
                        table[case.name, broker, metric].values.append(value)
                    _progress(workload, repetition, broker, case.name, values)
        except Exception as error:
            for case in pending:
                _note(table, workload, case, broker, repetition, error)
    return list(table.values())


def _note(table: dict, workload: str, case: Case, broker: str, repetition: int, error: Exception) -> None:
    lines = str(error).strip().splitlines() or [""]
    text = f"repetition {repetition + 1}: {type(error).__name__}: {lines[0][:300]}"
    for metric in case.metrics:
        measurement = table[case.name, broker, metric]
        measurement.note = f"{measurement.note}; {text}" if measurement.note else text
    print(f"[{workload}] {broker} {case.name}: {text}", file=sys.stderr)


def _progress(workload: str, repetition: int, broker: str, case: str, values: dict[str, float]) -> None:
    shown = ", ".join(f"{value:,.1f} {metric}" for metric, value in values.items())
    print(f"[{workload}] repetition {repetition + 1} {broker} {case}: {shown}", file=sys.stderr)
