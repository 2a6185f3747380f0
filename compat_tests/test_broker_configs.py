"""Broker configs at runtime: which ones AlterConfigs may change and where, how each refusal is
worded, and what DescribeConfigs then reports (values, sources, synonyms, read-only flags),
including the cluster-wide ``min.insync.replicas`` default a new Kafka 4 cluster starts with.

These run against Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``), which shows that what they
expect is what Kafka 4.3 does. They leave per-listener settings unapplied: a KRaft broker refuses
every later change while one it cannot act on is set.
"""

from __future__ import annotations

import time

import pytest
from kafka.record.default_records import DefaultRecordBatchBuilder

from odradek.server.dynamic_config_defs import DYNAMIC_NAMES, LISTENER_ONLY, PER_BROKER_NAMES, definition
from odradek.wire import ApiKey, ErrorCode

from .clients import wait_until
from .java.kafka_tool import CONFIGS, run_tool
from .java.targets import require_kafka_jars

RUNS_AGAINST_KAFKA_TOO = True
TOPIC, BROKER = 2, 4
SET, DELETE = 0, 1
DYNAMIC_BROKER, DYNAMIC_DEFAULT, STATIC, DEFAULT = 2, 3, 4, 5
STRING, INT, LONG = 2, 3, 5
UNKNOWN_TYPE = 0
NODE = "1"


def alter(wire, name: str, changes: list[tuple[str, int, str | None]], validate_only: bool = False):
    answer = wire.send(ApiKey.INCREMENTAL_ALTER_CONFIGS, 1, {"validate_only": validate_only, "resources": [{
        "resource_type": BROKER, "resource_name": name,
        "configs": [{"name": key, "config_operation": operation, "value": value}
                    for key, operation, value in changes]}]})
    [result] = answer.responses
    return result.error_code, result.error_message


def describe(wire, resource_type: int, name: str, keys: list[str] | None = None) -> dict[str, tuple]:
    """name -> (value, source, read_only, sensitive, type, synonyms) of each config described."""
    answer = wire.send(ApiKey.DESCRIBE_CONFIGS, 4, {"include_synonyms": True, "include_documentation": False,
                                                    "resources": [{"resource_type": resource_type,
                                                                   "resource_name": name,
                                                                   "configuration_keys": keys}]})
    [result] = answer.results
    assert result.error_code == ErrorCode.NONE, result.error_message
    return {c.name: (c.value, c.config_source, c.read_only, c.is_sensitive, c.config_type,
                     [(s.name, s.value, s.source) for s in c.synonyms]) for c in result.configs}


def test_a_new_cluster_starts_with_min_insync_replicas_as_its_one_default(wire, module_broker, topic):
    """Kafka 4's controller writes it (for eligible leader replicas); first in this module, before
    the other tests set cluster-wide defaults of their own."""
    assert describe(wire, BROKER, "") == {"min.insync.replicas": (
        "1", DYNAMIC_DEFAULT, False, False, INT, [("min.insync.replicas", "1", DYNAMIC_DEFAULT)])}
    assert describe(wire, BROKER, NODE, ["min.insync.replicas"])["min.insync.replicas"] == (
        "1", DYNAMIC_DEFAULT, False, False, INT,
        [("min.insync.replicas", "1", DYNAMIC_DEFAULT), ("min.insync.replicas", "1", DEFAULT)])

    created = wire.send(ApiKey.CREATE_TOPICS, 7, {"timeout_ms": 30_000, "validate_only": False, "topics": [
        {"name": topic, "num_partitions": 1, "replication_factor": 1, "assignments": [], "configs": []}]})
    [result] = created.topics
    sources = {c.name: (c.value, c.config_source) for c in result.configs if c.config_source != DEFAULT}
    assert sources == {"min.insync.replicas": ("1", DYNAMIC_DEFAULT)}
    assert describe(wire, TOPIC, topic, ["min.insync.replicas"])["min.insync.replicas"] == (
        "1", DYNAMIC_DEFAULT, False, False, INT,
        [("min.insync.replicas", "1", DYNAMIC_DEFAULT), ("min.insync.replicas", "1", DEFAULT)])

    removal = "Cluster-level min.insync.replicas cannot be removed while ELR is enabled."
    assert alter(wire, "", [("min.insync.replicas", DELETE, None)]) == (ErrorCode.INVALID_CONFIG, removal)
    replaced = wire.send(ApiKey.ALTER_CONFIGS, 2, {"validate_only": False, "resources": [{
        "resource_type": BROKER, "resource_name": "", "configs": [{"name": "log.retention.ms", "value": "1"}]}]})
    assert [(r.error_code, r.error_message) for r in replaced.responses] == [(ErrorCode.INVALID_CONFIG, removal)]

    require_kafka_jars()
    shown = run_tool(CONFIGS, "--bootstrap-server", module_broker.bootstrap, "--describe",
                     "--entity-type", "brokers", "--entity-default").lines()
    assert shown == ["Default configs for brokers in the cluster are:",
                     "  min.insync.replicas=1 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:"
                     "min.insync.replicas=1}"]


SAMPLE_VALUES = {"password": "secret", "string": "value"}
NOT_SAMPLED = {"listeners", "listener.security.protocol.map"}  # Kafka checks them against its listeners


def test_every_dynamic_broker_config_may_be_changed(wire):
    """Each at its default (or a sample value): for one listener where Kafka wants that, for this
    broker where it must be, cluster-wide otherwise."""
    tried = 0
    for name in sorted(DYNAMIC_NAMES - NOT_SAMPLED):
        config = definition(name)
        value = config.default if config.default is not None else SAMPLE_VALUES.get(config.type)
        if value is None:
            continue  # a class with no default: Kafka would load whatever it is given
        key = f"listener.name.external.{name}" if name in LISTENER_ONLY else name
        resource = NODE if name in PER_BROKER_NAMES else ""
        assert alter(wire, resource, [(key, SET, value)], validate_only=True) == (ErrorCode.NONE, None), key
        tried += 1
    assert tried > 90


@pytest.mark.parametrize("resource, changes, code, message", [
    ("", [("num.partitions", SET, "3")], ErrorCode.INVALID_REQUEST,
     "Cannot update these configs dynamically: [num.partitions]"),
    (NODE, [("log.cleaner.enable", SET, "false")], ErrorCode.INVALID_REQUEST,
     "Cannot update these configs dynamically: [log.cleaner.enable]"),
    ("", [("log.retention.hours", SET, "3")], ErrorCode.INVALID_REQUEST,
     "Cannot update these configs dynamically: [log.retention.hours]"),
    (NODE, [("ssl.keystore.type", SET, "PKCS12")], ErrorCode.INVALID_REQUEST,
     "These security configs can be dynamically updated only per-listener using the listener prefix: "
     "[ssl.keystore.type]"),
    ("", [("message.max.bytes", SET, "abc")], ErrorCode.INVALID_REQUEST,
     "Invalid value abc for configuration message.max.bytes: Not a number of type INT"),
    ("", [("num.io.threads", SET, "0")], ErrorCode.INVALID_REQUEST,
     "Invalid value 0 for configuration num.io.threads: Value must be at least 1"),
    (NODE, [("listener.name.external.ssl.client.auth", SET, "maybe")], ErrorCode.INVALID_REQUEST,
     "Invalid value maybe for configuration ssl.client.auth: String must be one of: required, requested, none"),
    ("", [("listener.name.external.ssl.keystore.type", SET, "PKCS12")], ErrorCode.INVALID_REQUEST,
     "Cannot update these configs at default cluster level, broker id must be specified: "
     "[listener.name.external.ssl.keystore.type]"),
    ("", [("sasl.kerberos.service.name", SET, "kafka")], ErrorCode.INVALID_REQUEST,
     "Cannot update these configs at default cluster level, broker id must be specified: "
     "[sasl.kerberos.service.name]"),
    ("", [("num.io.threads", SET, "100")], ErrorCode.INVALID_REQUEST,
     "Invalid value org.apache.kafka.common.config.ConfigException: Dynamic thread count update validation "
     "failed for num.io.threads=100, value should not be greater than double the current value 8 for "
     "configuration Invalid dynamic configuration"),
    ("", [("background.threads", SET, "4")], ErrorCode.INVALID_REQUEST,
     "Invalid value org.apache.kafka.common.config.ConfigException: Dynamic thread count update validation "
     "failed for background.threads=4, value should be at least half the current value 10 for configuration "
     "Invalid dynamic configuration"),
    ("", [("log.cleaner.threads", SET, "5")], ErrorCode.INVALID_REQUEST,
     "Invalid value org.apache.kafka.common.config.ConfigException: Log cleaner threads cannot be increased to "
     "more than double the current value 1 for configuration Invalid dynamic configuration"),
    ("", [("log.cleaner.dedupe.buffer.size", SET, "1048575")], ErrorCode.INVALID_REQUEST,
     "requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread."),
    (NODE, [("listeners", SET, "oops")], ErrorCode.INVALID_REQUEST,
     "Error creating broker listeners from '[oops]': Unable to parse oops to a broker endpoint"),
    ("7", [("num.io.threads", SET, "9")], ErrorCode.INVALID_REQUEST, "Unexpected broker id, expected 1, but received 7"),
    ("one", [("num.io.threads", SET, "9")], ErrorCode.INVALID_REQUEST, "Node id must be an integer, but it is: one"),
    ("", [("log.retention.ms", SET, None)], ErrorCode.INVALID_REQUEST, "Null value not supported for : log.retention.ms"),
    (NODE, [("num.io.threads", 2, "9")], ErrorCode.INVALID_CONFIG,
     "Config value append is not allowed for config key: num.io.threads"),
])
def test_refused_changes_get_kafkas_answer(wire, resource, changes, code, message):
    assert alter(wire, resource, changes) == (code, message)


def test_changes_are_described_with_their_sources_and_synonyms(wire, module_broker):
    assert alter(wire, "", [("num.io.threads", SET, "12"), ("log.cleaner.backoff.ms", SET, "5000"),
                            ("custom.setting", SET, "x")]) == (ErrorCode.NONE, None)
    assert alter(wire, NODE, [("num.io.threads", SET, "16"), ("max.connections", SET, "1000")]) == (ErrorCode.NONE, None)
    keys = ["num.io.threads", "log.cleaner.backoff.ms", "max.connections", "custom.setting", "log.cleaner.enable",
            "log.retention.hours", "num.partitions"]
    expected = {
        "num.io.threads": ("16", DYNAMIC_BROKER, False, False, INT, [
            ("num.io.threads", "16", DYNAMIC_BROKER), ("num.io.threads", "12", DYNAMIC_DEFAULT),
            ("num.io.threads", "8", DEFAULT)]),
        "log.cleaner.backoff.ms": ("5000", DYNAMIC_DEFAULT, False, False, LONG, [
            ("log.cleaner.backoff.ms", "5000", DYNAMIC_DEFAULT), ("log.cleaner.backoff.ms", "15000", DEFAULT)]),
        "max.connections": ("1000", DYNAMIC_BROKER, False, False, INT, [
            ("max.connections", "1000", DYNAMIC_BROKER), ("max.connections", "2147483647", DEFAULT)]),
        # a name Kafka does not know: kept, and shown as a secret of unknown type
        "custom.setting": (None, DYNAMIC_DEFAULT, True, True, UNKNOWN_TYPE, [("custom.setting", None, DYNAMIC_DEFAULT)]),
        "log.cleaner.enable": ("true", DEFAULT, True, False, 1, [("log.cleaner.enable", "true", DEFAULT)]),
        "log.retention.hours": ("168", DEFAULT, True, False, INT, [("log.retention.hours", "168", DEFAULT)]),
        "num.partitions": ("1", DEFAULT, True, False, INT, [("num.partitions", "1", DEFAULT)]),
    }
    # Kafka's broker takes a change from its metadata log a moment after answering
    wait_until(lambda: describe(wire, BROKER, NODE, keys) == expected, what="the changes described")
    assert describe(wire, BROKER, NODE, keys) == expected
    cluster = describe(wire, BROKER, "")
    assert {name: entry[:2] for name, entry in cluster.items()} == {
        "num.io.threads": ("12", DYNAMIC_DEFAULT), "log.cleaner.backoff.ms": ("5000", DYNAMIC_DEFAULT),
        "custom.setting": (None, DYNAMIC_DEFAULT), "min.insync.replicas": ("1", DYNAMIC_DEFAULT)}
    assert cluster["num.io.threads"][5] == [("num.io.threads", "12", DYNAMIC_DEFAULT)]

    require_kafka_jars()
    shown = run_tool(CONFIGS, "--bootstrap-server", module_broker.bootstrap, "--describe",
                     "--entity-type", "brokers", "--entity-name", NODE).lines()
    assert shown[0] == f"Dynamic configs for broker {NODE} are:"
    assert sorted(shown[1:]) == [
        "  max.connections=1000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:max.connections=1000, "
        "DEFAULT_CONFIG:max.connections=2147483647}",
        "  num.io.threads=16 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:num.io.threads=16, "
        "DYNAMIC_DEFAULT_BROKER_CONFIG:num.io.threads=12, DEFAULT_CONFIG:num.io.threads=8}"]

    assert alter(wire, NODE, [("num.io.threads", DELETE, None), ("max.connections", DELETE, None)])[0] == 0
    assert alter(wire, "", [(name, DELETE, None) for name in ("num.io.threads", "log.cleaner.backoff.ms",
                                                              "custom.setting")])[0] == 0
    wait_until(lambda: set(describe(wire, BROKER, "")) == {"min.insync.replicas"}, what="the defaults removed")


def test_message_max_bytes_applies_to_every_topic_at_once(wire, topic):
    created = wire.send(ApiKey.CREATE_TOPICS, 7, {"timeout_ms": 30_000, "validate_only": False, "topics": [
        {"name": topic, "num_partitions": 1, "replication_factor": 1, "assignments": [], "configs": []}]})
    assert created.topics[0].error_code == ErrorCode.NONE
    assert alter(wire, "", [("message.max.bytes", SET, "2000")]) == (ErrorCode.NONE, None)
    try:
        refused = _wait_for_produce_error(wire, topic, ErrorCode.MESSAGE_TOO_LARGE)
        assert refused == ErrorCode.MESSAGE_TOO_LARGE
    finally:
        assert alter(wire, "", [("message.max.bytes", DELETE, None)]) == (ErrorCode.NONE, None)
    assert _wait_for_produce_error(wire, topic, ErrorCode.NONE) == ErrorCode.NONE


def _wait_for_produce_error(wire, topic: str, expected: int, timeout: float = 15.0) -> int:
    """Produce one 5000-byte record until the answer is ``expected`` (Kafka's new topic and its
    config change take a moment to reach the broker); the last answer's error code."""
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    builder.append(0, timestamp=int(time.time() * 1000), key=b"k", value=b"x" * 5000, headers=[])
    records = bytes(builder.build())
    deadline = time.monotonic() + timeout
    while True:
        answer = wire.send(ApiKey.PRODUCE, 9, {"transactional_id": None, "acks": -1, "timeout_ms": 10_000,
                                               "topic_data": [{"name": topic, "partition_data": [
                                                   {"index": 0, "records": records}]}]})
        code = answer.responses[0].partition_responses[0].error_code
        if code == expected or time.monotonic() > deadline:
            return code
        time.sleep(0.1)
