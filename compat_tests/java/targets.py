"""Which broker the official-tool tests run against: odradek (default) or, with
``ODRADEK_COMPAT_TARGET=kafka``, a real Apache Kafka, to prove the tests' expectations right."""

from __future__ import annotations

import os

import pytest

from ..broker_process import BrokerProcess
from .jars import JavaUnavailable, apps_classpath, classpath
from .kafka_broker import KafkaBroker

TARGET = os.environ.get("ODRADEK_COMPAT_TARGET", "odradek")


def require_kafka_jars() -> None:
    """Install the jars (once) or skip: the official tools need a JVM and Maven."""
    try:
        classpath()
    except JavaUnavailable as missing:
        pytest.skip(f"Apache Kafka's tools need a JVM and Maven: {missing}")


def require_apps_jars() -> None:
    """Install Kafka Connect's and Kafka Streams' jars (once) or skip: they need a JVM and Maven."""
    try:
        apps_classpath()
    except JavaUnavailable as missing:
        pytest.skip(f"Kafka Connect and Kafka Streams need a JVM and Maven: {missing}")


def start_broker(data_dir, overrides: dict[str, object] | None = None):
    """The target broker, started; Kafka needs its jars (skips without a JVM or Maven)."""
    if TARGET == "kafka":
        require_kafka_jars()
        return KafkaBroker(data_dir, overrides).start()
    if TARGET != "odradek":
        raise ValueError(f"ODRADEK_COMPAT_TARGET must be odradek or kafka, not {TARGET!r}")
    return BrokerProcess(data_dir, overrides).start()


def start_sasl_broker(data_dir, overrides: dict[str, object], protocol: str = "SASL_PLAINTEXT"):
    """The target broker with its client port on a SASL_PLAINTEXT (or SASL_SSL) listener, named
    after its protocol and configured by ``overrides`` (``sasl.enabled.mechanisms``,
    ``listener.name.sasl_plaintext.*``, ``ssl.*``). Kafka gets a ScramLoginModule JAAS entry for
    each SCRAM mechanism, as it requires one per mechanism; the PLAINTEXT listener it talks to
    itself on is ``User:ANONYMOUS``'s, which an authorizer then counts among the super users."""
    if TARGET == "kafka":
        require_kafka_jars()
        prefix = f"listener.name.{protocol.lower()}"
        scram = {f"{prefix}.{m.lower()}.sasl.jaas.config":
                 "org.apache.kafka.common.security.scram.ScramLoginModule required;"
                 for m in str(overrides.get("sasl.enabled.mechanisms", "")).split(",") if m.startswith("SCRAM-")}
        overrides = dict(overrides)
        if "authorizer.class.name" in overrides:
            overrides["super.users"] = ";".join(filter(None, [str(overrides.get("super.users", "")), "User:ANONYMOUS"]))
        return KafkaBroker(data_dir, {**scram, **overrides}, client_protocol=protocol).start()
    if TARGET != "odradek":
        raise ValueError(f"ODRADEK_COMPAT_TARGET must be odradek or kafka, not {TARGET!r}")
    return BrokerProcess(data_dir, {"listeners": f"{protocol}://127.0.0.1:0", **overrides}).start()


def stop_broker(broker) -> None:
    code = broker.stop()
    print(f"--- {TARGET} log ({broker.bootstrap}, exit code {code}) ---\n{broker.log_text()[-20000:]}")
    if TARGET == "odradek":
        assert code == 0, f"odradek exited with {code} on SIGTERM"
