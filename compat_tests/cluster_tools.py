"""What the tests of a cluster's administration share: Kafka's tools pointed at the cluster, a
producer that keeps writing while the cluster changes under it (and remembers what was
acknowledged), reading a topic back, and looking at each broker's disk and at ZooKeeper.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import confluent_kafka
from kazoo.client import KazooClient

from .cluster_process import Cluster, wait_until
from .java.kafka_tool import run_tool

REASSIGN = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand"
LEADER_ELECTION = "org.apache.kafka.tools.LeaderElectionCommand"
SETTLE = 30.0


def tool(cluster: Cluster, main_class: str, *args: str, bootstrap: str | None = None, **options):
    """One of Kafka's tools with ``--bootstrap-server`` the cluster's running brokers."""
    return run_tool(main_class, "--bootstrap-server", bootstrap or cluster.bootstrap, *args, **options)


def replica_dirs(cluster: Cluster, broker_id: int, topic: str) -> set[int]:
    """The partitions of ``topic`` with a log directory on that broker's disk."""
    root = cluster.brokers[broker_id].data_dir
    found = set()
    for path in root.glob(f"{topic}-*"):
        suffix = path.name[len(topic) + 1:]
        if path.is_dir() and suffix.isdigit():
            found.add(int(suffix))
    return found


def placement(cluster: Cluster, topic: str, brokers=None) -> dict[int, set[int]]:
    """broker -> the partitions of ``topic`` it has on disk."""
    return {b: replica_dirs(cluster, b, topic) for b in (brokers or cluster.brokers)}


def assignment_znode(zk: KazooClient, topic: str) -> dict:
    """/brokers/topics/<topic> as Kafka writes it."""
    return json.loads(zk.get(f"/brokers/topics/{topic}")[0])


def partition_state(zk: KazooClient, topic: str, partition: int) -> dict:
    return json.loads(zk.get(f"/brokers/topics/{topic}/partitions/{partition}/state")[0])


def kazoo(cluster: Cluster) -> KazooClient:
    client = KazooClient(hosts=cluster.zookeeper.connect)
    client.start(timeout=10)
    return client


def tracebacks(cluster: Cluster, since: dict[int, int]) -> list[str]:
    return [tb for broker_id, broker in cluster.brokers.items() for tb in broker.tracebacks(since.get(broker_id, 0))]


class Producing:
    """A producer (idempotent, acks=all) writing numbered records to ``topic`` from its own thread
    until stopped; ``acknowledged`` holds (partition, offset, value) of each record the cluster
    confirmed. What a test checks afterwards is that every one of them is still there."""

    def __init__(self, cluster: Cluster, topic: str, pause_s: float = 0.002):
        self.topic = topic
        self.acknowledged: list[tuple[int, int, bytes]] = []
        self.failed: list[str] = []
        self._pause_s = pause_s
        self._producer = confluent_kafka.Producer({
            "bootstrap.servers": cluster.bootstrap, "acks": "all", "enable.idempotence": True,
            "linger.ms": 5, "message.timeout.ms": 60_000, "retry.backoff.ms": 50,
            "topic.metadata.refresh.interval.ms": 1000})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Producing":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = SETTLE) -> None:
        wait_until(lambda: len(self.acknowledged) >= count, timeout, f"{count} acknowledged records")

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(60)
        remaining = self._producer.flush(60)
        self._producer.purge()
        assert remaining == 0, f"{remaining} records never acknowledged"
        assert not self.failed, f"records failed: {self.failed[:3]}"

    def _run(self) -> None:
        number = 0
        while not self._stop.is_set():
            value = b"record-%d" % number
            try:
                self._producer.produce(self.topic, value=value, on_delivery=self._delivered)
                number += 1
            except BufferError:
                pass
            self._producer.poll(0)
            time.sleep(self._pause_s)

    def _delivered(self, error, message) -> None:
        if error is None:
            self.acknowledged.append((message.partition(), message.offset(), message.value()))
        else:
            self.failed.append(str(error))


def read_all(cluster: Cluster, topic: str, partitions: int) -> dict[int, dict[int, bytes]]:
    """Every record of ``topic``: partition -> offset -> value, read from the leaders."""
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": cluster.bootstrap, "group.id": "cluster-tools-reader", "enable.auto.commit": False,
        "enable.auto.offset.store": False, "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100,
        "enable.partition.eof": True})
    try:
        ends = {p: consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, p), timeout=10)[1]
                for p in range(partitions)}
        consumer.assign([confluent_kafka.TopicPartition(topic, p, 0) for p in range(partitions)])
        found: dict[int, dict[int, bytes]] = {p: {} for p in range(partitions)}
        deadline = time.monotonic() + SETTLE
        while any(len(found[p]) < ends[p] for p in found) and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=1000, timeout=0.2):
                if message.error() is None:
                    found[message.partition()][message.offset()] = message.value()
        return found
    finally:
        consumer.close()


def assert_all_acknowledged_kept(cluster: Cluster, producing: Producing, partitions: int) -> None:
    found = read_all(cluster, producing.topic, partitions)
    missing = [(p, o, v) for p, o, v in producing.acknowledged if found[p].get(o) != v]
    assert not missing, f"{len(missing)} of {len(producing.acknowledged)} acknowledged records lost: {missing[:5]}"


def reassignment_json(moves: dict[tuple[str, int], list[int]]) -> str:
    return json.dumps({"version": 1, "partitions": [{"topic": t, "partition": p, "replicas": r, "log_dirs": ["any"] * len(r)}
                                                    for (t, p), r in sorted(moves.items())]})


def write_json(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
