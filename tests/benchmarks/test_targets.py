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


def produce(broker, case, values):
    return Measurement("produce", case, broker, "records/s", values)


def test_ratio_targets_need_every_case_of_both_brokers():
    from benchmarks.targets import ratio_at_least

    check = ratio_at_least("produce", "records/s", "kafka", 1.0, ["a", "b"])
    both = [produce("odradek", "a", [300]), produce("kafka", "a", [200]),
            produce("odradek", "b", [90]), produce("kafka", "b", [100])]
    assert check(both) == (False, "a: 1.50x; b: 0.90x")
    assert check(both[:2] + [produce("odradek", "b", [110]), both[3]]) == (True, "a: 1.50x; b: 1.10x")
    assert check(both[:3])[0] is None


def test_at_least_says_how_far_short():
    from benchmarks.targets import at_least

    check = at_least("produce", "records/s", 1_000_000, "records/s", case="x")
    assert check([produce("odradek", "x", [900_000])]) == (False, "900,000 records/s: 10% short of 1,000,000")
    assert check([produce("odradek", "x", [1_200_000])])[0] is True


def test_cpu_ratio_targets_compare_odradek_cost_with_the_other_broker():
    from benchmarks.targets import CPU_METRIC, CPU_PRODUCE

    def cpu(broker, value):
        return Measurement("cpu", CPU_PRODUCE[0], broker, CPU_METRIC, [value], False)

    met = {t.description: t.check([cpu("odradek", 0.2), cpu("tansu", 0.43), cpu("kafka", 0.65)])
           for t in TARGETS if "per produced record" in t.description}
    assert [m for m, _ in met.values()] == [True, False]  # 0.47x Tansu's, 0.31x Kafka's
    assert "0.2 against 0.65, 0.31x" in list(met.values())[1][1]
