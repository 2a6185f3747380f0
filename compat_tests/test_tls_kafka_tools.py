"""Apache Kafka's console tools over TLS, configured as their manuals say: a ``--command-config``
file with ``security.protocol=SSL`` and PEM stores (Kafka 2.7+).

``ODRADEK_COMPAT_TARGET=kafka`` runs the same tests against Apache Kafka with the same SSL
listener settings, proving what the tools print and where they fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .broker_process import BrokerProcess
from .certificates import KEY_PASSWORD, make_certificates
from .java.jvm_app import free_port
from .java.kafka_broker import KafkaBroker
from .java.kafka_tool import CONSOLE_CONSUMER, CONSOLE_PRODUCER, TOPICS, run_tool
from .java.targets import TARGET, require_kafka_jars, stop_broker

pytestmark = pytest.mark.usefixtures("kafka_jars")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def ssl_broker(certs, tmp_path_factory):
    """The target broker with a PLAINTEXT listener and an SSL one requiring client certificates
    (yields the broker and the SSL listener's address)."""
    data = tmp_path_factory.mktemp("data")
    ssl_port = free_port()
    tls = {
        "ssl.keystore.type": "PEM", "ssl.keystore.location": certs.broker.keystore,
        "ssl.key.password": KEY_PASSWORD, "ssl.truststore.type": "PEM", "ssl.truststore.location": certs.ca,
        "listener.name.ssl.ssl.client.auth": "required",
    }
    if TARGET == "kafka":
        require_kafka_jars()
        broker = KafkaBroker(data)
        broker.overrides.update(tls, **{
            "listeners": f"PLAINTEXT://127.0.0.1:{broker.port},CONTROLLER://127.0.0.1:{broker.controller_port},"
                         f"SSL://127.0.0.1:{ssl_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{broker.port},SSL://127.0.0.1:{ssl_port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL",
        })
        broker.start()
    else:
        broker = BrokerProcess(data, {**tls, "listeners": f"PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:{ssl_port}"}).start()
    yield broker, f"127.0.0.1:{ssl_port}"
    stop_broker(broker)


def command_config(path: Path, certs, identity=None, *extra: str) -> str:
    lines = ["security.protocol=SSL", "ssl.truststore.type=PEM", f"ssl.truststore.location={certs.ca}", *extra]
    if identity is not None:
        lines += ["ssl.keystore.type=PEM", f"ssl.keystore.location={identity.keystore}"]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_console_tools_over_ssl_with_a_client_certificate(ssl_broker, certs, tmp_path):
    _, address = ssl_broker
    config = command_config(tmp_path / "client.properties", certs, certs.alice)
    created = run_tool(TOPICS, "--bootstrap-server", address, "--command-config", config,
                       "--create", "--topic", "tls-tools", "--partitions", "1")
    assert created.lines() == ["Created topic tls-tools."]
    run_tool(CONSOLE_PRODUCER, "--bootstrap-server", address, "--topic", "tls-tools", "--command-config", config,
             stdin="".join(f"line {i}\n" for i in range(5)))
    consumed = run_tool(CONSOLE_CONSUMER, "--bootstrap-server", address, "--topic", "tls-tools",
                        "--command-config", config, "--from-beginning", "--max-messages", "5",
                        "--timeout-ms", "30000")
    assert consumed.lines() == [f"line {i}" for i in range(5)]
    assert "Processed a total of 5 messages" in consumed.stderr


@pytest.mark.parametrize("who", ["no certificate", "expired", "untrusted"])
def test_a_tool_without_a_good_client_certificate_is_refused(ssl_broker, certs, tmp_path, who):
    _, address = ssl_broker
    identity = {"no certificate": None, "expired": certs.expired, "untrusted": certs.stranger}[who]
    config = command_config(tmp_path / "client.properties", certs, identity, "default.api.timeout.ms=15000",
                            "request.timeout.ms=10000")
    listed = run_tool(TOPICS, "--bootstrap-server", address, "--command-config", config, "--list", check=False)
    # the handshake is refused with a TLS alert: an SSL authentication failure at once, exit code 1
    assert listed.returncode == 1
    assert "SslAuthenticationException" in listed.stdout + listed.stderr
