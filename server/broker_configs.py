"""The broker's own configs as DescribeConfigs reports them for a BROKER resource.

Two kinds: settings only the broker has (listeners, num.partitions, ...), and the ``log.*``-style
broker defaults that topic configs fall back to, which the storage layer already defines as the
synonyms of its topic configs, so they are listed from there rather than written twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from odradek.storage.config_def import ConfigDef
from odradek.storage.log_config import (
    DEFAULT_CONFIG,
    STATIC_BROKER_CONFIG,
    TOPIC_CONFIGS,
    ConfigEntry,
    ConfigSynonym,
)

from .broker_config import DEFAULT_DATA_DIR, DEFAULT_LISTENERS
from .log_maintenance import CLEANER_BACKOFF, CLEANER_ENABLE, RETENTION_CHECK_INTERVAL

# Settings fixed at start-up; Kafka reports them read-only.
BROKER_ONLY_CONFIGS = [
    ConfigDef("advertised.listeners", "string", None),
    ConfigDef("auto.create.topics.enable", "boolean", "true"),
    ConfigDef("broker.id", "int", "-1"),
    ConfigDef("controller.listener.names", "string", None),
    ConfigDef("default.replication.factor", "int", "1"),
    ConfigDef("delete.topic.enable", "boolean", "true"),
    ConfigDef("group.initial.rebalance.delay.ms", "int", "3000"),
    ConfigDef("listeners", "string", DEFAULT_LISTENERS),
    ConfigDef("log.dir", "string", DEFAULT_DATA_DIR),
    ConfigDef("log.dirs", "string", None),
    RETENTION_CHECK_INTERVAL,
    CLEANER_BACKOFF,
    CLEANER_ENABLE,
    ConfigDef("node.id", "int", None),
    ConfigDef("num.partitions", "int", "1"),
    ConfigDef("offsets.retention.minutes", "int", "10080"),
    ConfigDef("offsets.topic.num.partitions", "int", "50"),
    ConfigDef("offsets.topic.replication.factor", "short", "3"),
    ConfigDef("socket.receive.buffer.bytes", "int", "102400"),
    ConfigDef("socket.request.max.bytes", "int", "104857600"),
    ConfigDef("socket.send.buffer.bytes", "int", "102400"),
    ConfigDef("transaction.max.timeout.ms", "int", "900000"),
]


def _topic_default_configs() -> list[ConfigDef]:
    """One broker config per broker synonym of a topic config (``log.segment.bytes``, ...)."""
    defs: dict[str, ConfigDef] = {}
    for topic_def in TOPIC_CONFIGS.values():
        for synonym in topic_def.broker_synonyms:
            defs.setdefault(synonym.name, ConfigDef(synonym.name, topic_def.type, synonym.default))
    return list(defs.values())


_READ_ONLY = {d.name for d in BROKER_ONLY_CONFIGS}
_ALL = sorted(BROKER_ONLY_CONFIGS + _topic_default_configs(), key=lambda d: d.name)


def describe_broker_config(
    props: Mapping[str, str], node_id: int, dynamic: Sequence[tuple[int, Mapping[str, str]]] = ()
) -> list[ConfigEntry]:
    """``props`` are the static properties, ``dynamic`` the (source, configs) layers set at runtime,
    highest priority first; each config's synonyms list every layer that sets it, then its default."""
    layers = [*dynamic, (STATIC_BROKER_CONFIG, {**props, "node.id": props.get("node.id", str(node_id))})]
    entries = []
    for d in _ALL:
        synonyms = [ConfigSynonym(d.name, None if d.sensitive else values[d.name], source)
                    for source, values in layers if d.name in values]
        if d.default is not None or not synonyms:
            synonyms.append(ConfigSynonym(d.name, None if d.sensitive else d.default, DEFAULT_CONFIG))
        _, shown, source = synonyms[0]
        entries.append(ConfigEntry(
            name=d.name,
            value=shown,
            source=source,
            is_default=source == DEFAULT_CONFIG,
            read_only=d.name in _READ_ONLY,
            sensitive=d.sensitive,
            type=d.type,
            synonyms=synonyms,
        ))
    return entries
