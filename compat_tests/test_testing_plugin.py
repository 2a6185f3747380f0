"""odradek.testing: the pytest plugin as a user's project meets it, and the context managers.

The example project (``testing_example/``: a pyproject.toml and tests using kafka-python,
confluent-kafka and unittest) is copied out of this repository and run by ``python -m pytest``
in a process of its own, with no conftest and no PYTHONPATH: its fixtures can only come from the
installed package's ``pytest11`` entry point.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from importlib import metadata
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

import odradek.testing
from odradek.tools.client import KafkaError

EXAMPLE = Path(__file__).parent / "testing_example"
EXAMPLE_TESTS = 6
RUN_TIMEOUT = 300


def test_the_plugin_is_an_entry_point():
    found = [e for e in metadata.entry_points(group="pytest11") if e.value == "odradek.testing.pytest_plugin"]
    assert [e.dist.name for e in found] == ["odradek"]


def test_the_example_project_passes(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}"],
                          cwd=project, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    suite = ElementTree.parse(report).getroot().find("testsuite")
    counts = {key: int(suite.get(key)) for key in ("tests", "failures", "errors", "skipped")}
    assert counts == {"tests": EXAMPLE_TESTS, "failures": 0, "errors": 0, "skipped": 0}
    assert not list(project.rglob("odradek-data")), "a broker wrote into the project"


def test_the_context_manager_starts_a_broker_and_cleans_up():
    started = time.perf_counter()
    with odradek.testing.broker() as bootstrap:
        ready_after = time.perf_counter() - started
        odradek.testing.create_topic(bootstrap, "cm", partitions=2)
        producer = Producer({"bootstrap.servers": bootstrap})
        producer.produce("cm", value=b"v", partition=1)
        assert producer.flush(10) == 0
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "cm"})
        consumer.assign([TopicPartition("cm", 1, 0)])
        message = _first_message(consumer)
        consumer.close()
        assert message.value() == b"v"
    print(f"broker ready {ready_after:.2f}s after the call")
    host, port = bootstrap.rsplit(":", 1)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=5).close()


def test_a_broker_object_removes_only_the_directory_it_made(tmp_path):
    made = odradek.testing.Broker().start()
    own_dir = made.data_dir
    assert own_dir.is_dir() and made.running
    made.close()
    assert not made.running and not own_dir.exists()

    given = tmp_path / "given"
    with odradek.testing.Broker(data_dir=given) as running:
        odradek.testing.create_topic(running.bootstrap, "kept")
    assert (given / "kept-0").is_dir()


def test_a_bad_property_is_a_broker_error_with_its_log():
    with pytest.raises(odradek.testing.BrokerError) as raised:
        odradek.testing.Broker({"num.partitions": "many"}).start()
    assert "exited with code 2" in str(raised.value)
    assert "num.partitions" in str(raised.value)


def test_create_topic_names_kafkas_error():
    with odradek.testing.broker() as bootstrap:
        odradek.testing.create_topic(bootstrap, "twice")
        odradek.testing.create_topic(bootstrap, "twice", exist_ok=True)
        with pytest.raises(KafkaError, match="TOPIC_ALREADY_EXISTS"):
            odradek.testing.create_topic(bootstrap, "twice")


@pytest.mark.slow
def test_a_cluster_context_manager(kafka_jars):
    if shutil.which("java") is None:
        pytest.skip("a cluster runs ZooKeeper, which needs Java")
    with odradek.testing.Cluster(3) as cluster:
        assert len(cluster.addresses) == 3
        odradek.testing.create_topic(cluster.bootstrap, "replicated", partitions=2, replication_factor=3)
        producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
        producer.produce("replicated", value=b"on three brokers", partition=0)
        assert producer.flush(30) == 0
        directory = cluster.directory
    assert not directory.exists()


def _first_message(consumer):
    for _ in range(30):
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            return message
    raise AssertionError("no message within 30 s")


def test_the_readme_examples_run(tmp_path):
    """The README's pytest file runs in a project of its own; its script prints the record."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## A broker for your tests\n")
    pytest_file, script = re.findall(r"```python\n(.*?)```", text[start:text.index("\n## ", start + 1)], re.S)
    (tmp_path / "test_orders.py").write_text(pytest_file)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore",
                           "test_orders.py"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
    ran = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert ran.returncode == 0 and ran.stdout.strip() == "b'hello'", ran.stdout + ran.stderr
