"""The share workload's own logic: how consumers report offsets, how they are tallied, how the
end of a consumer process is told apart from its crash, and how a broker without share groups is
left with a note instead of figures."""

import contextlib
import sys
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from benchmarks.session import Session
from benchmarks.share_probe import ConsumerProcesses, OffsetTally, parse_ranges, percentile, ranges
from benchmarks.workloads import share


def test_a_batch_is_reported_as_runs_of_consecutive_offsets():
    assert ranges([5, 6, 7, 9, 3, 4]) == [(5, 7), (9, 9), (3, 4)]
    assert ranges([]) == []
    text = " ".join(f"{first}-{last}" for first, last in ranges([10, 11, 12, 20]))
    assert parse_ranges(text) == [(10, 12), (20, 20)]


def test_the_tally_counts_distinct_offsets_and_duplicates_apart():
    tally = OffsetTally(base=100, count=10)
    tally.add(100, 104)
    tally.add(103, 106)           # 103 and 104 delivered twice
    tally.add(90, 95)             # pings before the measured records
    assert (tally.distinct, tally.duplicates, tally.outside) == (7, 2, 6)
    assert not tally.complete
    tally.add(107, 109)
    assert tally.complete


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 31)]
    assert percentile(values, 0.50) == 15.0
    assert percentile(values, 0.99) == 30.0      # with 30 rounds, the slowest
    assert percentile([-0.5], 0.99) == -0.5


@dataclass
class RecordingSession(Session):
    """Starts nothing: records which brokers the workload asks for, with which overrides."""

    repetitions: int = 2
    scratch: None = None
    started: list = field(default_factory=list)

    @contextlib.contextmanager
    def broker(self, name, overrides=None):
        self.started.append((name, overrides))
        yield SimpleNamespace(name=name, bootstrap=name, pid=0)


def test_a_broker_without_share_groups_gets_one_note_per_case_and_is_not_started_again(monkeypatch):
    def figures(metrics):
        return lambda running, **_: {metric: 1.0 for metric in metrics}

    monkeypatch.setattr(share, "_throughput", figures(share.THROUGHPUT_METRICS))
    monkeypatch.setattr(share, "_redelivery", figures(share.REDELIVERY_METRICS))
    monkeypatch.setattr(share, "missing_share_apis",
                        lambda bootstrap: ["ShareGroupHeartbeat"] if bootstrap == "tansu" else [])
    session = RecordingSession(["kafka", "tansu"])
    measurements = share.run(session)
    assert session.started == [("kafka", None), ("tansu", None), ("kafka", None),
                               ("kafka", share.LOCK_OVERRIDES), ("kafka", share.LOCK_OVERRIDES)]
    cases = [share.throughput_case(n) for n in share.CONSUMERS] + [share.REDELIVERY_CASE]
    assert list(dict.fromkeys(m.case for m in measurements)) == cases
    assert all(m.values == [1.0, 1.0] and not m.note for m in measurements if m.broker == "kafka")
    tansu = [m for m in measurements if m.broker == "tansu"]
    assert len(tansu) == len(share.THROUGHPUT_METRICS) * 3 + len(share.REDELIVERY_METRICS)
    assert all(m.values == [] and m.note == "does not serve share groups: its ApiVersions answer "
               "lists no ShareGroupHeartbeat" for m in tansu)


# Stand-ins for share-probe processes: each answers "stop" with its last report and exits at once.
LAST_REPORT = "import sys; sys.stdin.readline(); print('{}', flush=True)"
EXITS_AT_ONCE = "pass"


def test_processes_told_to_stop_may_end_before_the_others_have_reported():
    with ConsumerProcesses([[sys.executable, "-c", LAST_REPORT]] * 6) as processes:
        processes.send_all("stop")
        for process in processes.processes:
            process.wait(30)  # every one has reported and exited before the reports are read
        reports = [processes.line(10) for _ in range(6)]
        assert sorted(index for index, _ in reports) == list(range(6))
        assert processes.line(0.1) is None


def test_a_process_that_ends_untold_is_an_error():
    with ConsumerProcesses([[sys.executable, "-c", EXITS_AT_ONCE]]) as processes:
        with pytest.raises(RuntimeError, match="share consumer 1 exited \\(0\\) unexpectedly"):
            processes.line(30)
