"""``odradek perf`` run as the user runs it, a separate process, against a real broker: its records
read back by confluent-kafka, every compression codec, the idle timeout, and ``--plot`` without
matplotlib. With ``ODRADEK_COMPAT_TARGET=kafka`` the broker is Apache Kafka, as for the other tools.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from confluent_kafka import TopicPartition

from odradek.wire.compression import COMPRESSION_TYPES

from .clients import ck_produce, ck_read
from .group_helpers import create_topic
from .odradek_cli import Ran, Tool, run
from .test_odradek_tools import BROKER_OVERRIDES  # noqa: F401 (conftest's module_broker reads it)

RUNS_AGAINST_KAFKA_TOO = True
RUN_TIMEOUT = 120.0  # seconds: a bound for one perf process on a loaded 2-core machine


def perf(broker, *argv: str, env: dict[str, str] | None = None) -> Ran:
    return run("perf", "--bootstrap-server", broker.bootstrap, *argv, env=env, timeout=RUN_TIMEOUT)


def read_all(clients, broker, topic: str, partitions: int, count: int) -> list:
    consumer = clients.ck_consumer(broker)
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    return ck_read(consumer, count, timeout=60)


def test_every_record_is_written_and_read_back(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, 3)
    ran = perf(module_broker, "--topic", topic, "--num-records", "100000")
    assert ran.code == 0, ran.err
    produced, consumed = ran.out.splitlines()
    assert produced.startswith("100000 records sent, ") and " records/sec (" in produced
    assert " ms avg latency, " in produced and produced.endswith(" ms 99.9th.")
    assert consumed.startswith("100000 records consumed, ") and consumed.endswith(" records/sec.")
    messages = read_all(clients, module_broker, topic, 3, 100_000)
    assert len(messages) == 100_000
    values = Counter(message.value() for message in messages)
    assert len(values) == 1 and len(next(iter(values))) == 100  # one random 100-byte value, as Kafka's tool
    assert all(message.key() is None for message in messages)
    # a batch of 1000 per request, the 3 partitions taking turns: 34 + 33 + 33 batches
    per_partition = Counter(message.partition() for message in messages)
    assert per_partition == {0: 34_000, 1: 33_000, 2: 33_000}
    offsets = [m.offset() for m in messages if m.partition() == 0]
    assert sorted(offsets) == list(range(34_000))


@pytest.mark.parametrize("compression", COMPRESSION_TYPES)
def test_every_codec_is_read_back_by_confluent_kafka(module_broker, clients, topic, compression):
    create_topic(clients, module_broker, topic, 1)
    ran = perf(module_broker, "--topic", topic, "--num-records", "2500", "--record-size", "300",
               "--batch-size", "1000", "--compression-codec", compression, "--acks", "1")
    assert ran.code == 0, ran.err
    assert ran.out.splitlines()[1].startswith("2500 records consumed, ")
    messages = read_all(clients, module_broker, topic, 1, 2500)
    assert [m.offset() for m in messages] == list(range(2500))
    assert {len(m.value()) for m in messages} == {300}


def test_the_timeout_is_for_idleness_not_the_whole_run(module_broker, clients, topic):
    """Records trickling in more slowly than the run lasts, but faster than --timeout-ms: no failure."""
    create_topic(clients, module_broker, topic, 1)
    producer = clients.ck_producer(module_broker)
    started = time.monotonic()
    with Tool("perf", "--bootstrap-server", module_broker.bootstrap, "--topic", topic, "--mode", "consume",
              "--num-records", "12", "--timeout-ms", "1500") as consumer:
        for i in range(12):
            ck_produce(producer, topic, [(None, b"trickle-%d" % i)])
            time.sleep(0.3)
        ran = consumer.finish(RUN_TIMEOUT)
    elapsed = time.monotonic() - started
    assert ran.code == 0, ran.err
    assert ran.out.startswith("12 records consumed, ")
    assert elapsed > 3.0  # the run outlasted --timeout-ms twice over


def test_a_read_that_stalls_stops_after_the_idle_timeout(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, 1)
    ck_produce(clients.ck_producer(module_broker), topic, [(None, b"only-%d" % i) for i in range(5)])
    started = time.monotonic()
    ran = perf(module_broker, "--topic", topic, "--mode", "consume", "--num-records", "10", "--timeout-ms", "500")
    elapsed = time.monotonic() - started
    assert ran.code == 1
    assert ran.out.startswith("5 records consumed, ")
    assert ran.err == ("odradek perf: only 5 of 10 records read: none arrived for 500 ms (--timeout-ms)\n")
    assert 0.5 < elapsed < 30


def test_plot_without_matplotlib_fails_before_the_run(module_broker, clients, topic, tmp_path):
    create_topic(clients, module_broker, topic, 1)
    blocker = tmp_path / "no-matplotlib"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class _NoMatplotlib:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] == 'matplotlib':\n"
        "            raise ImportError('No module named matplotlib')\n"
        "sys.meta_path.insert(0, _NoMatplotlib())\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(blocker), os.environ.get("PYTHONPATH")]))}
    ran = perf(module_broker, "--topic", topic, "--num-records", "1000", "--plot", str(tmp_path / "perf.png"),
               env=env)
    assert ran.code == 1
    assert ran.err == "odradek perf: --plot needs matplotlib: pip install 'odradek[plot]'\n"
    assert ran.out == ""
    assert not (tmp_path / "perf.png").exists()
    consumer = clients.ck_consumer(module_broker)
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    assert (low, high) == (0, 0)  # nothing was produced: it failed before the run



def test_batches_of_large_records_stay_under_a_mebibyte(module_broker, clients, topic):
    """1000 records of 4000 B would make a 4 MB batch, which brokers refuse (max.message.bytes)."""
    create_topic(clients, module_broker, topic, 1)
    ran = perf(module_broker, "--topic", topic, "--num-records", "1000", "--record-size", "4000")
    assert ran.code == 0, ran.err
    assert ran.out.splitlines()[1].startswith("1000 records consumed, ")
    consumer = clients.ck_consumer(module_broker)
    assert consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10) == (0, 1000)
