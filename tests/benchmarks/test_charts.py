"""Charts group metrics by their unit."""

from benchmarks.charts import family


def test_metrics_are_charted_by_unit():
    assert family("records/s") == family("MB/s") == "throughput"
    assert family("p99 ms") == family("avg latency (ms)") == "latency"
    assert family("startup s") == family("idle RSS MB") == "other"
