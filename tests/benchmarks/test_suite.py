"""The suite's bookkeeping: results merged per workload, failures noted, broker order rotated."""

import json

from benchmarks.measurement import Measurement
from benchmarks.session import Session
from benchmarks.suite import load, merge, parse_args, run_workload, save


def test_rerunning_a_workload_replaces_only_its_measurements(tmp_path):
    path = tmp_path / "results.json"
    results = load(path)
    merge(results, "startup", [Measurement("startup", "a", "odradek", "startup s", [1.0])], {"scale": 1})
    merge(results, "produce", [Measurement("produce", "b", "kafka", "records/s", [5.0])], {"scale": 1})
    save(path, results)
    results = load(path)
    merge(results, "startup", [Measurement("startup", "a", "odradek", "startup s", [0.5])], {"scale": 2})
    assert [(m["workload"], m["values"]) for m in results["measurements"]] == [
        ("produce", [5.0]), ("startup", [0.5])]
    assert results["runs"] == {"startup": {"scale": 2}, "produce": {"scale": 1}}
    assert json.loads(json.dumps(results)) == results


def test_a_workload_that_raises_becomes_a_note_per_broker(tmp_path):
    session = Session(["odradek", "kafka"], 1, tmp_path)
    measurements = run_workload("no_such_workload", session)
    assert [m.broker for m in measurements] == ["odradek", "kafka"]
    assert all(m.values == [] and "the workload failed: ModuleNotFoundError" in m.note
               for m in measurements)


def test_rounds_rotate_the_broker_order_each_repetition(tmp_path):
    session = Session(["odradek", "kafka", "tansu"], 4, tmp_path)
    orders = [[name for rep, name in session.rounds() if rep == r] for r in range(4)]
    assert orders == [["odradek", "kafka", "tansu"], ["kafka", "tansu", "odradek"],
                      ["tansu", "odradek", "kafka"], ["odradek", "kafka", "tansu"]]


def test_all_means_the_workload_modules_present_in_their_fixed_order():
    args = parse_args(["--workloads", "all", "--brokers", "odradek, tansu"])
    assert args.workloads[0] == "startup"
    assert args.brokers == ["odradek", "tansu"]
