"""``/metrics`` on ``metrics.port``: real clients produce and consume, a plain HTTP scrape parsed
by prometheus-client shows the counters moved by exactly what was sent, and the offsets and lag
the logs and the group coordinator hold.

The counters of one topic belong to one test (each test has its own topic); the broker-wide ones
are compared before and after, nothing else producing meanwhile.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import confluent_kafka
from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic
from kafka.record.default_records import DefaultRecordBatchBuilder

from odradek.wire import ApiKey

from .broker_process import BrokerProcess
from .clients import ck_produce, ck_read, ck_wait, wait_until
from .metrics_scrape import metrics_url, scrape
from .share_client import ShareMember, initialize
from .wire_client import WireClient

BROKER_OVERRIDES = {"metrics.port": 0}
TOPIC = "kafka_server_brokertopicmetrics_"
N = 500


def _create(clients, broker, topic: str, partitions: int) -> None:
    ck_wait(clients.ck_admin(broker).create_topics([NewTopic(topic, partitions, 1)]))


def _batch(count: int) -> bytes:
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i in range(count):
        builder.append(i, timestamp=int(time.time() * 1000), key=None, value=b"v%d" % i, headers=[])
    return bytes(builder.build())


def test_records_and_bytes_in_and_out_move_by_what_was_produced_and_consumed(module_broker, clients, topic):
    url = metrics_url(module_broker)
    _create(clients, module_broker, topic, 3)
    before = scrape(url)
    producer = clients.ck_producer(module_broker, **{"linger.ms": 20})
    delivered = ck_produce(producer, topic, [(b"k%d" % i, b"value-%d" % i) for i in range(N)])
    after = scrape(url)

    assert after.value(f"{TOPIC}messagesin_total", topic=topic) == N
    assert after.value(f"{TOPIC}messagesin_total") - before.value(f"{TOPIC}messagesin_total") == N
    # bytes in: exactly the batches appended, which is all a new topic's logs hold
    sizes = after.labelled("kafka_log_log_size", topic=topic)
    assert len(sizes) == 3
    bytes_in = after.value(f"{TOPIC}bytesin_total", topic=topic)
    assert bytes_in == sum(sizes.values()) > 0
    assert after.value(f"{TOPIC}bytesin_total") - before.value(f"{TOPIC}bytesin_total") == bytes_in
    # the log end offset of each partition: one past the last offset delivered there
    for partition in range(3):
        offsets = [m.offset() for m in delivered if m.partition() == partition]
        expected = max(offsets) + 1 if offsets else 0
        assert after.value("kafka_log_log_logendoffset", topic=topic, partition=partition) == expected
        assert after.value("kafka_log_log_logstartoffset", topic=topic, partition=partition) == 0
    assert after.total("kafka_network_requestmetrics_requests_total", request="Produce") > \
        before.total("kafka_network_requestmetrics_requests_total", request="Produce")
    assert after.value(f"{TOPIC}bytesout_total", topic=topic) == 0

    consumer = clients.ck_consumer(module_broker)
    consumer.assign([TopicPartition(topic, p, 0) for p in range(3)])
    assert len(ck_read(consumer, N)) == N
    consumed = scrape(url)
    assert consumed.value(f"{TOPIC}bytesout_total", topic=topic) == bytes_in  # every batch sent once
    assert consumed.value(f"{TOPIC}messagesin_total", topic=topic) == N  # reading appends nothing
    assert consumed.total("kafka_network_requestmetrics_requests_total", request="Fetch") > 0
    assert consumed.value("kafka_network_requestmetrics_totaltimems_count", request="Fetch") == \
        consumed.total("kafka_network_requestmetrics_requests_total", request="Fetch")


def test_share_fetch_bytes_are_counted_as_bytes_out(module_broker, clients, topic):
    """Records a share group member acquires leave the broker as Fetch's do: bytes out per topic,
    exactly the batches sent (the member reads every record of a one-partition topic once)."""
    url = metrics_url(module_broker)
    _create(clients, module_broker, topic, 1)
    ck_produce(clients.ck_producer(module_broker, **{"linger.ms": 20}), topic,
               [(None, b"share-%d" % i) for i in range(N)], partition=0)
    tid = initialize(module_broker, f"{topic}-share", topic, start_offset=0)
    before = scrape(url)
    assert before.value(f"{TOPIC}bytesout_total", topic=topic) == 0
    with ShareMember(module_broker, f"{topic}-share", tid) as member:
        delivered = member.fetch_until(lambda got: len(got) >= N)
    after = scrape(url)
    assert sorted(d.offset for d in delivered) == list(range(N))
    assert after.value(f"{TOPIC}bytesout_total", topic=topic) == \
        after.value("kafka_log_log_size", topic=topic, partition=0)  # every batch sent once
    assert after.total("kafka_network_requestmetrics_requests_total", request="ShareFetch") > 0


def test_each_request_and_each_error_code_it_answers_is_counted(module_broker, clients, topic):
    url = metrics_url(module_broker)
    _create(clients, module_broker, topic, 2)
    records = _batch(10)
    produce = {"transactional_id": None, "acks": 1, "timeout_ms": 10_000, "topic_data": [
        {"name": topic, "partition_data": [{"index": 0, "records": records}, {"index": 1, "records": records}]},
        {"name": f"{topic}-missing", "partition_data": [{"index": 0, "records": records}]}]}
    before = scrape(url)
    with WireClient(module_broker) as wire:
        for _ in range(3):
            answer = wire.send(ApiKey.PRODUCE, 9, produce)
            assert [p.error_code for t in answer.responses for p in t.partition_responses] == [0, 0, 3]
    after = scrape(url)

    def delta(name: str, **labels) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    requests = "kafka_network_requestmetrics_requests_total"
    errors = "kafka_network_requestmetrics_errors_total"
    assert delta(requests, request="Produce", version=9) == 3
    assert delta(errors, request="Produce", error="NONE") == 6  # one per partition answered
    assert delta(errors, request="Produce", error="UNKNOWN_TOPIC_OR_PARTITION") == 3
    assert delta("kafka_network_requestmetrics_totaltimems_count", request="Produce") == 3
    assert delta("kafka_network_requestmetrics_totaltimems_bucket", request="Produce", le="+Inf") == 3
    assert after.value(f"{TOPIC}messagesin_total", topic=topic) == 60
    assert after.value(f"{TOPIC}bytesin_total", topic=topic) == 6 * len(records)
    assert delta("kafka_server_socket_server_metrics_connection_creation_total", listener="PLAINTEXT") >= 1
    assert delta("kafka_server_socket_server_metrics_incoming_byte_total") > 9 * len(records)
    assert delta("kafka_server_socket_server_metrics_outgoing_byte_total") > 0


def test_open_connections_are_counted_while_open(module_broker):
    url = metrics_url(module_broker)

    def connections() -> float:
        return scrape(url).value("kafka_server_socket_server_metrics_connection_count", listener="PLAINTEXT")

    # the earlier tests' clients are closed, but their connections end a moment later here
    wait_until(lambda: connections() == 0, what="the earlier tests' connections to end")
    with WireClient(module_broker) as one, WireClient(module_broker) as two:
        for wire in (one, two):
            wire.send(ApiKey.API_VERSIONS, 3, {"client_software_name": "t", "client_software_version": "1"})
        assert connections() == 2
    wait_until(lambda: connections() == 0, what="the closed connections to be counted out")


def test_consumer_group_lag_is_the_log_end_minus_the_committed_offset(module_broker, clients, topic):
    url = metrics_url(module_broker)
    _create(clients, module_broker, topic, 2)
    producer = clients.ck_producer(module_broker)
    for partition in (0, 1):
        ck_produce(producer, topic, [(None, b"r%d" % i) for i in range(40)], partition=partition)
    group = f"{topic}-group"
    consumer = clients.ck_consumer(module_broker, **{"group.id": group})
    labels = lambda p: dict(consumergroup=group, topic=topic, partition=p)  # noqa: E731

    consumer.commit(offsets=[TopicPartition(topic, 0, 15), TopicPartition(topic, 1, 0)], asynchronous=False)
    part = scrape(url)
    assert part.value("kafka_log_log_logendoffset", topic=topic, partition=0) == 40
    assert part.value("kafka_consumergroup_current_offset", None, **labels(0)) == 15
    assert part.value("kafka_consumergroup_lag", None, **labels(0)) == 40 - 15
    assert part.value("kafka_consumergroup_lag", None, **labels(1)) == 40

    consumer.commit(offsets=[TopicPartition(topic, p, 40) for p in (0, 1)], asynchronous=False)
    done = scrape(url)
    assert [done.value("kafka_consumergroup_lag", None, **labels(p)) for p in (0, 1)] == [0, 0]
    assert done.value("kafka_consumergroup_current_offset", None, **labels(1)) == 40


def test_replicas_process_and_event_loop_are_reported(module_broker, clients, topic):
    url = metrics_url(module_broker)
    _create(clients, module_broker, topic, 4)
    scraped = wait_until(lambda: (s := scrape(url)).value("odradek_event_loop_lag_seconds_count") > 0 and s,
                         what="an event-loop lag sample")
    partitions = scraped.value("kafka_server_replicamanager_partitioncount")
    assert partitions >= 4
    assert scraped.value("kafka_server_replicamanager_leadercount") == partitions  # a single broker leads all
    assert scraped.value("kafka_server_replicamanager_underreplicatedpartitions", None) == 0
    assert scraped.value("kafka_server_replicamanager_offlinereplicacount", None) == 0
    assert scraped.value("kafka_controller_kafkacontroller_activecontrollercount") == 1
    assert scraped.value("kafka_controller_kafkacontroller_offlinepartitionscount", None) == 0
    assert scraped.value("process_resident_memory_bytes") > 10_000_000
    assert scraped.value("process_open_fds") > 4
    assert scraped.families["kafka_network_requestmetrics_totaltimems"].type == "histogram"
    assert scraped.families["odradek_event_loop_lag_seconds"].type == "histogram"


def _listening_ports(pid: int) -> set[int]:
    """The TCP ports the process listens on (its sockets' inodes in /proc/net/tcp{,6}, state 0A)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_request_pool_and_connection_limits_are_reported(tmp_path):
    """Kafka's MemoryPoolAvailable/MemoryPoolUsed, connection-close and -creation-rate per listener,
    and odradek's refusals and its own closes by reason, moved by raw sockets that misbehave."""
    mb = 1024 * 1024
    broker = BrokerProcess(tmp_path / "data", {
        "metrics.port": 0, "socket.request.max.bytes": mb, "queued.max.request.bytes": 2 * mb,
        "max.connections.per.ip": 3, "connections.max.idle.ms": 1500}).start()
    pool, used = "kafka_network_socketserver_memorypoolavailable", "kafka_network_socketserver_memorypoolused"
    socket_metrics = "kafka_server_socket_server_metrics_"
    try:
        url = metrics_url(broker)
        first = scrape(url)
        assert (first.value(pool, default=None), first.value(used, default=None)) == (2 * mb, 0)
        assert first.value("odradek_request_pool_muted_connections", default=None) == 0
        stalled = []
        for _ in range(3):  # each announces a 1 MB request and sends 100 bytes of it
            sock = socket.create_connection(("127.0.0.1", broker.port), timeout=5)
            sock.sendall(struct.pack(">i", mb) + b"\0" * 100)
            stalled.append(sock)
        # two reserve the whole pool; the third waits for memory, muted
        wait_until(lambda: scrape(url).value("odradek_request_pool_muted_connections") == 1,
                   what="the third request to wait for the pool")
        held = scrape(url)
        assert (held.value(pool), held.value(used)) == (0, 2 * mb)
        assert held.value(f"{socket_metrics}connection_count", listener="PLAINTEXT") == 3
        assert held.value(f"{socket_metrics}connection_creation_rate", listener="PLAINTEXT") > 0
        refused = socket.create_connection(("127.0.0.1", broker.port), timeout=5)  # a fourth from 127.0.0.1
        assert refused.recv(1) == b""
        refused.close()
        # nothing more arrives: all three are idle, closed by connections.max.idle.ms, the pool freed
        wait_until(lambda: scrape(url).value(f"{socket_metrics}connection_count", listener="PLAINTEXT") == 0,
                   what="the idle connections to be closed", timeout=10)
        after = scrape(url)
        assert after.value("odradek_connections_refused_total", listener="PLAINTEXT",
                           reason="max_connections_per_ip") == 1
        assert after.value("odradek_connections_closed_by_broker_total", listener="PLAINTEXT", reason="idle") == 3
        assert after.value(f"{socket_metrics}connection_close_total", listener="PLAINTEXT") == \
            after.value(f"{socket_metrics}connection_creation_total", listener="PLAINTEXT") == 3
        assert (after.value(pool), after.value(used), after.value("odradek_request_pool_muted_connections")) == \
            (2 * mb, 0, 0)
        for sock in stalled:
            sock.close()
    finally:
        assert broker.stop() == 0


def test_metrics_are_off_unless_the_port_is_set(tmp_path):
    broker = BrokerProcess(tmp_path / "data").start()
    try:
        assert "metrics on" not in broker.log_text()
        assert _listening_ports(broker.pid) == {broker.port}
    finally:
        assert broker.stop() == 0


def test_the_metrics_port_is_served_beside_the_listener_and_stops_with_the_broker(tmp_path):
    with socket.socket() as probe:  # a free port, to set metrics.port as an operator would
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    broker = BrokerProcess(tmp_path / "data", {"metrics.port": port}).start()
    try:
        assert metrics_url(broker) == f"http://127.0.0.1:{port}/metrics"  # the first listener's host
        assert _listening_ports(broker.pid) == {broker.port, port}
        assert scrape(metrics_url(broker)).value("kafka_server_replicamanager_partitioncount", None) == 0
        idle = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # kept alive across the stop
        idle.request("GET", "/metrics")
        assert idle.getresponse().read()
        started = time.monotonic()
    finally:
        code = broker.stop()
    idle.close()
    assert code == 0
    assert time.monotonic() - started < 5  # an open HTTP connection does not hold the shutdown up
    assert "odradek stopped: logs flushed and closed" in broker.log_text()
    assert "Traceback" not in broker.log_text()


def _serve(*argv: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "odradek.tools.cli", "serve", "--host", "127.0.0.1", "--port", "0",
                           *argv], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)


def test_a_metrics_port_in_use_is_one_line_and_nothing_is_written(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = _serve("--data-dir", str(tmp_path / "data"), "--override", f"metrics.port={port}", cwd=tmp_path)
    assert ran.returncode == 1
    assert ran.stderr.splitlines() == [f"odradek serve: metrics.port: cannot listen on HTTP://127.0.0.1:{port}: "
                                       f"port {port} is already in use"]
    assert not (tmp_path / "data").exists()


def test_bad_metrics_settings_are_one_line_with_exit_code_2(tmp_path):
    for value, message in (("abc", "Invalid value abc for configuration metrics.port: Not a number of type INT"),
                           ("70000", "metrics.port=70000: a port is between 0 and 65535")):
        ran = _serve("--data-dir", str(tmp_path / "data"), "--override", f"metrics.port={value}", cwd=tmp_path)
        assert ran.returncode == 2, ran.stderr
        assert ran.stderr.splitlines() == [f"odradek serve: {message}"]
    ran = _serve("--data-dir", str(tmp_path / "data"), "--override", "metrics.port=0", "--override",
                 "metrics.host=no-such-host.invalid", cwd=tmp_path)
    assert ran.returncode == 1
    assert re.fullmatch(r"odradek serve: metrics\.port: cannot listen on HTTP://no-such-host\.invalid:0: host "
                        r"'no-such-host\.invalid' does not resolve \(.*\)", ran.stderr.strip()), ran.stderr
    assert not (tmp_path / "data").exists()


def test_the_readme_lists_every_metric_served(module_broker):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("\n## Metrics\n"):]
    table = table[:table.index("\n## ", 1)]
    served = {name for name, family in scrape(metrics_url(module_broker)).families.items()
              if not name.startswith("process_")}
    names = {name.removesuffix("_total") for name in re.findall(r"`(\w+)`", table)}
    assert served - names == set()
