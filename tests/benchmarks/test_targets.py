"""Targets check odradek's medians and say by how much a limit is missed."""

from benchmarks.measurement import Measurement
from benchmarks.targets import TARGETS, at_most


def startup(broker, values):
    return Measurement("startup", "fresh broker", broker, "startup s", values, False)


def test_at_most_is_met_missed_or_not_measured():
    check = at_most("startup", "startup s", 0.3, "s")
    assert check([startup("odradek", [0.2, 0.25, 0.9])]) == (True, "0.25 s (limit 0.3 s)")
    assert check([startup("odradek", [0.45])]) == (False, "0.45 s: 50% over the limit of 0.3 s")
    assert check([startup("kafka", [0.1]), startup("odradek", [])])[0] is None


def test_the_issue_targets_read_the_startup_workload():
    met = {target.description: target.check([startup("odradek", [0.1])])[0] for target in TARGETS}
    assert met["startup ≤ 0.3 s"] is True
    assert met["idle RSS ≤ 40 MB"] is None
