"""The soak's pure parts: reading /proc and /metrics text, a window's p99, the flatness verdict, the
rows it writes (and the target reading them back), and its chart."""

import pytest

from benchmarks.soak_samples import LAG_COUNT, LAG_LAST, LAG_SUM, Limit, loop_lag_ms, metric_values, p99, \
    quarters, status_field_kb, verdict
from benchmarks.targets import soak_flat, soak_read_back
from benchmarks.workloads import soak

STATUS = """Name:\tpython3
VmPeak:\t  512000 kB
VmHWM:\t  130000 kB
VmRSS:\t  120432 kB
Threads:\t4
"""

METRICS = """# HELP odradek_event_loop_lag_seconds How much later than asked a task wakes
# TYPE odradek_event_loop_lag_seconds histogram
odradek_event_loop_lag_seconds_bucket{le="0.001"} 10.0
odradek_event_loop_lag_seconds_bucket{le="+Inf"} 12.0
odradek_event_loop_lag_seconds_count 12.0
odradek_event_loop_lag_seconds_sum 0.024
# TYPE odradek_event_loop_lag_last_seconds gauge
odradek_event_loop_lag_last_seconds 0.0015
process_open_fds 42.0
"""


def test_status_fields_are_read_in_kb():
    assert status_field_kb(STATUS) == 120432
    assert status_field_kb(STATUS, "VmHWM") == 130000
    with pytest.raises(ValueError, match="VmRSS"):
        status_field_kb("Name:\tzombie\n")


def test_metric_values_take_the_unlabelled_samples_asked_for():
    found = metric_values(METRICS, {LAG_SUM, LAG_COUNT, LAG_LAST, "odradek_event_loop_lag_seconds_bucket"})
    assert found == {LAG_COUNT: 12.0, LAG_SUM: 0.024, LAG_LAST: 0.0015}


def test_loop_lag_is_the_mean_between_two_scrapes():
    before = {LAG_SUM: 0.024, LAG_COUNT: 12.0, LAG_LAST: 0.001}
    after = {LAG_SUM: 0.054, LAG_COUNT: 22.0, LAG_LAST: 0.002}
    assert loop_lag_ms(before, after) == pytest.approx(3.0)      # 30 ms over 10 wake-ups
    assert loop_lag_ms(after, after) == pytest.approx(2.0)       # no wake-up between: the latest one
    assert loop_lag_ms({}, {}) is None


def test_p99_is_nearest_rank():
    assert p99([]) is None
    assert p99([0.5]) == 0.5
    assert p99([float(v) for v in range(1, 101)]) == 99.0
    assert p99([float(v) for v in range(200, 0, -1)]) == 198.0


def test_quarters_are_the_second_and_the_last():
    second, last = quarters([float(v) for v in range(12)])
    assert second == [3.0, 4.0, 5.0] and last == [9.0, 10.0, 11.0]
    with pytest.raises(ValueError):
        quarters([1.0, 2.0, 3.0])


def test_flat_growth_within_the_percentage_or_the_slack():
    limit = Limit(percent=20.0, slack=10.0)
    warm_up_then_steady = [50.0, 80.0, 100.0, 100.0, 101.0, 99.0, 100.0, 102.0]
    judged = verdict(warm_up_then_steady, limit)
    assert judged.flat and (judged.second, judged.last) == (100.0, 101.0)   # the warm-up is ignored
    assert verdict([1.0, 1.0, 1.0, 1.0, 5.0, 5.0, 5.0, 5.0], limit).flat      # +400 %, but only +4
    assert verdict([300.0] * 4 + [200.0] * 4, limit).flat                     # a drop is no leak


def test_steady_growth_is_not_flat():
    leaking = [100.0 + 5 * i for i in range(16)]     # +5 MB a sample, all run long
    judged = verdict(leaking, Limit(percent=20.0, slack=10.0))
    assert not judged.flat
    assert judged.drift_percent == pytest.approx((167.5 - 127.5) / 127.5 * 100)
    assert judged.describe("MB").startswith("NOT flat: last quarter 168 MB vs second 128 MB (+31.4 %")


def _series(rss, p99_ms):
    n = len(rss)
    return {"elapsed s": [5.0 * (i + 1) for i in range(n)], "RSS MB": rss, "open files": [40.0] * n,
            "loop lag ms": [0.8] * n, "produce p99 ms": p99_ms}


def test_rows_hold_every_sample_the_verdicts_and_the_read_back_check():
    rows = soak.measurements(_series([100.0] * 8, [5.0] * 4 + [50.0] * 4),
                             {"acknowledged": 1000, "read back": 999}, ["_produce: KafkaException: x"])
    by = {(m.case, m.metric): m for m in rows}
    assert by[("over time", "RSS MB")].values == [100.0] * 8
    assert by[("flatness", "RSS drift %")].values == [0.0]
    assert [by[("by quarter", f"produce p99 ms, Q{q} median")].values for q in (1, 2, 3, 4)] == \
        [[5.0], [5.0], [50.0], [50.0]]
    assert "NOT flat" in by[("flatness", "produce p99 drift %")].note
    notes = " ".join(m.note for m in rows if m.case == "totals")
    assert "read back: 1 missing" in notes
    assert "client error: _produce" in notes
    assert soak_flat("RSS MB")(rows)[0] is True
    assert soak_flat("produce p99 ms")(rows)[0] is False
    assert soak_flat("RSS MB")([])[0] is None
    assert soak_read_back(rows) == (False, "999 read back of 1,000 acknowledged")
    assert soak_read_back([])[0] is None


def test_the_chart_draws_each_series_over_time(tmp_path):
    rows = soak.measurements(_series([90.0 + i for i in range(8)], [5.0 + i for i in range(8)]),
                             {"acknowledged": 10, "read back": 10}, [])
    written = soak.charts(rows, tmp_path)
    assert [path.name for path in written] == ["soak-timeline.png"]
    assert written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert soak.charts([], tmp_path) == []


def test_the_report_uses_the_soak_s_own_chart(tmp_path):
    from benchmarks import report

    rows = soak.measurements(_series([100.0] * 8, [5.0] * 8), {"acknowledged": 10, "read back": 10}, [])
    results = {"machine": {}, "runs": {}, "measurements": [m.to_json() for m in rows]}
    text = report.write(results, tmp_path, ["soak"]).read_text()
    assert "![soak timeline](benchmarks/soak-timeline.png)" in text
    assert (tmp_path / "benchmarks" / "soak-timeline.png").exists()
    assert "| soak beside hostile clients: broker RSS stays flat | yes |" in text


def test_broker_counts_sum_each_reason_over_listeners():
    from benchmarks.soak_samples import broker_counts
    text = """# TYPE odradek_connections_refused_total counter
odradek_connections_refused_total{listener="PLAINTEXT",reason="max_connections_per_ip"} 5.0
odradek_connections_refused_total{listener="INTERNAL",reason="max_connections_per_ip"} 2.0
odradek_connections_closed_by_broker_total{listener="PLAINTEXT",reason="idle"} 3.0
kafka_server_socket_server_metrics_connection_close_total{listener="PLAINTEXT"} 9.0
odradek_fetch_sessions_created_total 4.0
"""
    assert broker_counts(text) == {"broker: connections refused (max_connections_per_ip)": 7,
                                   "broker: connections closed by the broker (idle)": 3,
                                   "broker: connections closed": 9}
