"""Three brokers, replication factor 3: produce throughput, end-to-end latency and leader failover."""

from __future__ import annotations

import dataclasses
import functools
import time

from .. import confluent_load, failover_probe
from ..brokers import CLUSTER_LAUNCHERS
from ..java_tools import producer_perf
from ..measurement import Measurement
from ..rounds import Case, run_cases
from ..session import Session
from . import latency
from .produce import PERF_PROPS

TITLE = "Cluster: three brokers, RF=3, acks=all"

RECORDS = 5_000_000               # produced by the throughput case at scale 1
SIZE = 100
PARTITIONS = 6
RATE = 5_000                      # msg/s in the latency case
TOPIC_CONFIG = {"min.insync.replicas": "2"}
#: Requests in flight on top of the latency probe's producer settings: the Java producer's
#: default (librdkafka's own 1,000,000 lets a replicated acks=all partition fall ever further
#: behind), and one at a time as an extra line.
IN_FLIGHT = "max.in.flight.requests.per.connection"
LATENCY_IN_FLIGHT = 5
ONE_IN_FLIGHT = 1
#: The broker property behind each broker's failure detection, and the shorter value of the extra
#: failover line: the old ZooKeeper-era Kafka default (Kafka 2.4 and before), 3 of KRaft's heartbeats.
SESSION_TIMEOUT = {"odradek": "zookeeper.session.timeout.ms", "kafka": "broker.session.timeout.ms"}
SHORT_SESSION_MS = 6_000

THROUGHPUT_CASE = f"perf-test {SIZE} B, {PARTITIONS} partitions"
LATENCY_CASE = "5K msg/s, 1 partition"
ONE_IN_FLIGHT_CASE = f"{LATENCY_CASE}, 1 request in flight"
LEADER_CASE = "kill -9 of a leader (not the controller)"
CONTROLLER_CASE = "kill -9 of a leader that is the controller"
SHORT_CASE = f"{LEADER_CASE}, session timeout {SHORT_SESSION_MS // 1000} s"
FAILOVER_CASES = [LEADER_CASE, CONTROLLER_CASE]

THROUGHPUT_METRICS = {"records/s": True, "MB/s": True, "p99 ms": False,
                      "brokers CPU s per 1M records": False, "brokers cores busy": False}
LATENCY_METRICS = latency.METRICS
FAILOVER_METRICS = {"failover s": False, "new leader in Metadata s": False}

ABOUT = f"""\
Per round, one fresh **three-broker cluster** on this machine; every topic has replication factor
3 and `min.insync.replicas=2`, every producer `acks=all`. Tansu runs as a single node only, so it
is not part of this workload.

- **odradek**: three `odradek serve` processes and one ZooKeeper (3.9.5's own server), configured
  as `odradek cluster` configures them (`broker.id`, `zookeeper.connect`, a loopback listener,
  internal topics with replication factor 3); odradek's defaults otherwise, so
  `zookeeper.session.timeout.ms=18000`.
- **Apache Kafka** 4.3.1: three KRaft nodes, each a combined broker and controller, the three of
  them the controller quorum (`controller.quorum.voters`), formatted with one cluster id; Kafka's
  defaults otherwise, so `broker.session.timeout.ms=9000` with a heartbeat every 2 s. Combined
  nodes keep the count of broker processes equal (three each, odradek's ZooKeeper being its
  fourth); a dedicated controller would be a fourth JVM on the two cores. Same JVM options as the
  single node (1 GB heap each).

Cases:

- *{THROUGHPUT_CASE}*: `ProducerPerformance` as in the produce workload (`--throughput -1`,
  `acks=all batch.size=262144 linger.ms=10`), {RECORDS:,} records of {SIZE} B at full scale, to a
  topic of {PARTITIONS} partitions spread over the three brokers. Besides the tool's figures: the
  CPU time of every process of the cluster (user + system, from `/proc`; odradek's ZooKeeper
  included, as Kafka's controllers are inside its brokers) per million records, and over the run's
  wall time (*brokers cores busy*, of the 2 cores).
- *{LATENCY_CASE}*: the end-to-end latency workload's paced producer and separate consumer process
  (see there), at {RATE:,} msg/s, on a 1-partition topic replicated to all three brokers: a record
  is readable once every in-sync replica has it and the high watermark moved. One setting differs
  from the single-node workload: `max.in.flight.requests.per.connection=5` (the Java producer's
  default) instead of librdkafka's 1,000,000. A broker answers a connection's requests one at a
  time, and with replication each acks=all request waits for the followers' next fetches; with
  unlimited requests in flight the client sends a small request every millisecond regardless, and
  a queue builds up. In a trial run the median latency was then 5–10 s on both brokers, growing
  for as long as the run lasted. With 5 in flight, the records that wait are gathered into the
  next request instead. *{ONE_IN_FLIGHT_CASE}* is the same with
  `max.in.flight.requests.per.connection=1`: each request then waits for none queued before it
  on the broker, only for its own replication.
- *Failover*: an idempotent `acks=all` confluent-kafka producer, the client's defaults otherwise,
  sends {failover_probe.RATE:,} records a second to a 1-partition topic whose leader is placed by
  hand; after {failover_probe.WARMUP:.0f} s of acknowledged records the leader gets SIGKILL.
  *failover s* runs from the kill to the acknowledgement of the first record sent after it (which
  only a new leader can give); *new leader in Metadata s* until a surviving broker's Metadata names
  another leader (asked every {failover_probe.WATCH_INTERVAL * 1000:.0f} ms), the cluster's share of it. Both are bounded
  below by the session timeout: a broker killed outright is only noticed when its session expires
  (ZooKeeper's for odradek, the KRaft controller's heartbeat session for Kafka). *{LEADER_CASE}*
  kills a broker that is not the controller, *{CONTROLLER_CASE}* the one that is (for Kafka, the
  quorum's leader per DescribeQuorum), so the controller itself has to be replaced first. The
  killed broker is started again before the next case. The extra line *{SHORT_CASE}* runs
  the first of them on a cluster with `zookeeper.session.timeout.ms` (odradek) or
  `broker.session.timeout.ms` (Kafka) set to {SHORT_SESSION_MS:,}.
"""

DISPLAY_ORDER = [THROUGHPUT_CASE, LATENCY_CASE, ONE_IN_FLIGHT_CASE, *FAILOVER_CASES, SHORT_CASE]


def run(session: Session) -> list[Measurement]:
    clustered = dataclasses.replace(session, brokers=[b for b in session.brokers if b in CLUSTER_LAUNCHERS])
    if not clustered.brokers:
        return []
    seconds = session.scaled(latency.SECONDS)
    # The failover cases go first, on the fresh cluster: the broker each one kills and restarts
    # then only has their small topics to catch up on, not the throughput case's.
    cases = [Case(LEADER_CASE, FAILOVER_METRICS, functools.partial(_failover, controller=False), True),
             Case(CONTROLLER_CASE, FAILOVER_METRICS, functools.partial(_failover, controller=True), True),
             Case(THROUGHPUT_CASE, THROUGHPUT_METRICS,
                  functools.partial(_throughput, records=session.scaled(RECORDS, minimum=10_000)), True),
             Case(LATENCY_CASE, LATENCY_METRICS,
                  functools.partial(_latency, seconds=seconds, in_flight=LATENCY_IN_FLIGHT), True),
             Case(ONE_IN_FLIGHT_CASE, LATENCY_METRICS,
                  functools.partial(_latency, seconds=seconds, in_flight=ONE_IN_FLIGHT), True)]
    measurements = run_cases(clustered, "cluster", cases, start=clustered.cluster)
    short = Case(SHORT_CASE, FAILOVER_METRICS, functools.partial(_failover, controller=False), True)
    measurements += run_cases(clustered, "cluster", [short], start=lambda broker: clustered.cluster(
        broker, {SESSION_TIMEOUT[broker]: SHORT_SESSION_MS}))
    return sorted(measurements, key=lambda m: DISPLAY_ORDER.index(m.case))


def _throughput(cluster, *, records: int) -> dict[str, float]:
    topic = "cluster-perf"
    confluent_load.create_topic(cluster.bootstrap, topic, PARTITIONS, 3, TOPIC_CONFIG)
    with CpuMeter(cluster) as meter:
        result = producer_perf(cluster.bootstrap, topic, records, SIZE, acks="all", **PERF_PROPS)
    return {"records/s": result.records_per_second, "MB/s": result.mb_per_second, "p99 ms": result.p99_ms,
            "brokers CPU s per 1M records": meter.seconds / (records / 1e6),
            "brokers cores busy": meter.seconds / meter.wall}


def _latency(cluster, *, seconds: int, in_flight: int) -> dict[str, float]:
    topic = f"cluster-latency-{in_flight}"
    confluent_load.create_topic(cluster.bootstrap, topic, 1, 3, TOPIC_CONFIG)
    return latency.measure(cluster.bootstrap, topic, RATE, seconds, {IN_FLIGHT: in_flight})


def _failover(cluster, *, controller: bool) -> dict[str, float]:
    """Kill the leader of a new topic's only partition, placed on the controller or off it."""
    victim = choose_victim(sorted(cluster.nodes), cluster.controller(), controller)
    others = [node for node in sorted(cluster.nodes) if node != victim]
    topic = f"failover-{'controller' if controller else 'leader'}"
    confluent_load.create_topic(cluster.bootstrap, topic, config=TOPIC_CONFIG, replicas=[[victim, *others]])
    try:
        result = failover_probe.measure_failover(cluster, topic, victim)
    finally:   # the next case needs all three brokers, with this topic's replicas in sync again
        if not cluster.nodes[victim].running:
            cluster.restart(victim)
    confluent_load.wait_for_topic(cluster.bootstrap, topic, 1, 3)
    return {"failover s": result.failover_s, "new leader in Metadata s": result.new_leader_s}


def choose_victim(nodes: list[int], controller: int, kill_controller: bool) -> int:
    """The controller, or else the lowest-numbered broker that is not the controller."""
    if kill_controller:
        return controller
    return next(node for node in nodes if node != controller)


class CpuMeter:
    """CPU seconds of every process of a cluster, and the wall time, over a with-block."""

    def __init__(self, cluster):
        self.cluster = cluster

    def __enter__(self) -> "CpuMeter":
        self._cpu, self._wall = self.cluster.cpu_seconds(), time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = self.cluster.cpu_seconds() - self._cpu
        self.wall = time.monotonic() - self._wall
