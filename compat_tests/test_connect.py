"""Kafka Connect 4.3.1 (the Apache jars from Maven Central, unmodified) on the broker: distributed
workers driven over their REST API, a worker killed and its work taken over, exactly-once source
connectors, and a standalone worker, each moving lines with the file connectors that ship with
Kafka.

``ODRADEK_COMPAT_TARGET=kafka`` runs the same tests against Apache Kafka 4.3.1.
"""

from __future__ import annotations

import json
import threading
import time

import confluent_kafka
import pytest
from confluent_kafka.admin import ConfigResource, NewTopic

from .java.connect_worker import ConnectWorker
from .java.jvm_app import wait_for

BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0}
RUNS_AGAINST_KAFKA_TOO = True
pytestmark = pytest.mark.usefixtures("apps_jars")

SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
WAIT = 120.0  # seconds: rebalances, JVM work and offset flushes on a loaded machine


@pytest.fixture
def workers(module_broker, tmp_path):
    """Starts Connect workers and, at teardown, stops them and prints their logs."""
    started: list[ConnectWorker] = []

    def start(count: int, group: str, **properties) -> list[ConnectWorker]:
        worker_properties = {"group.id": group,
                             "config.storage.topic": f"{group}-configs",
                             "offset.storage.topic": f"{group}-offsets",
                             "status.storage.topic": f"{group}-status",
                             "config.storage.replication.factor": 1,
                             "offset.storage.replication.factor": 1,
                             "status.storage.replication.factor": 1,
                             # a lost worker's connectors move after this delay (default 5 minutes)
                             "scheduled.rebalance.max.delay.ms": 3000,
                             "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000,
                             **properties}
        made = [ConnectWorker(tmp_path / f"{group}-worker-{len(started) + n}", module_broker.bootstrap,
                              worker_properties) for n in range(count)]
        started.extend(made)
        failures: list[BaseException] = []

        def start_one(worker: ConnectWorker) -> None:
            try:
                worker.start()
            except BaseException as failure:  # noqa: BLE001 - raised again below, in the test
                failures.append(failure)
        threads = [threading.Thread(target=start_one, args=(worker,)) for worker in made]  # JVMs side by side
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        return made

    yield start
    for worker in started:
        code = worker.stop()
        print(f"--- Connect worker {worker.worker_id} (exit code {code}) ---\n{worker.log_text()[-30000:]}")


def create_topic(clients, broker, name: str, partitions: int = 1) -> None:
    futures = clients.ck_admin(broker).create_topics([NewTopic(name, partitions, 1)])
    futures[name].result(30)


def append_lines(path, lines: list[str]) -> None:
    with path.open("a") as file:
        file.write("".join(f"{line}\n" for line in lines))
        file.flush()


def file_lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def read_topic(clients, broker, topic: str, expected: int, isolation: str = "read_uncommitted") -> list[str]:
    """Every value of partition 0 up to its end, once at least ``expected`` were read (bounded)."""
    consumer = clients.ck_consumer(broker, **{"isolation.level": isolation})
    consumer.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
    values: list[str] = []

    def caught_up() -> bool:
        for message in consumer.consume(num_messages=500, timeout=0.5):
            if message.error() is None:
                values.append(message.value().decode())
        if len(values) < expected:
            return False
        low, high = consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=10)
        position = consumer.position([confluent_kafka.TopicPartition(topic, 0)])[0].offset
        return position >= high  # the transaction markers after the last record read past too
    wait_for(caught_up, WAIT, f"{expected} records in {topic} (read {len(values)})", interval=0)
    return values


def connector_placement(worker: ConnectWorker, name: str) -> dict[str, str] | None:
    """``{"connector": worker id, "task-0": worker id, ...}`` once the connector and all its
    tasks are RUNNING, else None."""
    status = worker.status(name)
    if not status or status["connector"]["state"] != "RUNNING" or not status["tasks"]:
        return None
    if any(task["state"] != "RUNNING" for task in status["tasks"]):
        return None
    return {"connector": status["connector"]["worker_id"],
            **{f"task-{task['id']}": task["worker_id"] for task in status["tasks"]}}


def runs_only_on(worker: ConnectWorker, name: str) -> bool:
    """The connector and all its tasks RUNNING on ``worker``, as the worker's REST API says."""
    placement = connector_placement(worker, name)
    return placement is not None and set(placement.values()) == {worker.worker_id}


def committed_source_position(clients, broker, offsets_topic: str, connector: str) -> int | None:
    """The last file position the worker committed for ``connector`` in its offsets topic."""
    consumer = clients.ck_consumer(broker)
    metadata = clients.ck_admin(broker).list_topics(offsets_topic, timeout=10)
    partitions = metadata.topics[offsets_topic].partitions
    consumer.assign([confluent_kafka.TopicPartition(offsets_topic, p, confluent_kafka.OFFSET_BEGINNING)
                     for p in partitions])
    position = None
    idle_until = time.monotonic() + 2.0
    while time.monotonic() < idle_until:
        messages = consumer.consume(num_messages=500, timeout=0.3)
        for message in messages:
            if message.error() is None and message.key() and message.value():
                key = json.loads(message.key())
                if key[0] == connector:
                    position = json.loads(message.value())["position"]
        if messages:
            idle_until = time.monotonic() + 0.5
    consumer.close()
    return position


def sink_committed(clients, broker, connector: str, topic: str) -> int | None:
    request = confluent_kafka.ConsumerGroupTopicPartitions(f"connect-{connector}",
                                                          [confluent_kafka.TopicPartition(topic, 0)])
    result = clients.ck_admin(broker).list_consumer_group_offsets([request])[f"connect-{connector}"].result(30)
    return result.topic_partitions[0].offset


@pytest.mark.slow  # 45-80 s: two JVMs, a session timeout and a scheduled rebalance delay
def test_distributed_workers_move_lines_and_survive_a_killed_worker(workers, module_broker, clients, tmp_path, topic):
    group = f"{topic}-cluster"
    create_topic(clients, module_broker, topic)
    first, second = workers(2, group)
    source_file, sink_file = tmp_path / "in.txt", tmp_path / "out.txt"
    lines = [f"line {n} of the first part" for n in range(50)]
    append_lines(source_file, lines)

    first.put_connector("file-source", {"connector.class": SOURCE, "tasks.max": 1,
                                        "file": str(source_file), "topic": topic})
    second.put_connector("file-sink", {"connector.class": SINK, "tasks.max": 1,
                                       "file": str(sink_file), "topics": topic})
    wait_for(lambda: file_lines(sink_file) == lines, WAIT, f"the sink file to hold the lines ({sink_file})")
    assert read_topic(clients, module_broker, topic, len(lines)) == lines
    placements = {name: wait_for(lambda: connector_placement(first, name), WAIT, f"{name} RUNNING")
                  for name in ("file-source", "file-sink")}
    assert {worker for placement in placements.values() for worker in placement.values()} <= \
        {first.worker_id, second.worker_id}
    assert sorted(first.request("GET", "/connectors")) == ["file-sink", "file-source"]

    # what was moved is committed (source file position, sink consumer offset) before the crash
    size = source_file.stat().st_size
    wait_for(lambda: committed_source_position(clients, module_broker, f"{group}-offsets", "file-source") == size,
             WAIT, "the source's file position in the offsets topic")
    wait_for(lambda: sink_committed(clients, module_broker, "file-sink", topic) == len(lines),
             WAIT, "the sink's committed offset")

    victim = first if placements["file-source"]["task-0"] == first.worker_id else second
    survivor = second if victim is first else first
    victim.kill()
    for name in ("file-source", "file-sink"):
        wait_for(lambda: runs_only_on(survivor, name), WAIT,
                 f"{name} and its task RUNNING on the surviving worker {survivor.worker_id}")

    more = [f"line {n} of the second part" for n in range(50)]
    append_lines(source_file, more)
    wait_for(lambda: file_lines(sink_file) == lines + more, WAIT, "the sink file to hold every line once")
    assert read_topic(clients, module_broker, topic, len(lines + more)) == lines + more

    # Connect's own topics, created by the workers, are compacted as Connect requires
    admin = clients.ck_admin(module_broker)
    resources = [ConfigResource(ConfigResource.Type.TOPIC, f"{group}-{kind}")
                 for kind in ("configs", "offsets", "status")]
    for resource, future in admin.describe_configs(resources).items():
        assert future.result(30)["cleanup.policy"].value == "compact", resource


@pytest.mark.slow  # 60-80 s, as above
def test_exactly_once_source_survives_a_killed_worker(workers, module_broker, clients, tmp_path, topic):
    group = f"{topic}-cluster"
    create_topic(clients, module_broker, topic)
    first, second = workers(2, group, **{"exactly.once.source.support": "enabled"})
    source_file = tmp_path / "in.txt"
    source_file.touch()
    first.put_connector("eos-source", {"connector.class": SOURCE, "tasks.max": 1, "file": str(source_file),
                                       "topic": topic, "exactly.once.support": "required",
                                       "transaction.boundary": "poll"})
    placement = wait_for(lambda: connector_placement(first, "eos-source"), WAIT, "eos-source RUNNING")
    victim = first if placement["task-0"] == first.worker_id else second
    survivor = second if victim is first else first

    written: list[str] = []
    stop_writing = threading.Event()

    def write() -> None:  # lines keep coming while the worker dies and its task moves
        while not stop_writing.wait(0.1):
            batch = [f"exactly once {n}" for n in range(len(written), len(written) + 10)]
            append_lines(source_file, batch)
            written.extend(batch)
    writer = threading.Thread(target=write)
    writer.start()
    try:
        read_topic(clients, module_broker, topic, 30, isolation="read_committed")
        victim.kill()
        written_at_kill = len(written)
        wait_for(lambda: runs_only_on(survivor, "eos-source"), WAIT,
                 f"eos-source RUNNING on the surviving worker {survivor.worker_id}")
        read_topic(clients, module_broker, topic, len(written) + 30, isolation="read_committed")
    finally:
        stop_writing.set()
        writer.join(10)
    assert len(written) > written_at_kill + 30  # lines were written before, during and after the move
    assert read_topic(clients, module_broker, topic, len(written), isolation="read_committed") == written


def test_standalone_worker_runs_a_file_source(module_broker, clients, tmp_path, topic):
    create_topic(clients, module_broker, topic)
    source_file = tmp_path / "in.txt"
    lines = [f"standalone line {n}" for n in range(100)]
    append_lines(source_file, lines)
    worker = ConnectWorker(tmp_path / "standalone", module_broker.bootstrap,
                           {"offset.storage.file.filename": tmp_path / "standalone.offsets"},
                           standalone_connectors=[{"name": "standalone-source", "connector.class": SOURCE,
                                                   "tasks.max": 1, "file": source_file, "topic": topic}])
    try:
        worker.start()
        assert read_topic(clients, module_broker, topic, len(lines)) == lines
        placement = wait_for(lambda: connector_placement(worker, "standalone-source"), WAIT, "RUNNING")
        assert set(placement.values()) == {worker.worker_id}
        more = [f"standalone line {n}" for n in range(100, 150)]
        append_lines(source_file, more)
        assert read_topic(clients, module_broker, topic, len(lines + more)) == lines + more
    finally:
        code = worker.stop()
        print(f"--- Connect standalone worker (exit code {code}) ---\n{worker.log_text()[-30000:]}")


def wait_state(worker: ConnectWorker, name: str, state: str) -> None:
    wait_for(lambda: (worker.status(name) or {}).get("connector", {}).get("state") == state, WAIT,
             f"{name} {state}")


def test_connector_offsets_read_altered_and_reset_over_rest(workers, module_broker, clients, tmp_path, topic):
    """KIP-875's offsets endpoints: a stopped sink's consumer group offsets and a stopped source's
    offsets-topic entries read, a sink rewound, a source's offsets reset (both read back). The
    connectors are named apart from other tests': a sink's group, connect-<name>, is the broker's."""
    group = f"{topic}-cluster"
    create_topic(clients, module_broker, topic)
    (worker,) = workers(1, group)
    source_file, sink_file = tmp_path / "in.txt", tmp_path / "out.txt"
    lines = [f"offsets line {n}" for n in range(20)]
    append_lines(source_file, lines)
    worker.put_connector("rewound-source", {"connector.class": SOURCE, "tasks.max": 1,
                                         "file": str(source_file), "topic": topic})
    worker.put_connector("rewound-sink", {"connector.class": SINK, "tasks.max": 1,
                                       "file": str(sink_file), "topics": topic})
    wait_for(lambda: file_lines(sink_file) == lines, WAIT, "the sink file to hold the lines")
    size = source_file.stat().st_size
    wait_for(lambda: committed_source_position(clients, module_broker, f"{group}-offsets", "rewound-source") == size,
             WAIT, "the source's file position in the offsets topic")
    wait_for(lambda: sink_committed(clients, module_broker, "rewound-sink", topic) == len(lines),
             WAIT, "the sink's committed offset")
    for name in ("rewound-source", "rewound-sink"):
        worker.request("PUT", f"/connectors/{name}/stop")
        wait_state(worker, name, "STOPPED")

    sink_partition = {"kafka_topic": topic, "kafka_partition": 0}
    assert worker.request("GET", "/connectors/rewound-sink/offsets") == \
        {"offsets": [{"partition": sink_partition, "offset": {"kafka_offset": len(lines)}}]}
    assert worker.request("GET", "/connectors/rewound-source/offsets") == \
        {"offsets": [{"partition": {"filename": str(source_file)}, "offset": {"position": size}}]}

    worker.request("PATCH", "/connectors/rewound-sink/offsets",
                   {"offsets": [{"partition": sink_partition, "offset": {"kafka_offset": 15}}]})
    assert worker.request("GET", "/connectors/rewound-sink/offsets") == \
        {"offsets": [{"partition": sink_partition, "offset": {"kafka_offset": 15}}]}
    worker.request("DELETE", "/connectors/rewound-source/offsets")
    assert worker.request("GET", "/connectors/rewound-source/offsets") == {"offsets": []}

    for name in ("rewound-source", "rewound-sink"):
        worker.request("PUT", f"/connectors/{name}/resume")
    # the source reads its file again from the start, the sink rewrites from offset 15 on
    expected = lines + lines[15:] + lines
    wait_for(lambda: file_lines(sink_file) == expected, WAIT, f"the sink file to hold {expected}")
    assert read_topic(clients, module_broker, topic, 2 * len(lines)) == lines + lines


def test_exactly_once_source_offsets_reset_and_connector_deleted(workers, module_broker, clients, tmp_path, topic):
    """With exactly-once source support, resetting a stopped source's offsets fences its task
    producers (Admin.fenceProducers) and writes the tombstones in a transaction; the source then
    reads its file again, every line once per read (read_committed); a deleted connector is gone
    from the REST API and its status."""
    group = f"{topic}-cluster"
    create_topic(clients, module_broker, topic)
    (worker,) = workers(1, group, **{"exactly.once.source.support": "enabled"})
    source_file = tmp_path / "in.txt"
    lines = [f"reset line {n}" for n in range(30)]
    append_lines(source_file, lines)
    worker.put_connector("eos-source", {"connector.class": SOURCE, "tasks.max": 1, "file": str(source_file),
                                        "topic": topic, "exactly.once.support": "required"})
    assert read_topic(clients, module_broker, topic, len(lines), isolation="read_committed") == lines
    size = source_file.stat().st_size
    wait_for(lambda: worker.request("GET", "/connectors/eos-source/offsets") ==
             {"offsets": [{"partition": {"filename": str(source_file)}, "offset": {"position": size}}]},
             WAIT, "the source's committed offsets")

    worker.request("PUT", "/connectors/eos-source/stop")
    wait_state(worker, "eos-source", "STOPPED")
    worker.request("DELETE", "/connectors/eos-source/offsets")
    assert worker.request("GET", "/connectors/eos-source/offsets") == {"offsets": []}
    worker.request("PUT", "/connectors/eos-source/resume")
    assert read_topic(clients, module_broker, topic, 2 * len(lines), isolation="read_committed") == lines + lines

    worker.request("DELETE", "/connectors/eos-source")
    wait_for(lambda: worker.request("GET", "/connectors") == [], WAIT, "the connector deleted")
    wait_for(lambda: worker.status("eos-source") is None, WAIT, "the deleted connector's status gone")
