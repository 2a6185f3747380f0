"""The README's examples, run as a newcomer pastes them, against a real broker.

The Quick start's Python snippets run twice each (a second run must work as well as the first),
the Tools section's commands run in order, each one through a shell, and the share group example
runs as its reader would: two workers from its Python block, then its commands. Only the broker's
address is changed, from the README's ``localhost:9092`` to the test broker's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from .clients import wait_until

README = Path(__file__).resolve().parents[1] / "README.md"
README_ADDRESS = "localhost:9092"
TIMEOUT = 120


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def code_blocks(title: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(title), flags=re.S)


@pytest.fixture(scope="module")
def readme_broker(tmp_path_factory):
    from .broker_process import BrokerProcess

    broker = BrokerProcess(tmp_path_factory.mktemp("data"), {"group.initial.rebalance.delay.ms": 0}).start()
    yield broker
    assert broker.stop() == 0, broker.log_text()[-5000:]


@pytest.mark.parametrize("index, expected", [(0, b"hello"), (1, b"hi")])
def test_quick_start_snippets_run_and_run_again(readme_broker, index, expected):
    snippet = code_blocks("Quick start", "python")[index].replace(README_ADDRESS, readme_broker.bootstrap)
    for attempt in (1, 2):
        ran = subprocess.run([sys.executable, "-c", snippet], capture_output=True, timeout=TIMEOUT)
        assert ran.returncode == 0, f"run {attempt}:\n{ran.stderr.decode(errors='replace')}"
        assert expected in ran.stdout, f"run {attempt} printed:\n{ran.stdout.decode(errors='replace')}"
        assert ran.stdout.count(expected) == attempt  # each run added one record, and reads them all


def test_tool_examples_run_as_pasted_in_order(readme_broker):
    (block,) = code_blocks("Tools", "sh")
    commands = [line for line in block.splitlines() if line.strip()]
    assert all(line.startswith(("odradek ", "printf ")) for line in commands)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    outputs = []
    for command in commands:
        ran = subprocess.run(["bash", "-c", command.replace(README_ADDRESS, readme_broker.bootstrap)],
                             capture_output=True, text=True, timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL)
        assert ran.returncode == 0, f"{command}\nexited with {ran.returncode}:\n{ran.stdout}\n{ran.stderr}"
        assert "Traceback" not in ran.stderr, f"{command}\n{ran.stderr}"
        outputs.append(ran.stdout)
    consumed = outputs[next(i for i, c in enumerate(commands) if c.startswith("odradek consume"))]
    assert sorted(consumed.splitlines()) == ["k1\tv1", "k2\tv2"]


class Worker:
    """The README's ``worker.py`` running as ``python worker.py <name>``, its lines collected."""

    def __init__(self, script: str, name: str):
        self.lines: list[str] = []
        self.process = subprocess.Popen([sys.executable, "-c", script, name], stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self._reader.start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(TIMEOUT)
        self._reader.join(TIMEOUT)


def test_share_group_example_runs_as_pasted(readme_broker):
    title = "Queues: share groups' records"
    create, consume_and_describe = code_blocks(title, "sh")
    (worker,) = code_blocks(title, "python")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def run(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", command.replace(README_ADDRESS, readme_broker.bootstrap)],
                              capture_output=True, text=True, timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL)

    def shell(command: str) -> str:
        ran = run(command)
        assert (ran.returncode, ran.stderr) == (0, ""), f"{command}\n{ran.stdout}\n{ran.stderr}"
        return ran.stdout

    def shown_once_joined(command: str) -> str:
        """The command's output, or "" while the group does not exist yet (its first member has
        not joined: the tool says GROUP_ID_NOT_FOUND, as kafka-share-groups does)."""
        ran = run(command)
        if ran.returncode != 0 and "GROUP_ID_NOT_FOUND" in ran.stderr:
            return ""
        assert (ran.returncode, ran.stderr) == (0, ""), f"{command}\n{ran.stdout}\n{ran.stderr}"
        return ran.stdout

    shell(create)
    produce, describe, members = consume_and_describe.strip().splitlines()
    workers = [Worker(worker.replace(README_ADDRESS, readme_broker.bootstrap), name) for name in ("a", "b")]
    try:
        # both workers share the partition, and the group's state for it starts at the log end
        wait_until(lambda: [row.split()[-1] for row in shown_once_joined(members).splitlines()[2:]]
                   == ["orders:0"] * 2 and "orders" in shell(describe), timeout=60, interval=0.5,
                   what="both workers to share orders-0")
        shell(produce)
        wait_until(lambda: len(workers[0].lines) + len(workers[1].lines) >= 6, timeout=60, what="six orders read")
        offsets = wait_until(lambda: (rows := [row.split() for row in shell(describe).splitlines()[2:]])
                             and rows[0][-1] == "0" and rows, interval=0.5,
                             what="every order to be acknowledged")
    finally:
        for each in workers:
            each.stop()
    read = sorted(line.split() for each in workers for line in each.lines)
    assert sorted(order for _, _, order in read) == [f"order-{i}" for i in range(1, 7)]  # each one once
    assert {name for name, got, _ in read} <= {"a", "b"} and {got for _, got, _ in read} == {"got"}
    assert len(offsets) == 1 and offsets[0][:3] == ["workers", "orders", "0"]
    shown = section(title).split("```\n")[-2].splitlines()  # the output the README shows
    assert shell(describe).splitlines()[1].split() == shown[0].split()


def test_sasl_example_configures_a_broker_that_alice_logs_in_to(tmp_path):
    """The SASL section's properties, as a ``server.properties`` (only its ports changed), and its
    Python snippet logging in as alice: produced, and the broker's log shows no failed login."""
    import kafka

    from .broker_process import BrokerProcess
    from .sasl_helpers import kp_sasl
    from .zookeeper_process import free_port

    properties = code_blocks("SASL", "properties")[0]  # the second is the cluster's, below
    sasl_port = free_port()
    assert "listeners=PLAINTEXT://:9092,SASL_PLAINTEXT://:9095\n" in properties
    properties = properties.replace("PLAINTEXT://:9092,SASL_PLAINTEXT://:9095",
                                    f"PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:{sasl_port}")
    (tmp_path / "server.properties").write_text(properties)
    broker = BrokerProcess(tmp_path / "data", properties_file=tmp_path / "server.properties").start()
    try:
        (snippet,) = code_blocks("SASL", "python")
        ran = subprocess.run([sys.executable, "-c", snippet.replace("localhost:9095", f"127.0.0.1:{sasl_port}")],
                             capture_output=True, timeout=TIMEOUT)
        assert ran.returncode == 0, ran.stderr.decode(errors="replace")
        assert "Failed authentication" not in broker.log_text()
        consumer = kafka.KafkaConsumer("greetings", bootstrap_servers=f"127.0.0.1:{sasl_port}",
                                       auto_offset_reset="earliest", consumer_timeout_ms=10_000,
                                       **kp_sasl("PLAIN", "admin", "admin-secret"))
        try:
            assert [record.value for record in consumer] == [b"hello from alice"]
        finally:
            consumer.close()
    finally:
        assert broker.stop() == 0, broker.log_text()[-5000:]


def test_inter_broker_sasl_example_starts_a_broker_that_logs_in_to_itself(tmp_path):
    """The cluster example of "Brokers that log in to each other": ZooKeeper, its two ``odradek
    configs --zookeeper`` commands as pasted (only the address changed), and a broker with its
    properties (only ports and data directory changed) that becomes controller and talks to
    itself over the SASL listener: it serves Metadata, and no login was refused."""
    from .broker_process import BrokerProcess
    from .cluster_process import wait_until as settle
    from .zookeeper_process import ZooKeeperProcess

    from .sasl_helpers import kp_sasl
    from .zookeeper_process import free_port

    properties = code_blocks("SASL", "properties")[1]
    commands = code_blocks("SASL", "sh")[-1]
    internal_port = free_port()
    zookeeper = ZooKeeperProcess(tmp_path / "zookeeper").start()
    try:
        for command in commands.replace("\\\n", "").strip().splitlines():
            ran = subprocess.run(["bash", "-c", command.replace("127.0.0.1:2181", zookeeper.connect)],
                                 capture_output=True, text=True, timeout=TIMEOUT)
            assert ran.returncode == 0, ran.stderr
        assert "Configs for user-principal 'broker' are SCRAM-SHA-512=salt=" in ran.stdout
        properties = (properties.replace("127.0.0.1:2181", zookeeper.connect)
                      .replace("PLAINTEXT://:9092,INTERNAL://:9192",
                               f"PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:{internal_port}"))
        (tmp_path / "broker-1.properties").write_text(properties)
        broker = BrokerProcess(tmp_path / "data", properties_file=tmp_path / "broker-1.properties").start()
        try:
            import kafka.admin

            # as the super user broker, the only one the example lets do anything
            admin = kafka.admin.KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{internal_port}", request_timeout_ms=20_000,
                                                 **kp_sasl("SCRAM-SHA-512", "broker", "broker-secret"))
            try:
                admin.create_topics([kafka.admin.NewTopic("greetings", 1, 1)])
            finally:
                admin.close()

            def led():  # the controller told the broker (itself) over INTERNAL, after logging in
                admin = kafka.admin.KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{internal_port}",
                                                     **kp_sasl("SCRAM-SHA-512", "broker", "broker-secret"))
                try:
                    [topic] = admin.describe_topics(["greetings"])
                finally:
                    admin.close()
                return topic["error_code"] == 0 and topic["partitions"][0]["leader_id"] == 1
            settle(led, 30, "a leader for the new topic")
            assert "refused this broker's" not in broker.log_text()
        finally:
            assert broker.stop() == 0, broker.log_text()[-5000:]
    finally:
        zookeeper.stop()
