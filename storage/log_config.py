"""Kafka's topic-level configs: definitions, effective values, and DescribeConfigs entries.

A topic's effective config is resolved per key, first match wins: the topic's
own override, then the broker properties that are its synonyms (in Kafka's
priority order, e.g. ``log.retention.ms`` > ``log.retention.minutes`` >
``log.retention.hours``), then Kafka's default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .config_def import (
    BrokerSynonym,
    ConfigDef,
    at_least,
    between,
    level_or_default,
    list_of,
    one_of,
    throttled_replicas,
)
from .errors import InvalidConfigError

LONG_MAX = str((1 << 63) - 1)
_HOUR_MS = 3_600_000
_MINUTE_MS = 60_000

#: DescribeConfigs config sources used for topics.
DYNAMIC_TOPIC_CONFIG = 1
DYNAMIC_BROKER_CONFIG = 2  # set at runtime for this broker (AlterConfigs on its id)
DYNAMIC_DEFAULT_BROKER_CONFIG = 3  # set at runtime for every broker (AlterConfigs on the "" broker)
STATIC_BROKER_CONFIG = 4
DEFAULT_CONFIG = 5

#: Kafka's test-only topic config that lets segments be smaller than segment.bytes' 1 MiB minimum.
INTERNAL_SEGMENT_BYTES = "internal.segment.bytes"


def _same(name: str, default: str) -> tuple[BrokerSynonym, ...]:
    return (BrokerSynonym(name, default),)


_DEFS = [
    ConfigDef("cleanup.policy", "list", "delete", _same("log.cleanup.policy", "delete"), list_of("compact", "delete")),
    ConfigDef("compression.gzip.level", "int", "-1", _same("compression.gzip.level", "-1"), level_or_default(1, 9, -1)),
    ConfigDef("compression.lz4.level", "int", "9", _same("compression.lz4.level", "9"), between(1, 17)),
    ConfigDef(
        "compression.type", "string", "producer", _same("compression.type", "producer"),
        one_of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
    ),
    ConfigDef("compression.zstd.level", "int", "3", _same("compression.zstd.level", "3"), between(-131072, 22)),
    ConfigDef(
        "delete.retention.ms", "long", "86400000", _same("log.cleaner.delete.retention.ms", "86400000"), at_least(0)
    ),
    ConfigDef("file.delete.delay.ms", "long", "60000", _same("log.segment.delete.delay.ms", "60000"), at_least(0)),
    ConfigDef("flush.messages", "long", LONG_MAX, _same("log.flush.interval.messages", LONG_MAX), at_least(1)),
    ConfigDef(
        "flush.ms", "long", LONG_MAX,
        (BrokerSynonym("log.flush.interval.ms"), BrokerSynonym("log.flush.scheduler.interval.ms", LONG_MAX)),
        at_least(0),
    ),
    ConfigDef("follower.replication.throttled.replicas", "list", "", (), throttled_replicas),
    ConfigDef("index.interval.bytes", "int", "4096", _same("log.index.interval.bytes", "4096"), at_least(0)),
    ConfigDef("leader.replication.throttled.replicas", "list", "", (), throttled_replicas),
    ConfigDef("local.retention.bytes", "long", "-2", _same("log.local.retention.bytes", "-2"), at_least(-2)),
    ConfigDef("local.retention.ms", "long", "-2", _same("log.local.retention.ms", "-2"), at_least(-2)),
    ConfigDef(
        "max.compaction.lag.ms", "long", LONG_MAX, _same("log.cleaner.max.compaction.lag.ms", LONG_MAX), at_least(1)
    ),
    ConfigDef("max.message.bytes", "int", "1048588", _same("message.max.bytes", "1048588"), at_least(0)),
    ConfigDef(
        "message.timestamp.after.max.ms", "long", "3600000",
        _same("log.message.timestamp.after.max.ms", "3600000"), at_least(0),
    ),
    ConfigDef(
        "message.timestamp.before.max.ms", "long", LONG_MAX,
        _same("log.message.timestamp.before.max.ms", LONG_MAX), at_least(0),
    ),
    ConfigDef(
        "message.timestamp.type", "string", "CreateTime", _same("log.message.timestamp.type", "CreateTime"),
        one_of("CreateTime", "LogAppendTime"),
    ),
    ConfigDef(
        "min.cleanable.dirty.ratio", "double", "0.5", _same("log.cleaner.min.cleanable.ratio", "0.5"), between(0, 1)
    ),
    ConfigDef("min.compaction.lag.ms", "long", "0", _same("log.cleaner.min.compaction.lag.ms", "0"), at_least(0)),
    ConfigDef("min.insync.replicas", "int", "1", _same("min.insync.replicas", "1"), at_least(1)),
    ConfigDef("preallocate", "boolean", "false", _same("log.preallocate", "false")),
    ConfigDef("remote.log.copy.disable", "boolean", "false"),
    ConfigDef("remote.log.delete.on.disable", "boolean", "false"),
    ConfigDef("remote.storage.enable", "boolean", "false"),
    ConfigDef("retention.bytes", "long", "-1", _same("log.retention.bytes", "-1")),
    ConfigDef(
        "retention.ms", "long", "604800000",
        (
            BrokerSynonym("log.retention.ms"),
            BrokerSynonym("log.retention.minutes", scale=_MINUTE_MS),
            BrokerSynonym("log.retention.hours", "168", scale=_HOUR_MS),
        ),
        at_least(-1),
    ),
    ConfigDef("segment.bytes", "int", "1073741824", _same("log.segment.bytes", "1073741824"), at_least(1024 * 1024)),
    ConfigDef("segment.index.bytes", "int", "10485760", _same("log.index.size.max.bytes", "10485760"), at_least(4)),
    ConfigDef(
        "segment.jitter.ms", "long", "0",
        (BrokerSynonym("log.roll.jitter.ms"), BrokerSynonym("log.roll.jitter.hours", "0", scale=_HOUR_MS)),
        at_least(0),
    ),
    ConfigDef(
        "segment.ms", "long", "604800000",
        (BrokerSynonym("log.roll.ms"), BrokerSynonym("log.roll.hours", "168", scale=_HOUR_MS)),
        at_least(1),
    ),
    ConfigDef("unclean.leader.election.enable", "boolean", "false", _same("unclean.leader.election.enable", "false")),
    ConfigDef(INTERNAL_SEGMENT_BYTES, "int", None, (), at_least(1), internal=True),
]

#: Every topic-level config Kafka 4.x accepts, by name.
TOPIC_CONFIGS: dict[str, ConfigDef] = {d.name: d for d in _DEFS}


@dataclass(frozen=True)
class LogConfig:
    """Typed, effective config of one topic; one attribute per config, dots → underscores.

    ``segment_bytes`` is the size segments actually roll at: ``internal.segment.bytes``
    when set, else ``segment.bytes``.
    """

    cleanup_policy: tuple[str, ...]
    compression_gzip_level: int
    compression_lz4_level: int
    compression_type: str
    compression_zstd_level: int
    delete_retention_ms: int
    file_delete_delay_ms: int
    flush_messages: int
    flush_ms: int
    follower_replication_throttled_replicas: tuple[str, ...]
    index_interval_bytes: int
    leader_replication_throttled_replicas: tuple[str, ...]
    local_retention_bytes: int
    local_retention_ms: int
    max_compaction_lag_ms: int
    max_message_bytes: int
    message_timestamp_after_max_ms: int
    message_timestamp_before_max_ms: int
    message_timestamp_type: str
    min_cleanable_dirty_ratio: float
    min_compaction_lag_ms: int
    min_insync_replicas: int
    preallocate: bool
    remote_log_copy_disable: bool
    remote_log_delete_on_disable: bool
    remote_storage_enable: bool
    retention_bytes: int
    retention_ms: int
    segment_bytes: int
    segment_index_bytes: int
    segment_jitter_ms: int
    segment_ms: int
    unclean_leader_election_enable: bool
    overrides: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def log_append_time(self) -> bool:
        return self.message_timestamp_type == "LogAppendTime"

    @classmethod
    def from_props(cls, broker_props: Mapping[str, str], overrides: Mapping[str, str]) -> LogConfig:
        """Resolve every config; raises InvalidConfigError for unknown override names or bad values."""
        _check_names(overrides)
        values = {
            name.replace(".", "_"): _resolve(d, broker_props, overrides) for name, d in TOPIC_CONFIGS.items()
        }
        internal_segment_bytes = values.pop(INTERNAL_SEGMENT_BYTES.replace(".", "_"))
        if internal_segment_bytes is not None:
            values["segment_bytes"] = internal_segment_bytes
        config = cls(**values, overrides=dict(overrides))
        if config.min_compaction_lag_ms > config.max_compaction_lag_ms:
            raise InvalidConfigError(
                f"conflict topic config setting min.compaction.lag.ms ({config.min_compaction_lag_ms}) > "
                f"max.compaction.lag.ms ({config.max_compaction_lag_ms})"
            )
        return config


class ConfigSynonym(NamedTuple):
    name: str
    value: str | None
    source: int


@dataclass(frozen=True)
class ConfigEntry:
    """One row of a DescribeConfigs answer. ``type`` is the ConfigDef type name ("long", ...), None
    for a config of unknown type (a custom broker config); ``documentation`` what the config does,
    where odradek says (sent only when the request asks for it)."""

    name: str
    value: str | None
    source: int
    is_default: bool
    read_only: bool
    sensitive: bool
    type: str | None
    synonyms: list[ConfigSynonym]
    documentation: str | None = None


def validate_topic_configs(overrides: Mapping[str, str]) -> None:
    """Check names and values of topic overrides as Kafka's CreateTopics/AlterConfigs do."""
    config = LogConfig.from_props({}, overrides)
    if config.remote_storage_enable:
        raise InvalidConfigError(
            "Tiered Storage functionality is disabled in the broker. "
            "Topic cannot be configured with remote log storage."
        )


def describe_topic_config(
    broker_props: Mapping[str, str],
    overrides: Mapping[str, str],
    dynamic: Sequence[tuple[int, Mapping[str, str]]] = (),
) -> list[ConfigEntry]:
    """All public topic configs, sorted by name, with values, sources and synonyms as Kafka reports them.

    ``broker_props`` are the static broker properties; ``dynamic`` the broker configs set at
    runtime, as (source, properties) layers, highest priority first, all above the static ones.
    """
    layers = [*dynamic, (STATIC_BROKER_CONFIG, broker_props)]
    effective = {name: value for _, props in reversed(layers) for name, value in props.items()}
    entries = []
    for name, d in sorted(TOPIC_CONFIGS.items()):
        if d.internal:
            continue
        value = _resolve(d, effective, overrides)
        shown = None if d.sensitive or value is None else d.to_string(value)
        synonyms = _broker_synonyms(d, layers)
        if name in overrides:
            synonyms.insert(0, ConfigSynonym(name, shown, DYNAMIC_TOPIC_CONFIG))
        source = synonyms[0].source if synonyms else DEFAULT_CONFIG
        entries.append(
            ConfigEntry(
                name=name,
                value=shown,
                source=source,
                is_default=source == DEFAULT_CONFIG,
                read_only=False,
                sensitive=d.sensitive,
                type=d.type,
                synonyms=synonyms,
            )
        )
    return entries


def _check_names(overrides: Mapping[str, str]) -> None:
    for name in overrides:
        if name not in TOPIC_CONFIGS:
            raise InvalidConfigError(f"Unknown topic config name: {name}")


def _resolve(d: ConfigDef, broker_props: Mapping[str, str], overrides: Mapping[str, str]) -> Any:
    """The typed effective value of one config (None only for an unset internal config)."""
    if d.name in overrides:
        return d.parse(overrides[d.name])
    for synonym in d.broker_synonyms:
        if synonym.name in broker_props:
            return d.parse(broker_props[synonym.name], scale=synonym.scale, label=synonym.name)
    return None if d.default is None else d.parse(d.default)


def _broker_synonyms(d: ConfigDef, layers: Sequence[tuple[int, Mapping[str, str]]]) -> list[ConfigSynonym]:
    """Kafka lists set broker properties (each synonym in every layer that sets it), then broker
    defaults, and drops any leading entries not named after the primary synonym (so
    ``log.retention.hours=168`` alone shows no synonyms for retention.ms, exactly as Kafka does)."""
    found = [
        ConfigSynonym(s.name, None if d.sensitive else props[s.name], source)
        for s in d.broker_synonyms
        for source, props in layers
        if s.name in props
    ]
    found += [ConfigSynonym(s.name, s.default, DEFAULT_CONFIG) for s in d.broker_synonyms if s.default is not None]
    while found and found[0].name != d.broker_synonym:
        found.pop(0)
    return found
