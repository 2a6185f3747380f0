"""The report's tables, ratios and notes, rendered from fixed measurements."""

from benchmarks.measurement import Measurement
from benchmarks.report import number, ratio, render, write


def measurement(broker, metric, values, higher_is_better=True, case="100 B", note=""):
    return Measurement("produce", case, broker, metric, values, higher_is_better, note)


def test_ratio_above_one_means_odradek_better_in_both_directions():
    faster = measurement("odradek", "records/s", [200.0])
    slower = measurement("kafka", "records/s", [100.0])
    assert ratio(faster, slower) == 2.0
    quick = measurement("odradek", "p99 ms", [2.0], higher_is_better=False)
    slow = measurement("kafka", "p99 ms", [8.0], higher_is_better=False)
    assert ratio(quick, slow) == 4.0
    assert ratio(quick, measurement("kafka", "p99 ms", [], higher_is_better=False)) is None
    assert ratio(None, slow) is None


def test_numbers_keep_three_significant_digits_below_a_thousand():
    assert number(1234567.8) == "1,234,568"
    assert number(412.3) == "412"
    assert number(37.44) == "37.4"
    assert number(0.2291) == "0.229"
    assert number(None) == "—"


def test_a_workload_table_has_medians_counts_ratios_and_notes():
    measurements = [
        measurement("odradek", "records/s", [90.0, 110.0, 100.0]),
        measurement("kafka", "records/s", [50.0, 50.0, 50.0]),
        measurement("tansu", "records/s", [], note="repetition 1 failed: TimeoutError"),
        measurement("odradek", "p99 ms", [3.0], higher_is_better=False),
        measurement("kafka", "p99 ms", [6.0], higher_is_better=False),
    ]
    text = render({"machine": {}, "runs": {}}, measurements, ["odradek", "kafka", "tansu"],
                  ["produce"], {"produce": ["benchmarks/produce-throughput.png"]})
    assert "| case | metric | odradek | kafka | tansu | odradek/kafka | odradek/tansu |" in text
    assert "| 100 B | records/s | 100 (3) | 50.0 (3) | — | 2.00× | — |" in text
    assert "| 100 B | p99 ms (lower is better) | 3 (1) | 6 (1) | — | 2.00× | — |" in text
    assert "- tansu, 100 B: repetition 1 failed: TimeoutError" in text
    assert "![produce throughput](benchmarks/produce-throughput.png)" in text
    assert "memory storage engine" in text


def test_a_broker_a_workload_did_not_measure_gets_no_column_there():
    measurements = [measurement("odradek", "records/s", [100.0]), measurement("kafka", "records/s", [50.0]),
                    Measurement("cluster", "3 brokers", "odradek", "failover s", [18.0], False),
                    Measurement("cluster", "3 brokers", "kafka", "failover s", [9.8], False),
                    measurement("tansu", "records/s", [70.0])]
    text = render({"machine": {}, "runs": {}}, measurements, ["odradek", "kafka", "tansu"],
                  ["produce", "cluster"], {})
    assert "| case | metric | odradek | kafka | tansu | odradek/kafka | odradek/tansu |" in text
    assert "| case | metric | odradek | kafka | odradek/kafka |" in text
    assert "| 3 brokers | failover s (lower is better) | 18.0 (1) | 9.8 (1) | 0.54× |" in text


def test_the_reproduce_commands_name_each_runs_settings():
    runs = {"startup": {"brokers": ["odradek", "kafka"], "repetitions": 3, "scale": 1.0}}
    text = render({"machine": {}, "runs": runs}, [measurement("odradek", "records/s", [1.0])],
                  ["odradek"], ["startup"], {})
    assert "pip install -e '.[test,bench]'" in text
    assert ("python -m benchmarks.suite --workloads startup --brokers odradek,kafka "
            "--repetitions 3 --scale 1.0") in text


def test_write_draws_the_charts_it_links(tmp_path):
    results = {"machine": {}, "runs": {}, "measurements": [
        m.to_json() for m in (measurement("odradek", "records/s", [100.0]),
                              measurement("kafka", "records/s", [50.0]),
                              measurement("odradek", "p50 ms", [1.0], higher_is_better=False),
                              measurement("kafka", "p50 ms", [2.0], higher_is_better=False))]}
    path = write(results, tmp_path, ["produce"])
    text = path.read_text()
    for chart in ("produce-throughput.png", "produce-latency.png"):
        assert (tmp_path / "benchmarks" / chart).read_bytes().startswith(b"\x89PNG")
        assert f"(benchmarks/{chart})" in text
