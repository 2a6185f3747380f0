"""The broker's own configs as DescribeConfigs reports them for a BROKER resource.

Three kinds are listed: settings fixed at start-up (num.partitions, log.dirs, ...), the dynamic
ones Kafka lets AlterConfigs change (``dynamic_config_defs``, including the ``log.*`` broker
defaults of topic configs, which storage already defines as their synonyms), and any other name
some layer sets (a per-listener setting, a custom config).  Values, sources and synonyms follow
Kafka's rules: a config's synonyms are, layer by layer from the broker's own dynamic configs down
to the defaults, each of its names that the layer sets (``log.retention.ms``, then
``log.retention.minutes`` and ``log.retention.hours``; ``listener.name.l.ssl.keystore.type``,
then ``ssl.keystore.type``), less any leading ones not named after the config itself.

The broker resource named "" describes the cluster-wide defaults alone: the configs set there,
each with only that layer for synonyms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from odradek.storage.config_def import ConfigDef
from odradek.storage.log_config import (
    DEFAULT_CONFIG,
    DYNAMIC_DEFAULT_BROKER_CONFIG,
    STATIC_BROKER_CONFIG,
    TOPIC_CONFIGS,
    ConfigEntry,
    ConfigSynonym,
)

from .broker_config import DEFAULT_DATA_DIR
from .dynamic_config_defs import BROKER_SETTINGS, DYNAMIC_NAMES, listener_config
from .known_configs import config_type
from .log_maintenance import CLEANER_ENABLE, RETENTION_CHECK_INTERVAL

# Settings fixed at start-up that odradek lists with their Kafka defaults.
FIXED_CONFIGS = [
    ConfigDef("advertised.listeners", "list", None),
    ConfigDef("auto.create.topics.enable", "boolean", "true"),
    ConfigDef("broker.id", "int", "-1"),
    ConfigDef("controller.listener.names", "list", None),
    ConfigDef("default.replication.factor", "int", "1"),
    ConfigDef("delete.topic.enable", "boolean", "true"),
    ConfigDef("group.initial.rebalance.delay.ms", "int", "3000"),
    ConfigDef("log.dir", "list", DEFAULT_DATA_DIR),
    ConfigDef("log.dirs", "list", None),
    RETENTION_CHECK_INTERVAL,
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

#: SASL settings given per mechanism too (``listener.name.l.plain.sasl.jaas.config``).
MECHANISM_CONFIGS = ("sasl.jaas.config", "sasl.login.callback.handler.class", "sasl.login.class",
                     "sasl.server.callback.handler.class", "connections.max.reauth.ms")


def _topic_default_configs() -> list[ConfigDef]:
    """One broker config per broker synonym of a topic config (``log.segment.bytes``, ...)."""
    defs: dict[str, ConfigDef] = {}
    for topic_def in TOPIC_CONFIGS.values():
        for synonym in topic_def.broker_synonyms:
            kind = config_type(synonym.name) or topic_def.type  # log.retention.hours is an int, retention.ms a long
            defs.setdefault(synonym.name, ConfigDef(synonym.name, kind, synonym.default))
    return list(defs.values())


_DEFS: dict[str, ConfigDef] = {d.name: d for d in FIXED_CONFIGS + _topic_default_configs()
                               + list(BROKER_SETTINGS.values())}
_LISTED = sorted(name for name, d in _DEFS.items() if not d.internal)
#: The names one broker config goes by, in Kafka's order of priority (its brokerConfigSynonyms).
_SYNONYM_GROUPS = {synonym.name: [s.name for s in d.broker_synonyms]
                   for d in TOPIC_CONFIGS.values() if len(d.broker_synonyms) > 1 for synonym in d.broker_synonyms}
_SYNONYM_GROUPS.pop("log.flush.scheduler.interval.ms")  # a setting of its own too, as in Kafka


def describe_broker_config(
    props: Mapping[str, str], node_id: int, dynamic: Sequence[tuple[int, Mapping[str, str]]] = ()
) -> list[ConfigEntry]:
    """Every config of this broker. ``props`` are the static properties, ``dynamic`` the (source,
    configs) layers set at runtime, highest priority first."""
    layers = [*dynamic, (STATIC_BROKER_CONFIG, {**props, "node.id": props.get("node.id", str(node_id))})]
    named = set(_LISTED).union(*(values for _, values in layers))
    return [_entry(name, layers) for name in sorted(named)]


def describe_cluster_defaults(cluster_defaults: Mapping[str, str]) -> list[ConfigEntry]:
    """The cluster-wide defaults (the broker resource ""): the configs set there, and that layer only."""
    layers = [(DYNAMIC_DEFAULT_BROKER_CONFIG, cluster_defaults)]
    return [_entry(name, layers, only=DYNAMIC_DEFAULT_BROKER_CONFIG) for name in sorted(cluster_defaults)]


def _entry(name: str, layers: Sequence[tuple[int, Mapping[str, str]]], only: int | None = None) -> ConfigEntry:
    """One config's entry; with ``only``, its synonyms from that source alone."""
    kind = _type(name)
    sensitive = kind in (None, "password")  # a custom config's value might be a secret: Kafka hides it
    names = _synonym_names(name)
    synonyms = [ConfigSynonym(n, None if sensitive else values[n], source)
                for source, values in layers for n in names if n in values]
    synonyms += [ConfigSynonym(n, None if sensitive else _DEFS[n].default, DEFAULT_CONFIG)
                 for n in names if n in _DEFS and _DEFS[n].default is not None]
    while synonyms and synonyms[0].name != name:
        synonyms.pop(0)
    if only is not None:
        synonyms = [synonym for synonym in synonyms if synonym.source == only]
    if synonyms:
        value, source = synonyms[0].value, synonyms[0].source
    else:
        value, source = None if sensitive or name not in _DEFS else _DEFS[name].default, DEFAULT_CONFIG
    return ConfigEntry(name=name, value=value, source=source, is_default=source == DEFAULT_CONFIG,
                       read_only=name not in DYNAMIC_NAMES, sensitive=sensitive, type=kind, synonyms=synonyms)


def _type(name: str) -> str | None:
    """Kafka's type of a config (a per-listener one's is its config's), None for a custom config."""
    return _DEFS[name].type if name in _DEFS else config_type(name)


def _synonym_names(name: str) -> list[str]:
    config = listener_config(name)
    if config is not None:
        return [name, next((m for m in MECHANISM_CONFIGS if config.endswith(m)), config)]
    return _SYNONYM_GROUPS.get(name, [name])
