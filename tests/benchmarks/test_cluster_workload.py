"""The cluster workload's own logic: which broker a failover case kills, when the failover ends,
the cases it runs and where, and the issue's cluster targets read from its cases."""

import contextlib
from dataclasses import dataclass, field
from types import SimpleNamespace

from benchmarks.failover_probe import FailoverClock
from benchmarks.measurement import Measurement
from benchmarks.session import Session
from benchmarks.targets import TARGETS, at_most_in_every
from benchmarks.workloads import cluster

PRODUCE = "3 brokers, RF=3: produce ≥ 1.0x Apache Kafka with kafka-producer-perf-test (100 B, acks=all)"
LATENCY = "3 brokers, RF=3: end-to-end p99 ≤ 20 ms at 5K msg/s with acks=all"
FAILOVER = next(t.description for t in TARGETS if "leader failover" in t.description)


def test_the_victim_is_the_controller_or_the_lowest_other_broker():
    assert cluster.choose_victim([1, 2, 3], controller=1, kill_controller=False) == 2
    assert cluster.choose_victim([1, 2, 3], controller=2, kill_controller=False) == 1
    assert cluster.choose_victim([1, 2, 3], controller=3, kill_controller=True) == 3


def test_the_failover_ends_with_the_first_acknowledgement_of_a_record_sent_after_the_kill():
    clock = FailoverClock()
    clock.delivered(0, at=1.0)
    clock.kill(at=10.0, next_sequence=5)
    clock.delivered(3, at=25.0)       # sent before the kill, acknowledged by the new leader: not it
    assert clock.seconds is None
    clock.delivered(5, at=25.5)
    clock.delivered(6, at=26.0)
    assert clock.seconds == 15.5
    assert clock.acknowledged == 4


@dataclass
class RecordingSession(Session):
    """Starts nothing: records which clusters the workload asks for, with which overrides."""

    repetitions: int = 1
    scratch: None = None
    started: list = field(default_factory=list)   # shared by the copies the workload makes

    @contextlib.contextmanager
    def cluster(self, name, overrides=None):
        self.started.append((name, overrides))
        yield SimpleNamespace(name=name)


def test_tansu_is_left_out_and_the_short_session_line_gets_its_own_clusters(monkeypatch):
    def figures(metrics):
        return lambda running, **_: {metric: 1.0 for metric in metrics}

    monkeypatch.setattr(cluster, "_failover", figures(cluster.FAILOVER_METRICS))
    monkeypatch.setattr(cluster, "_throughput", figures(cluster.THROUGHPUT_METRICS))
    monkeypatch.setattr(cluster, "_latency", figures(cluster.LATENCY_METRICS))
    session = RecordingSession(["odradek", "kafka", "tansu"])
    measurements = cluster.run(session)
    assert session.started == [("odradek", None), ("kafka", None),
                               ("odradek", {"zookeeper.session.timeout.ms": 6000}),
                               ("kafka", {"broker.session.timeout.ms": 6000})]
    assert {m.broker for m in measurements} == {"odradek", "kafka"}
    assert list(dict.fromkeys(m.case for m in measurements)) == cluster.DISPLAY_ORDER
    assert all(m.values == [1.0] for m in measurements)
    assert cluster.run(RecordingSession(["tansu"])) == []


def figure(case, metric, broker, value):
    return Measurement("cluster", case, broker, metric, [value], higher_is_better=metric == "records/s")


def checked(description, measurements):
    return next(t.check for t in TARGETS if t.description == description)(measurements)


def test_the_targets_read_the_workloads_own_cases():
    assert checked(PRODUCE, [figure(cluster.THROUGHPUT_CASE, "records/s", "odradek", 300_000),
                             figure(cluster.THROUGHPUT_CASE, "records/s", "kafka", 150_000)]) == (
        True, f"{cluster.THROUGHPUT_CASE}: 2.00x")
    assert checked(LATENCY, [figure(cluster.LATENCY_CASE, "p99 ms", "odradek", 31.0)]) == (
        False, "31 ms: 55% over the limit of 20 ms")
    failover = [figure(case, "failover s", broker, value) for case in cluster.FAILOVER_CASES
                for broker, value in (("odradek", 18.1), ("kafka", 10.2))]
    met, found = checked(FAILOVER, failover)
    assert met is False
    assert found == (f"{cluster.LEADER_CASE}: 18.1 s (kafka 10.2 s); "
                     f"{cluster.CONTROLLER_CASE}: 18.1 s (kafka 10.2 s) (limit 5 s)")


def test_at_most_in_every_case_needs_every_case():
    check = at_most_in_every("cluster", "failover s", 5, "s", ["a", "b"])
    assert check([figure("a", "failover s", "odradek", 4.0), figure("b", "failover s", "odradek", 4.5)]) == (
        True, "a: 4 s; b: 4.5 s (limit 5 s)")
    assert check([figure("a", "failover s", "odradek", 4.0), figure("b", "failover s", "odradek", 5.5)])[0] is False
    assert check([figure("a", "failover s", "odradek", 4.0)]) == (None, "no failover s figure in 'b'")


def test_no_cluster_figures_means_not_measured():
    for description in (PRODUCE, LATENCY, FAILOVER):
        assert checked(description, [])[0] is None
