"""run_cases: values land in their Measurement in round order; one broker's failure is a note."""

import contextlib
from types import SimpleNamespace

from benchmarks.rounds import Case, run_cases
from benchmarks.session import Session


class FakeBrokers(Session):
    """A session whose 'brokers' are names only: the loop, not the brokers, is under test."""

    def __init__(self, brokers, repetitions, failing_start=()):
        super().__init__(brokers, repetitions, scratch=None)
        self.failing_start = set(failing_start)
        self.started = []

    @contextlib.contextmanager
    def broker(self, name, overrides=None):
        self.started.append(name)
        if name in self.failing_start:
            raise RuntimeError(f"{name} did not start")
        yield SimpleNamespace(bootstrap=name)


def test_values_per_round_and_failures_as_notes():
    calls = []

    def fast(bootstrap):
        calls.append(bootstrap)
        return {"records/s": float(len(calls))}

    def flaky(bootstrap):
        if bootstrap == "b":
            raise ValueError("timed out\nsecond line")
        return {"p99 ms": 1.0}

    session = FakeBrokers(["a", "b", "c"], repetitions=2, failing_start={"c"})
    out = run_cases(session, "w", [Case("fast", {"records/s": True}, fast),
                                   Case("flaky", {"p99 ms": False}, flaky)])
    by_key = {(m.case, m.broker, m.metric): m for m in out}
    assert session.started == ["a", "b", "c", "b", "c", "a"]   # rotated each repetition
    assert by_key["fast", "a", "records/s"].values == [1.0, 4.0]
    assert by_key["fast", "b", "records/s"].values == [2.0, 3.0]
    assert by_key["flaky", "b", "p99 ms"].values == []
    assert by_key["flaky", "b", "p99 ms"].note.count("ValueError: timed out") == 2
    assert by_key["flaky", "a", "p99 ms"].higher_is_better is False
    assert "RuntimeError: c did not start" in by_key["fast", "c", "records/s"].note
    assert [m.case for m in out][:3] == ["fast", "fast", "fast"]


def test_a_start_function_replaces_the_sessions_broker():
    started = []

    @contextlib.contextmanager
    def cluster(name):
        started.append(name)
        yield SimpleNamespace(bootstrap=f"{name}-cluster")

    session = FakeBrokers(["a", "b"], repetitions=1)
    out = run_cases(session, "w", [Case("c", {"x": True}, lambda bootstrap: {"x": float(len(bootstrap))})],
                    start=cluster)
    assert started == ["a", "b"] and session.started == []
    assert [m.values for m in out] == [[9.0], [9.0]]
