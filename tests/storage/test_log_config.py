import dataclasses

import pytest

from odradek.storage.errors import InvalidConfigError
from odradek.storage.log_config import (
    DEFAULT_CONFIG,
    DYNAMIC_TOPIC_CONFIG,
    STATIC_BROKER_CONFIG,
    TOPIC_CONFIGS,
    ConfigSynonym,
    LogConfig,
    describe_topic_config,
    validate_topic_configs,
)

LONG_MAX = str(2**63 - 1)

# Kafka 4.x topic configs: (type, default, primary broker synonym)
KAFKA_TOPIC_CONFIGS = {
    "cleanup.policy": ("list", "delete", "log.cleanup.policy"),
    "compression.gzip.level": ("int", "-1", "compression.gzip.level"),
    "compression.lz4.level": ("int", "9", "compression.lz4.level"),
    "compression.type": ("string", "producer", "compression.type"),
    "compression.zstd.level": ("int", "3", "compression.zstd.level"),
    "delete.retention.ms": ("long", "86400000", "log.cleaner.delete.retention.ms"),
    "file.delete.delay.ms": ("long", "60000", "log.segment.delete.delay.ms"),
    "flush.messages": ("long", LONG_MAX, "log.flush.interval.messages"),
    "flush.ms": ("long", LONG_MAX, "log.flush.interval.ms"),
    "follower.replication.throttled.replicas": ("list", "", None),
    "index.interval.bytes": ("int", "4096", "log.index.interval.bytes"),
    "leader.replication.throttled.replicas": ("list", "", None),
    "local.retention.bytes": ("long", "-2", "log.local.retention.bytes"),
    "local.retention.ms": ("long", "-2", "log.local.retention.ms"),
    "max.compaction.lag.ms": ("long", LONG_MAX, "log.cleaner.max.compaction.lag.ms"),
    "max.message.bytes": ("int", "1048588", "message.max.bytes"),
    "message.timestamp.after.max.ms": ("long", "3600000", "log.message.timestamp.after.max.ms"),
    "message.timestamp.before.max.ms": ("long", LONG_MAX, "log.message.timestamp.before.max.ms"),
    "message.timestamp.type": ("string", "CreateTime", "log.message.timestamp.type"),
    "min.cleanable.dirty.ratio": ("double", "0.5", "log.cleaner.min.cleanable.ratio"),
    "min.compaction.lag.ms": ("long", "0", "log.cleaner.min.compaction.lag.ms"),
    "min.insync.replicas": ("int", "1", "min.insync.replicas"),
    "preallocate": ("boolean", "false", "log.preallocate"),
    "remote.log.copy.disable": ("boolean", "false", None),
    "remote.log.delete.on.disable": ("boolean", "false", None),
    "remote.storage.enable": ("boolean", "false", None),
    "retention.bytes": ("long", "-1", "log.retention.bytes"),
    "retention.ms": ("long", "604800000", "log.retention.ms"),
    "segment.bytes": ("int", "1073741824", "log.segment.bytes"),
    "segment.index.bytes": ("int", "10485760", "log.index.size.max.bytes"),
    "segment.jitter.ms": ("long", "0", "log.roll.jitter.ms"),
    "segment.ms": ("long", "604800000", "log.roll.ms"),
    "unclean.leader.election.enable": ("boolean", "false", "unclean.leader.election.enable"),
}


def test_topic_configs_match_kafka():
    public = {name: (d.type, d.default, d.broker_synonym) for name, d in TOPIC_CONFIGS.items() if not d.internal}
    assert public == KAFKA_TOPIC_CONFIGS


def test_every_config_has_a_log_config_attribute():
    fields = {f.name for f in dataclasses.fields(LogConfig)} - {"overrides"}
    assert fields == {name.replace(".", "_") for name in KAFKA_TOPIC_CONFIGS}


def test_defaults_are_typed():
    config = LogConfig.from_props({}, {})
    assert config.segment_bytes == 1073741824
    assert config.index_interval_bytes == 4096
    assert config.max_message_bytes == 1048588
    assert config.message_timestamp_type == "CreateTime" and not config.log_append_time
    assert config.retention_ms == 604800000
    assert config.cleanup_policy == ("delete",)
    assert config.min_cleanable_dirty_ratio == 0.5
    assert config.preallocate is False
    assert config.flush_ms == 2**63 - 1


def test_broker_properties_supply_defaults_and_topic_overrides_win():
    broker = {"log.segment.bytes": "2097152", "message.max.bytes": "500",
              "log.message.timestamp.type": "LogAppendTime"}
    config = LogConfig.from_props(broker, {"max.message.bytes": "700"})
    assert config.segment_bytes == 2097152
    assert config.max_message_bytes == 700
    assert config.log_append_time


def test_broker_synonyms_are_converted_and_prioritised():
    assert LogConfig.from_props({"log.retention.hours": "2"}, {}).retention_ms == 2 * 3_600_000
    assert LogConfig.from_props({"log.retention.minutes": "3", "log.retention.hours": "2"}, {}).retention_ms == 180_000
    assert LogConfig.from_props({"log.retention.ms": "5", "log.retention.minutes": "3"}, {}).retention_ms == 5
    assert LogConfig.from_props({"log.roll.hours": "1"}, {}).segment_ms == 3_600_000
    assert LogConfig.from_props({"log.flush.scheduler.interval.ms": "9"}, {}).flush_ms == 9


def test_internal_segment_bytes_overrides_the_roll_size():
    config = LogConfig.from_props({}, {"internal.segment.bytes": "1000", "segment.bytes": "2000000"})
    assert config.segment_bytes == 1000


def test_parsing_trims_and_normalises():
    overrides = {"preallocate": " TRUE ", "cleanup.policy": "compact, delete", "retention.ms": " 42"}
    config = LogConfig.from_props({}, overrides)
    assert config.preallocate is True
    assert config.cleanup_policy == ("compact", "delete")
    assert config.retention_ms == 42
    assert LogConfig.from_props({}, {"cleanup.policy": ""}).cleanup_policy == ()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"no.such.config": "1"}, "Unknown topic config name: no.such.config"),
        ({"retention.ms": "soon"}, "Invalid value soon for configuration retention.ms: Not a number of type LONG"),
        ({"segment.bytes": "1000"},
         "Invalid value 1000 for configuration segment.bytes: Value must be at least 1048576"),
        ({"max.message.bytes": "3000000000"}, "Not a number of type INT"),
        ({"retention.ms": "-2"}, "Value must be at least -1"),
        ({"message.timestamp.type": "Now"}, "String must be one of: CreateTime, LogAppendTime"),
        ({"preallocate": "yes"}, "Expected value to be either true or false"),
        ({"cleanup.policy": "delete,shred"}, "String must be one of: compact, delete"),
        ({"cleanup.policy": "delete,delete"}, "Values must not be duplicated"),
        ({"min.cleanable.dirty.ratio": "1.5"}, "Value must be no more than 1"),
        ({"min.cleanable.dirty.ratio": "x"}, "Not a number of type DOUBLE"),
        ({"compression.type": "brotli"}, "String must be one of"),
        ({"compression.gzip.level": "0"}, "Value must be between 1 and 9 or -1"),
        ({"leader.replication.throttled.replicas": "0:1,x"}, "[partitionId]:[brokerId]"),
        ({"retention.ms": None}, "Null value not supported"),
        ({"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"},
         "min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"),
        ({"remote.storage.enable": "true"}, "Tiered Storage functionality is disabled"),
    ],
)
def test_invalid_overrides_are_rejected(overrides, message):
    with pytest.raises(InvalidConfigError) as excinfo:
        validate_topic_configs(overrides)
    assert message in str(excinfo.value)
    assert excinfo.value.error_code == 40


def test_valid_overrides_pass():
    validate_topic_configs({
        "cleanup.policy": "compact", "leader.replication.throttled.replicas": "*", "compression.gzip.level": "-1",
        "compression.zstd.level": "-5", "segment.bytes": "1048576", "internal.segment.bytes": "100",
    })


def test_bad_broker_properties_are_rejected():
    with pytest.raises(InvalidConfigError, match="log.segment.bytes"):
        LogConfig.from_props({"log.segment.bytes": "big"}, {})


def _entries(broker, overrides):
    return {e.name: e for e in describe_topic_config(broker, overrides)}


def test_describe_lists_public_configs_sorted():
    entries = describe_topic_config({}, {})
    assert [e.name for e in entries] == sorted(KAFKA_TOPIC_CONFIGS)
    assert all(not e.read_only and not e.sensitive for e in entries)


def test_describe_default_value():
    entry = _entries({}, {})["segment.bytes"]
    assert (entry.value, entry.source, entry.is_default, entry.type) == ("1073741824", DEFAULT_CONFIG, True, "int")
    assert entry.synonyms == [ConfigSynonym("log.segment.bytes", "1073741824", DEFAULT_CONFIG)]


def test_describe_topic_override_comes_first():
    entry = _entries({"log.segment.bytes": "2097152"}, {"segment.bytes": "3145728"})["segment.bytes"]
    assert (entry.value, entry.source, entry.is_default) == ("3145728", DYNAMIC_TOPIC_CONFIG, False)
    assert entry.synonyms == [
        ("segment.bytes", "3145728", DYNAMIC_TOPIC_CONFIG),
        ("log.segment.bytes", "2097152", STATIC_BROKER_CONFIG),
        ("log.segment.bytes", "1073741824", DEFAULT_CONFIG),
    ]


def test_describe_static_broker_value():
    entry = _entries({"log.retention.ms": "100", "log.retention.hours": "1"}, {})["retention.ms"]
    assert (entry.value, entry.source) == ("100", STATIC_BROKER_CONFIG)
    assert entry.synonyms == [
        ("log.retention.ms", "100", STATIC_BROKER_CONFIG),
        ("log.retention.hours", "1", STATIC_BROKER_CONFIG),
        ("log.retention.hours", "168", DEFAULT_CONFIG),
    ]


def test_describe_drops_synonyms_not_led_by_the_primary_one_like_kafka():
    entry = _entries({}, {})["retention.ms"]
    assert (entry.value, entry.source, entry.synonyms) == ("604800000", DEFAULT_CONFIG, [])
    hours_only = _entries({"log.retention.hours": "1"}, {})["retention.ms"]
    assert hours_only.value == "3600000" and hours_only.synonyms == []


def test_describe_formats_lists_and_doubles():
    entries = _entries({}, {"cleanup.policy": "compact , delete", "min.cleanable.dirty.ratio": "0.25"})
    assert entries["cleanup.policy"].value == "compact,delete"
    assert entries["min.cleanable.dirty.ratio"].value == "0.25"
    assert entries["leader.replication.throttled.replicas"].value == ""
