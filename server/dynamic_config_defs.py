"""Which broker configs AlterConfigs may change while the broker runs: Kafka 4.3's list, as data.

Kafka calls them dynamic broker configs (``DynamicBrokerConfig.ALL_DYNAMIC_CONFIGS``): the broker
defaults of topic configs (``log.retention.ms``, ``message.max.bytes``, ...: the first broker
synonym of each of storage's topic configs, so not repeated here), and the settings below, each
with Kafka's type, default (as DescribeConfigs shows it) and validator.  Every other config Kafka
knows (``server.known_configs``) is fixed at start-up; a name Kafka does not know is a custom
config, accepted and stored as Kafka does.

Kafka also says where each may be set: ``PER_BROKER`` ones only for one broker, by its id, never
as a cluster-wide default; ``LISTENER_ONLY`` ones only for one listener
(``listener.name.<listener>.ssl.keystore.location``).  Any config may be given for one listener;
such a setting is per broker unless its config is one of ``CLUSTER_WIDE_PER_LISTENER``.
``THREAD_POOLS`` may at most halve or double at a time.  ``compat_tests/test_known_configs.py``
compares all of this with Kafka's own jars.

odradek acts on those it has a use for (the topic defaults, ``log.cleaner.backoff.ms``,
``producer.id.expiration.ms``); the others, which size thread pools, TLS, SASL, quotas and tiered
storage odradek does not have, are stored and reported, so that tools see what Kafka would show.
"""

from __future__ import annotations

import re

from odradek.storage.config_def import ConfigDef, at_least, one_of
from odradek.storage.log_config import LONG_MAX, TOPIC_CONFIGS
from odradek.storage.producer_state_config import PRODUCER_ID_EXPIRATION

from .listener_config import DEFAULT_LISTENERS, DEFAULT_PROTOCOL_MAP
from .log_maintenance import CLEANER_BACKOFF

INT_MAX = str((1 << 31) - 1)
DOUBLE_MAX = "1.7976931348623157E308"  # Java's Double.MAX_VALUE, as Kafka prints it


def _internal(d: ConfigDef) -> ConfigDef:
    """A dynamic config Kafka does not list in DescribeConfigs until it is set (the replication quotas)."""
    return ConfigDef(d.name, d.type, d.default, validator=d.validator, internal=True)


#: Settable for this broker or as the cluster-wide default (the broker resource named "").
CLUSTER_WIDE: tuple[ConfigDef, ...] = (
    ConfigDef("background.threads", "int", "10", validator=at_least(1)),
    ConfigDef("config.providers", "list", ""),
    ConfigDef("follower.fetch.last.tiered.offset.enable", "boolean", "false"),
    _internal(ConfigDef("follower.replication.throttled.rate", "long", LONG_MAX, validator=at_least(0))),
    ConfigDef("group.consumer.assignment.interval.ms", "int", "1000", validator=at_least(0)),
    ConfigDef("group.coordinator.cached.buffer.max.bytes", "int", "1048588", validator=at_least(524288)),
    ConfigDef("group.share.assignment.interval.ms", "int", "1000", validator=at_least(0)),
    ConfigDef("group.streams.assignment.interval.ms", "int", "1000", validator=at_least(0)),
    _internal(ConfigDef("leader.replication.throttled.rate", "long", LONG_MAX, validator=at_least(0))),
    CLEANER_BACKOFF,
    ConfigDef("log.cleaner.dedupe.buffer.size", "long", "134217728"),
    ConfigDef("log.cleaner.io.buffer.load.factor", "double", "0.9"),
    ConfigDef("log.cleaner.io.buffer.size", "int", "524288", validator=at_least(0)),
    ConfigDef("log.cleaner.io.max.bytes.per.second", "double", DOUBLE_MAX),
    ConfigDef("log.cleaner.threads", "int", "1", validator=at_least(0)),
    ConfigDef("max.connection.creation.rate", "int", INT_MAX, validator=at_least(0)),
    ConfigDef("max.connections", "int", INT_MAX, validator=at_least(0)),
    ConfigDef("max.connections.per.ip", "int", INT_MAX, validator=at_least(0)),
    ConfigDef("max.connections.per.ip.overrides", "string", ""),
    ConfigDef("metric.reporters", "list", "org.apache.kafka.common.metrics.JmxReporter"),
    ConfigDef("num.io.threads", "int", "8", validator=at_least(1)),
    ConfigDef("num.network.threads", "int", "3", validator=at_least(1)),
    ConfigDef("num.recovery.threads.per.data.dir", "int", "2", validator=at_least(1)),
    ConfigDef("num.replica.fetchers", "int", "1", validator=at_least(1)),
    PRODUCER_ID_EXPIRATION,
    ConfigDef("remote.fetch.max.wait.ms", "int", "500", validator=at_least(1)),
    ConfigDef("remote.list.offsets.request.timeout.ms", "long", "30000", validator=at_least(1)),
    ConfigDef("remote.log.index.file.cache.total.size.bytes", "long", "1073741824", validator=at_least(1)),
    ConfigDef("remote.log.manager.copier.thread.pool.size", "int", "10", validator=at_least(1)),
    ConfigDef("remote.log.manager.copy.max.bytes.per.second", "long", LONG_MAX, validator=at_least(1)),
    ConfigDef("remote.log.manager.expiration.thread.pool.size", "int", "10", validator=at_least(1)),
    ConfigDef("remote.log.manager.fetch.max.bytes.per.second", "long", LONG_MAX, validator=at_least(1)),
    ConfigDef("remote.log.manager.follower.thread.pool.size", "int", "2", validator=at_least(1)),
    ConfigDef("remote.log.reader.threads", "int", "10", validator=at_least(1)),
    _internal(ConfigDef("replica.alter.log.dirs.io.max.bytes.per.second", "long", LONG_MAX, validator=at_least(0))),
    ConfigDef("share.coordinator.cached.buffer.max.bytes", "int", "1048588", validator=at_least(524288)),
    ConfigDef("transaction.partition.verification.enable", "boolean", "true"),
)

#: Settable only for one broker, by its id: its listeners and their security.
PER_BROKER: tuple[ConfigDef, ...] = (
    ConfigDef("cordoned.log.dirs", "list", ""),
    ConfigDef("listener.security.protocol.map", "string", DEFAULT_PROTOCOL_MAP),
    ConfigDef("listeners", "list", DEFAULT_LISTENERS),
    ConfigDef("principal.builder.class", "class",
              "org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder"),
    ConfigDef("sasl.enabled.mechanisms", "list", "GSSAPI"),
    ConfigDef("sasl.jaas.config", "password", None),
    ConfigDef("sasl.kerberos.kinit.cmd", "string", "/usr/bin/kinit"),
    ConfigDef("sasl.kerberos.min.time.before.relogin", "long", "60000"),
    ConfigDef("sasl.kerberos.principal.to.local.rules", "list", "DEFAULT"),
    ConfigDef("sasl.kerberos.service.name", "string", None),
    ConfigDef("sasl.kerberos.ticket.renew.jitter", "double", "0.05"),
    ConfigDef("sasl.kerberos.ticket.renew.window.factor", "double", "0.8"),
    ConfigDef("sasl.login.refresh.buffer.seconds", "short", "300"),
    ConfigDef("sasl.login.refresh.min.period.seconds", "short", "60"),
    ConfigDef("sasl.login.refresh.window.factor", "double", "0.8"),
    ConfigDef("sasl.login.refresh.window.jitter", "double", "0.05"),
    ConfigDef("sasl.mechanism.inter.broker.protocol", "string", "GSSAPI"),
    ConfigDef("ssl.cipher.suites", "list", ""),
    ConfigDef("ssl.client.auth", "string", "none", validator=one_of("required", "requested", "none")),
    ConfigDef("ssl.enabled.protocols", "list", "TLSv1.2,TLSv1.3"),
    ConfigDef("ssl.endpoint.identification.algorithm", "string", "https"),
    ConfigDef("ssl.engine.factory.class", "class", None),
    ConfigDef("ssl.key.password", "password", None),
    ConfigDef("ssl.keymanager.algorithm", "string", "SunX509"),
    ConfigDef("ssl.keystore.certificate.chain", "password", None),
    ConfigDef("ssl.keystore.key", "password", None),
    ConfigDef("ssl.keystore.location", "string", None),
    ConfigDef("ssl.keystore.password", "password", None),
    ConfigDef("ssl.keystore.type", "string", "JKS"),
    ConfigDef("ssl.protocol", "string", "TLSv1.3"),
    ConfigDef("ssl.provider", "string", None),
    ConfigDef("ssl.secure.random.implementation", "string", None),
    ConfigDef("ssl.trustmanager.algorithm", "string", "PKIX"),
    ConfigDef("ssl.truststore.certificates", "password", None),
    ConfigDef("ssl.truststore.location", "string", None),
    ConfigDef("ssl.truststore.password", "password", None),
    ConfigDef("ssl.truststore.type", "string", "JKS"),
)

#: Keystores and truststores: only ever per listener (Kafka's DYNAMIC_SECURITY_CONFIGS).
LISTENER_ONLY = frozenset({
    "ssl.key.password", "ssl.keystore.certificate.chain", "ssl.keystore.key", "ssl.keystore.location",
    "ssl.keystore.password", "ssl.keystore.type", "ssl.truststore.certificates", "ssl.truststore.location",
    "ssl.truststore.password", "ssl.truststore.type",
})

#: Per-listener settings that may still be cluster-wide defaults (``listener.name.l.max.connections``).
CLUSTER_WIDE_PER_LISTENER = frozenset({"max.connections", "max.connection.creation.rate", "num.network.threads"})

#: Thread counts Kafka lets change by at most half or double at a time.
THREAD_POOLS = frozenset({"num.io.threads", "num.network.threads", "num.replica.fetchers",
                          "num.recovery.threads.per.data.dir", "background.threads"})

#: The topic configs' broker defaults that may change at runtime: each one's first synonym
#: (``log.retention.ms``, not ``log.retention.hours``), name -> the topic config.
TOPIC_DEFAULTS: dict[str, ConfigDef] = {d.broker_synonym: d for d in TOPIC_CONFIGS.values() if d.broker_synonym}

#: Every dynamic broker config but the topic defaults, by name.
BROKER_SETTINGS: dict[str, ConfigDef] = {d.name: d for d in CLUSTER_WIDE + PER_BROKER}

#: Every config name Kafka lets AlterConfigs change on a broker.
DYNAMIC_NAMES = frozenset(TOPIC_DEFAULTS) | frozenset(BROKER_SETTINGS)

#: Settable only for one broker, by name.
PER_BROKER_NAMES = frozenset(d.name for d in PER_BROKER)

_LISTENER_CONFIG = re.compile(r"listener\.name\.[^.]*\.(.*)")


def listener_config(name: str) -> str | None:
    """The config a per-listener setting sets (``ssl.keystore.type`` for
    ``listener.name.internal.ssl.keystore.type``), None for any other name."""
    match = _LISTENER_CONFIG.fullmatch(name)
    return match.group(1) if match else None


def definition(name: str) -> ConfigDef | None:
    """The dynamic config ``name`` sets, directly or for one listener, if it is one."""
    config = listener_config(name) or name
    return BROKER_SETTINGS.get(config) or TOPIC_DEFAULTS.get(config)
