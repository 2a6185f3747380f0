"""The odradek_perf workload reads the tool's own summary lines, and its target reads the workload."""

import pytest

from benchmarks.measurement import Measurement
from benchmarks.targets import TARGETS
from benchmarks.workloads.odradek_perf import parse
from odradek.tools.perf_stats import Stats

TARGET = "≥ 300,000 records/s produced by `odradek perf` (its defaults) at 100 B"


def test_the_workload_parses_the_lines_the_tool_prints():
    produced = Stats(total=2000)
    produced.add(1000, 100_000, latency_ms=2.5)
    produced.add(1000, 100_000, latency_ms=7.0)
    consumed = Stats(total=2000)
    consumed.add(2000, 230_000)
    result = parse(f"{produced.producer_summary()}\n{consumed.consumer_summary()}\n")
    assert result.produce_records_per_second == pytest.approx(produced.rates()[0], abs=0.05)
    assert result.produce_p99_ms == 7.0
    assert result.consumed == 2000
    assert result.consume_records_per_second == pytest.approx(consumed.rates()[0], abs=0.05)
    with pytest.raises(RuntimeError, match="unknown shape"):
        parse(produced.producer_summary())


def test_the_target_reads_the_100_byte_case():
    def figure(value):
        return [Measurement("odradek_perf", "odradek perf 100 B", "odradek", "produce records/s", [value])]

    check = next(target.check for target in TARGETS if target.description == TARGET)
    assert check(figure(450_000)) == (True, "450,000 records/s (at least 300,000)")
    assert check(figure(150_000))[0] is False
    assert check([])[0] is None
