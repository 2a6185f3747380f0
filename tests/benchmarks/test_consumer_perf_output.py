"""ConsumerPerformance's output: its figures are read from the line after its header, and a run
that timed out (Kafka 4.3.1 then prints the header and a WARNING, no figures) gives none."""

from benchmarks.java_tools import _consumer_perf_figures

HEADER = ("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
          "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")
TIMED_OUT = ("WARNING: Exiting before consuming the expected number of records: timeout (120000 ms) "
             "exceeded. You can use the --timeout option to increase the timeout.")


def test_the_figures_follow_the_header():
    out = f"{HEADER}\n2026-12-02 21:00:00:000, 2026-12-02 21:00:10:000, 47.68, 4.77, 500000, 50000.0, 3000, 7000, 6.81, 71428.57\n"
    figures = _consumer_perf_figures(out)
    assert figures["fetch.nMsg.sec"] == "71428.57" and figures["data.consumed.in.nMsg"] == "500000"


def test_a_timed_out_run_gives_no_figures():
    assert _consumer_perf_figures(f"{HEADER}\n{TIMED_OUT}\n") is None
    assert _consumer_perf_figures("") is None
