"""``odradek serve`` as an operator meets it: mistakes in one line, warnings as Kafka words them.

Each start-up mistake runs the real command as a subprocess and checks what the person at the
terminal gets: a non-zero exit (2 for configuration, 1 for the machine), and a stderr of exactly
one line that names the thing to fix, with no traceback.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .broker_process import BrokerProcess

TIMEOUT = 30


def serve(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``odradek serve`` expecting it to refuse to start (bounded, in case it does not)."""
    return subprocess.run([sys.executable, "-m", "odradek.tools.cli", "serve", *argv], cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)


def one_line(ran: subprocess.CompletedProcess) -> str:
    lines = ran.stderr.splitlines()
    assert "Traceback" not in ran.stderr, ran.stderr
    assert len(lines) == 1, ran.stderr
    return lines[0]


def test_a_port_in_use_is_named_and_nothing_is_written(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = serve("--host", "127.0.0.1", "--port", str(port), "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert ran.returncode == 1
    assert one_line(ran) == (f"odradek serve: cannot listen on PLAINTEXT://127.0.0.1:{port}: "
                             f"port {port} is already in use")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("argv, message", [
    (["--override", "num.partitions=abc"],
     "Invalid value abc for configuration num.partitions: Not a number of type INT"),
    (["--override", "log.retention.ms=soon"],
     "Invalid value soon for configuration log.retention.ms: Not a number of type LONG"),
    (["--override", "listeners=SASL_SSL://:9094"],
     "listener SASL_SSL (SASL_SSL) has no key and certificate: set ssl.keystore.type=PEM and ssl.keystore.location"),
    (["--override", "listeners=PLAINTEXT://:0,SSL://:0"],
     "listener SSL (SSL) has no key and certificate: set ssl.keystore.type=PEM and ssl.keystore.location"),
    (["--override", "listeners=PLAINTEXT://:0,SSL://:0", "--override", "ssl.keystore.location=/etc/kafka/broker.jks"],
     "ssl.keystore.type=JKS: odradek reads PEM keys and certificates only; convert the store to PEM and set "
     "ssl.keystore.type=PEM (needed by ssl.keystore.location)"),
    (["--override", "listeners=PLAINTEXT://:0,SSL://:0", "--override", "ssl.keystore.type=PEM",
      "--override", "ssl.keystore.location=/no/such/broker.pem"],
     "ssl.keystore.location=/no/such/broker.pem: no such file"),
    (["--override", "ssl.keystore.type=JKS"],
     "ssl.keystore.type=JKS: odradek reads PEM keystores only; convert it to PEM and set ssl.keystore.type=PEM"),
    (["--override", "sasl.kerberos.service.name=kafka"],
     "sasl.kerberos.service.name: odradek does not serve this security setting yet"),
    (["--override", "listeners=SASL_PLAINTEXT://:0"],
     "listener SASL_PLAINTEXT: sasl.enabled.mechanisms is unset, and Kafka's default is GSSAPI; odradek does not "
     "serve GSSAPI: set sasl.enabled.mechanisms (or listener.name.sasl_plaintext.sasl.enabled.mechanisms) to some "
     "of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER"),
    (["--override", "process.roles=controller"], "process.roles=controller: odradek is a broker"),
    (["--override", "num.partitions"], "--override: override must look like key=value"),
    (["/no/such/server.properties"], "cannot read properties file /no/such/server.properties"),
    (["--override", "zookeeper.connect=127.0.0.1:1"],
     "broker.id: a cluster member needs its own broker.id (or node.id)"),
    (["--override", "zookeeper.connect=zk:nope", "--override", "broker.id=1"],
     "zookeeper.connect: 'zk:nope' in 'zk:nope' is not host:port"),
    (["--override", "replica.selector.class=com.example.Nearest", "--override", "zookeeper.connect=zk:2181",
      "--override", "broker.id=1"], "replica.selector.class: com.example.Nearest is not available"),
    (["--override", "group.share.max.size=5000"],
     "Invalid value 5000 for configuration group.share.max.size: Value must be no more than 1000"),
    (["--override", "group.share.heartbeat.interval.ms=50000"],
     "group.share.heartbeat.interval.ms must be less than or equal to group.share.max.heartbeat.interval.ms"),
    (["--override", "share.version=2"],
     "Invalid value 2 for configuration share.version: the supported feature levels are 0 to 1"),
])
def test_configuration_mistakes_are_one_line_with_exit_code_2(tmp_path, argv, message):
    ran = serve(*argv, "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert ran.returncode == 2
    assert one_line(ran).startswith(f"odradek serve: {message}")
    assert not (tmp_path / "data").exists()


def test_an_unreachable_zookeeper_is_one_line(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there once the socket closes
    ran = serve("--port", "0", "--data-dir", str(tmp_path / "data"), "--override", f"zookeeper.connect=127.0.0.1:{port}",
                "--override", "broker.id=1", "--override", "zookeeper.connection.timeout.ms=1000", cwd=tmp_path)
    assert ran.returncode == 1
    assert one_line(ran) == (f"odradek serve: zookeeper.connect: could not connect to ZooKeeper at 127.0.0.1:{port} "
                             f"within 1000 ms (zookeeper.connection.timeout.ms)")


@pytest.mark.parametrize("argv, message", [
    (["--log-level", "verbose"], "odradek serve: argument --log-level: unknown log level 'verbose'"),
    (["--port", "ninety"], "odradek serve: argument --port: invalid int value: 'ninety'"),
])
def test_flag_mistakes_are_one_line_with_exit_code_2(tmp_path, argv, message):
    ran = serve(*argv, cwd=tmp_path)
    assert ran.returncode == 2
    assert one_line(ran).startswith(message)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    ran = subprocess.run([sys.executable, "-m", "odradek.tools.cli", flag], capture_output=True, text=True,
                         timeout=TIMEOUT)
    assert ran.returncode == 0
    assert re.fullmatch(r"odradek \d+\.\d+\.\d+\S*\n", ran.stdout)


@pytest.mark.parametrize("level", ["WARNING", "error"])
def test_the_ready_and_stopped_lines_print_at_every_log_level(tmp_path, level):
    broker = BrokerProcess(tmp_path / "data", log_level=level).start()  # waits for the ready line
    assert broker.stop() == 0
    log = broker.log_text()
    assert "odradek stopped: logs flushed and closed" in log
    assert " INFO Loaded " not in log  # the level still applies to everything else


def test_unknown_properties_get_kafkas_warning_and_the_broker_starts(tmp_path):
    properties = tmp_path / "server.properties"
    properties.write_text("num.partition=3\nnum.network.threads=3\nlog.retention.hour=1\n")
    broker = BrokerProcess(tmp_path / "data", overrides={"auto.create.topic.enable": "false"},
                           properties_file=properties).start()
    assert broker.stop() == 0
    warnings = [line for line in broker.log_text().splitlines() if " WARN" in line]
    for name in ("num.partition", "log.retention.hour", "auto.create.topic.enable"):
        assert any(f"The configuration '{name}' was supplied but isn't a known config." in w for w in warnings)
    assert not any("num.network.threads" in w for w in warnings)


def test_kafkas_kraft_sample_configuration_starts_a_broker_with_warnings(tmp_path):
    """Kafka 4's config/server.properties (KRaft, a controller listener) is read, not refused."""
    properties = tmp_path / "server.properties"
    properties.write_text(
        "process.roles=broker,controller\n"
        "node.id=1\n"
        "controller.quorum.bootstrap.servers=localhost:9093\n"
        "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"
        "inter.broker.listener.name=PLAINTEXT\n"
        "advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093\n"
        "controller.listener.names=CONTROLLER\n"
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,"
        "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL\n"
        "num.network.threads=3\n"
        "log.dirs=/tmp/kraft-combined-logs\n"
        "offsets.topic.replication.factor=1\n"
    )
    broker = BrokerProcess(tmp_path / "data", properties_file=properties).start()
    assert broker.stop() == 0
    log = broker.log_text()
    assert "not opening the KRaft controller listener CONTROLLER://:9093" in log
    assert "process.roles, controller.quorum.bootstrap.servers: KRaft settings are ignored" in log


def test_each_listener_advertises_its_own_address(tmp_path, clients):
    """Metadata answers with the endpoint of the listener the client came in on, as Kafka does."""
    broker = BrokerProcess(tmp_path / "data", overrides={
        "listeners": "PLAINTEXT://127.0.0.1:0,EXTERNAL://127.0.0.1:0",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT",
    }).start()
    try:
        ready = re.search(r"advertised as PLAINTEXT://127\.0\.0\.1:(\d+), EXTERNAL://127\.0\.0\.1:(\d+)",
                          broker.log_text())
        assert ready, broker.log_text()
        plaintext, external = int(ready[1]), int(ready[2])
        assert plaintext == broker.port and external != plaintext
        for port in (plaintext, external):
            admin = clients.kp_admin(broker, bootstrap_servers=f"127.0.0.1:{port}")
            described = admin.describe_cluster()
            assert [(b["host"], b["port"]) for b in described["brokers"]] == [("127.0.0.1", port)]
    finally:
        clients.close_all()
        assert broker.stop() == 0
