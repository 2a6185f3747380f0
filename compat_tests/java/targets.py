"""Which broker the official-tool tests run against: odradek (default) or, with
``ODRADEK_COMPAT_TARGET=kafka``, a real Apache Kafka, to prove the tests' expectations right."""

from __future__ import annotations

import os

import pytest

from ..broker_process import BrokerProcess
from .jars import JavaUnavailable, classpath
from .kafka_broker import KafkaBroker

TARGET = os.environ.get("ODRADEK_COMPAT_TARGET", "odradek")


def require_kafka_jars() -> None:
    """Install the jars (once) or skip: the official tools need a JVM and Maven."""
    try:
        classpath()
    except JavaUnavailable as missing:
        pytest.skip(f"Apache Kafka's tools need a JVM and Maven: {missing}")


def start_broker(data_dir, overrides: dict[str, object] | None = None):
    """The target broker, started; Kafka needs its jars (skips without a JVM or Maven)."""
    if TARGET == "kafka":
        require_kafka_jars()
        return KafkaBroker(data_dir, overrides).start()
    if TARGET != "odradek":
        raise ValueError(f"ODRADEK_COMPAT_TARGET must be odradek or kafka, not {TARGET!r}")
    return BrokerProcess(data_dir, overrides).start()


def stop_broker(broker) -> None:
    code = broker.stop()
    print(f"--- {TARGET} log ({broker.bootstrap}, exit code {code}) ---\n{broker.log_text()[-20000:]}")
    if TARGET == "odradek":
        assert code == 0, f"odradek exited with {code} on SIGTERM"
