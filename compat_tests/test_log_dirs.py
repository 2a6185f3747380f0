"""Several log directories (``log.dirs``, JBOD) driven by real clients: partitions spread over them
and found again after restarts, a partition moved between them while it is written and read
(AlterReplicaLogDirs), and a directory whose disk fails taken offline while the others keep serving.

Disk failures are real OSErrors: a partition directory whose path stops leading to a directory
(ENOTDIR when a segment rolls; runs anywhere), and a tmpfs that fills up (ENOSPC; needs ``mount``,
so root: skipped, saying why, elsewhere). Kafka's own tools over several directories are in
``test_kafka_tools_log_dirs``.
"""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic, ResourceType
from kafka import TopicPartition

from odradek.wire import ApiKey, ErrorCode
from odradek.wire.records import Record, build_batch

from .broker_process import BrokerProcess
from .clients import ck_produce, ck_wait, kp_read, wait_until
from .wire_client import WireClient

NO_TOPIC_ID = uuid.UUID(int=0)


@pytest.fixture
def start(tmp_path, _traceback_guard):
    """start(dirs, overrides) -> a broker over the log directories ``dirs``, stopped at teardown;
    a traceback in its log fails the test."""
    started = []

    def starter(dirs: list[Path], overrides: dict | None = None) -> BrokerProcess:
        broker = BrokerProcess(dirs[0], {"log.dirs": ",".join(map(str, dirs)), **(overrides or {})}).start()
        started.append(broker)
        _traceback_guard.append((broker, 0))
        return broker

    yield starter
    for broker in started:
        broker.stop()


def create_topic(clients, broker, name: str, partitions: int, configs: dict[str, str] | None = None) -> None:
    ck_wait(clients.ck_admin(broker).create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1, config=configs or {})], operation_timeout=10))


def describe(broker) -> dict[str, tuple[int, dict[tuple[str, int], tuple[int, int, bool]]]]:
    """DescribeLogDirs: per directory, its error code and (topic, partition) -> (size, lag, future)."""
    with WireClient(broker) as wire:
        answer = wire.send(ApiKey.DESCRIBE_LOG_DIRS, 4, {"topics": None})
    return {result.log_dir: (result.error_code, {(t.name, p.partition_index): (p.partition_size, p.offset_lag,
                                                                               p.is_future_key)
                                                 for t in result.topics for p in t.partitions})
            for result in answer.results}


def where(broker, topic: str, partition: int, future: bool = False) -> str | None:
    """The log directory holding the partition (its future replica, with ``future``)."""
    for log_dir, (_, replicas) in describe(broker).items():
        found = replicas.get((topic, partition))
        if found is not None and found[2] == future:
            return log_dir
    return None


def alter_log_dir(broker, topic: str, partition: int, path: str) -> int:
    with WireClient(broker) as wire:
        answer = wire.send(ApiKey.ALTER_REPLICA_LOG_DIRS, 2, {"dirs": [
            {"path": path, "topics": [{"name": topic, "partitions": [partition]}]}]})
    [result] = answer.results
    return result.partitions[0].error_code


def raw_produce(wire: WireClient, topic: str, partition: int, value: bytes) -> int | None:
    """One record by Produce v9, acks=-1: the partition's error code (None if the broker hung up)."""
    batch = build_batch([Record(0, 0, None, value)], base_timestamp=int(time.time() * 1000))
    answer = wire.send(ApiKey.PRODUCE, 9, {"transactional_id": None, "acks": -1, "timeout_ms": 10_000,
                                           "topic_data": [{"name": topic, "partition_data": [
                                               {"index": partition, "records": batch}]}]})
    return None if answer is None else answer.responses[0].partition_responses[0].error_code


def metadata_errors(broker, topic: str) -> dict[int, tuple[int, int, list[int]]]:
    """Metadata: partition -> (error code, leader, offline replicas)."""
    with WireClient(broker) as wire:
        answer = wire.send(ApiKey.METADATA, 12, {"topics": [{"name": topic, "topic_id": NO_TOPIC_ID}],
                                                 "allow_auto_topic_creation": False,
                                                 "include_topic_authorized_operations": False})
    return {p.partition_index: (p.error_code, p.leader_id, list(p.offline_replicas))
            for p in answer.topics[0].partitions}


def read_all(clients, broker, topic: str, partition: int, count: int) -> list[bytes]:
    consumer = clients.kp_consumer(broker)
    consumer.assign([TopicPartition(topic, partition)])
    consumer.seek_to_beginning()
    records = kp_read(consumer, count)
    consumer.close()
    return [record.value for record in records]


def end_offset(clients, broker, topic: str, partition: int) -> int:
    consumer = clients.kp_consumer(broker)
    try:
        return consumer.end_offsets([TopicPartition(topic, partition)])[TopicPartition(topic, partition)]
    finally:
        consumer.close()


def error_lines(broker) -> list[str]:
    return [line for line in broker.log_text().splitlines() if " ERROR " in line]


def test_partitions_spread_over_the_log_dirs_and_are_found_again_after_restarts(start, clients, tmp_path):
    dirs = [tmp_path / name for name in ("a", "b", "c")]
    broker = start(dirs)
    create_topic(clients, broker, "spread", 12)
    producer = clients.ck_producer(broker, acks="all")
    for partition in range(12):
        ck_produce(producer, "spread", [(None, b"p%d-%d" % (partition, i)) for i in range(50)], partition=partition)
    clients.close_all()

    placed = {d: sorted(p.name for p in d.glob("spread-*")) for d in dirs}
    assert [len(names) for names in placed.values()] == [4, 4, 4]
    assert sorted(sum(placed.values(), [])) == sorted(f"spread-{i}" for i in range(12))
    cluster_ids = {line for d in dirs for line in (d / "meta.properties").read_text().splitlines()
                   if line.startswith("cluster.id=")}
    assert len(cluster_ids) == 1
    assert (dirs[0] / "odradek-topics.json").exists() and not (dirs[1] / "odradek-topics.json").exists()
    assert {log_dir: len(replicas) for log_dir, (_, replicas) in describe(broker).items()} == {
        str(d): 4 for d in dirs}

    for crash in (False, True):
        broker.restart(crash=crash)
        for partition in range(12):
            assert read_all(clients, broker, "spread", partition, 50) == [b"p%d-%d" % (partition, i)
                                                                           for i in range(50)]
        assert {d: sorted(p.name for p in d.glob("spread-*")) for d in dirs} == placed


def copying(broker, target: str):
    """The future replica of moving-0 in ``target`` once some of it is copied, else None."""
    found = describe(broker)[target][1].get(("moving", 0))
    return found if found is not None and found[0] > 0 else None


def test_a_partition_moves_to_another_log_dir_while_clients_write_and_read_it(start, clients, tmp_path):
    dirs = [tmp_path / "a", tmp_path / "b"]
    broker = start(dirs)
    # Kafka's throttle of moves, a dynamic broker config: slow enough to watch the move happen,
    # and to make appends land during the copy.
    throttle = ConfigResource(ResourceType.BROKER, "1", incremental_configs=[ConfigEntry(
        "replica.alter.log.dirs.io.max.bytes.per.second", "1000000", incremental_operation=AlterConfigOpType.SET)])
    ck_wait(clients.ck_admin(broker).incremental_alter_configs([throttle]))
    create_topic(clients, broker, "moving", 1, {"internal.segment.bytes": "300000", "file.delete.delay.ms": "0"})
    prefill = [b"before %05d " % i + b"x" * 1000 for i in range(3000)]
    producer = clients.kp_producer(broker, acks="all")
    for future in [producer.send("moving", value=value, partition=0) for value in prefill]:
        future.get(timeout=30)
    source = where(broker, "moving", 0)
    target = next(str(d) for d in dirs if str(d) != source)

    delivered: list[tuple[int, bytes]] = []
    failed: list = []
    stop = threading.Event()
    live = clients.ck_producer(broker, acks="all")

    def keep_producing():
        def report(err, msg):
            (failed if err is not None else delivered).append(err or (msg.offset(), msg.value()))

        i = 0
        while not stop.is_set():
            live.produce("moving", value=b"during %05d" % i, partition=0, on_delivery=report)
            live.poll(0.005)
            i += 1
        live.flush(10)

    writer = threading.Thread(target=keep_producing)
    writer.start()
    try:
        assert alter_log_dir(broker, "moving", 0, target) == ErrorCode.NONE
        size, lag, is_future = wait_until(lambda: copying(broker, target), what="the future replica to grow")
        assert is_future and 0 < size < 3000 * 1000 and lag > 0
        assert where(broker, "moving", 0) == source  # still served from where it was
        wait_until(lambda: where(broker, "moving", 0) == target and where(broker, "moving", 0, future=True) is None,
                   timeout=30, what="the move to finish")
        time.sleep(0.3)  # appends after the swap, to the new directory
    finally:
        stop.set()
        writer.join(30)
    assert not failed and len(delivered) > 50
    records = read_all(clients, broker, "moving", 0, len(prefill) + len(delivered))
    assert records[:len(prefill)] == prefill
    assert [(offset, records[offset]) for offset, _ in delivered] == delivered
    assert len(records) == len(prefill) + len(delivered)
    wait_until(lambda: not list(Path(source).glob("moving-0*")), what="the old directory to be removed")

    clients.close_all()
    broker.restart()
    assert where(broker, "moving", 0) == target
    assert read_all(clients, broker, "moving", 0, len(records)) == records


def test_a_log_dir_unusable_at_start_up_is_offline_and_the_others_serve(start, clients, tmp_path):
    (tmp_path / "b").write_bytes(b"not a directory")
    dirs = [tmp_path / "a", tmp_path / "b"]
    broker = start(dirs)
    [line] = error_lines(broker)
    assert f"Log directory {dirs[1]} is offline: it is not a directory" in line
    assert describe(broker)[str(dirs[1])] == (ErrorCode.KAFKA_STORAGE_ERROR, {})
    create_topic(clients, broker, "t", 3)
    assert sorted(p.name for p in dirs[0].glob("t-*")) == ["t-0", "t-1", "t-2"]
    ck_produce(clients.ck_producer(broker), "t", [(None, b"v%d" % i) for i in range(10)], partition=2)
    assert read_all(clients, broker, "t", 2, 10) == [b"v%d" % i for i in range(10)]
    assert alter_log_dir(broker, "t", 0, str(dirs[1])) == ErrorCode.KAFKA_STORAGE_ERROR
    assert alter_log_dir(broker, "t", 0, str(dirs[0])) == ErrorCode.NONE  # already there


def check_offline(clients, broker, failed_dir: Path, topic: str, offline: list[int], online: list[int]) -> None:
    """The failed directory's partitions answer KAFKA_STORAGE_ERROR and have no leader; the
    others take writes and reads from real clients; the broker said so in one error line."""
    [line] = wait_until(lambda: error_lines(broker), what="the error line")  # the log is read by a thread
    assert f"Log directory {failed_dir} failed and is offline until a restart" in line
    with WireClient(broker) as wire:
        for partition in offline:
            assert raw_produce(wire, topic, partition, b"refused") == ErrorCode.KAFKA_STORAGE_ERROR
    answers = metadata_errors(broker, topic)
    for partition in offline:
        assert answers[partition] == (ErrorCode.LEADER_NOT_AVAILABLE, -1, [1])
    for partition in online:
        assert answers[partition] == (ErrorCode.NONE, 1, [])
        end = end_offset(clients, broker, topic, partition)
        ck_produce(clients.ck_producer(broker, acks="all"), topic, [(None, b"after")], partition=partition)
        assert read_all(clients, broker, topic, partition, end + 1)[end] == b"after"
    assert describe(broker)[str(failed_dir)] == (ErrorCode.KAFKA_STORAGE_ERROR, {})


def test_a_disk_error_takes_its_log_dir_offline_and_the_others_keep_serving(start, clients, tmp_path):
    dirs = [tmp_path / "a", tmp_path / "b"]
    broker = start(dirs)
    create_topic(clients, broker, "t", 2, {"internal.segment.bytes": "3000"})
    ck_produce(clients.ck_producer(broker, acks="all"), "t", [(None, b"first %d" % i) for i in range(5)], partition=1)
    # The disk under b/t-1 goes: its path no longer leads to a directory. The open segment still
    # takes writes; the next roll has to create files there, and fails (ENOTDIR).
    broken = dirs[1] / "t-1"
    broken.rename(dirs[1] / "t-1.away")
    broken.write_bytes(b"")
    acked = []
    with WireClient(broker) as wire:
        for i in range(20):
            code = raw_produce(wire, "t", 1, b"more %d " % i + b"x" * 500)
            if code != ErrorCode.NONE:
                break
            acked.append(b"more %d " % i + b"x" * 500)
    assert code == ErrorCode.KAFKA_STORAGE_ERROR and acked
    check_offline(clients, broker, dirs[1], "t", offline=[1], online=[0])
    clients.close_all()
    assert broker.stop() == 0
    assert (dirs[0] / ".kafka_cleanshutdown").exists() and not (dirs[1] / ".kafka_cleanshutdown").exists()

    broken.unlink()  # the disk is replaced, the data saved
    (dirs[1] / "t-1.away").rename(broken)
    broker.start()
    assert read_all(clients, broker, "t", 1, 5 + len(acked)) == [b"first %d" % i for i in range(5)] + acked


@pytest.fixture
def small_disk(tmp_path):
    """mount(size) -> a tmpfs of ``size`` (e.g. "2m") at a new directory; unmounted at teardown."""
    mounted = []

    def mount(name: str, size: str) -> Path:
        path = tmp_path / name
        path.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"a full disk is simulated with a small tmpfs, and mount failed here: {done.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        subprocess.run(["umount", str(path)], check=True)


def fill(broker, topic: str, partition: int) -> tuple[int, list[bytes]]:
    """Produce 200 KB records until the partition answers an error: that error, and what was acked."""
    acked = []
    with WireClient(broker) as wire:
        for i in range(100):
            value = b"fill %d " % i + b"x" * 200_000
            code = raw_produce(wire, topic, partition, value)
            if code != ErrorCode.NONE:
                return code, acked
            acked.append(value)
    raise AssertionError("the small disk never filled up")


def test_a_full_disk_takes_its_log_dir_offline_until_it_has_room_again(small_disk, start, clients, tmp_path):
    dirs = [tmp_path / "a", small_disk("b", "2m")]
    broker = start(dirs)
    create_topic(clients, broker, "t", 4)
    assert sorted(p.name for p in dirs[1].glob("t-*")) == ["t-1", "t-3"]
    producer = clients.ck_producer(broker, acks="all")
    for partition in range(4):
        ck_produce(producer, "t", [(None, b"p%d-%d" % (partition, i)) for i in range(10)], partition=partition)
    code, acked = fill(broker, "t", 1)
    assert code == ErrorCode.KAFKA_STORAGE_ERROR and acked
    assert "No space left on device" in wait_until(lambda: error_lines(broker), what="the error line")[0]
    check_offline(clients, broker, dirs[1], "t", offline=[1, 3], online=[0, 2])
    clients.close_all()
    assert broker.stop() == 0

    subprocess.run(["mount", "-o", "remount,size=64m", str(dirs[1])], check=True)  # room again
    broker.start()
    assert read_all(clients, broker, "t", 1, 10 + len(acked)) == [b"p1-%d" % i for i in range(10)] + acked
    assert read_all(clients, broker, "t", 3, 10) == [b"p3-%d" % i for i in range(10)]
    assert describe(broker)[str(dirs[1])][0] == ErrorCode.NONE


def test_the_metadata_log_dir_failing_stops_the_broker(small_disk, start, clients, tmp_path):
    dirs = [small_disk("a", "2m"), tmp_path / "b"]
    broker = start(dirs)
    create_topic(clients, broker, "t", 2)
    assert (dirs[0] / "t-0").is_dir()
    clients.close_all()
    try:
        code, _ = fill(broker, "t", 0)
    except OSError:
        code = None  # the broker stopped before its answer went out
    assert code in (ErrorCode.KAFKA_STORAGE_ERROR, None)
    wait_until(lambda: not broker.running, what="the broker to stop")
    assert broker.stop() == 1
    assert not broker.tracebacks()
    assert broker.log_text().splitlines()[-1] == (
        f"odradek serve: log directory {dirs[0]}, which holds the topic metadata, failed: "
        "[Errno 28] No space left on device; the broker stops")
