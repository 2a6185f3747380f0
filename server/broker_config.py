"""The broker's configuration: Kafka property names, Kafka defaults, plus odradek's CLI flags.

Everything a user sets stays in ``props`` under its Kafka name, so DescribeConfigs can report it
and the storage layer can read the ``log.*`` settings it owns.

Security settings are checked for every broker (``refuse_security_settings``, ``authorizer_enabled``),
but the TLS and SASL code is imported only to build what a listener that uses it needs: a plaintext
broker never imports it (start-up time).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from odradek.storage.config_def import ConfigDef
from odradek.storage.errors import InvalidConfigError
from odradek.storage.log_config import LogConfig

from .connection_limits import ConnectionLimits
from .known_configs import config_type
from .listener_config import DEFAULT_LISTENERS, ListenerConfig, uses_sasl, uses_tls
from .listeners import Listener, parse_listeners
from .properties import parse_override, parse_properties
from .security.acl.authorizer_config import authorizer_enabled
from .security_settings import refuse_security_settings
from .startup_error import ConfigError

if TYPE_CHECKING:
    import ssl

    from .security.inter_broker import InterBrokerSecurity
    from .security.sasl.listener_sasl import ListenerSasl
    from .security.tls_context import ListenerTls

log = logging.getLogger("odradek.server")

DEFAULT_DATA_DIR = "./odradek-data"
#: KRaft's own settings: read from Kafka's sample configurations without complaint, but unused.
KRAFT_SETTINGS = ("process.roles", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
                  "metadata.log.dir")


@dataclass
class BrokerConfig:
    props: dict[str, str] = field(default_factory=dict)  # only what the user set, by Kafka name

    @classmethod
    def load(
        cls,
        properties_file: str | None = None,
        overrides: list[str] = (),
        host: str | None = None,
        port: int | None = None,
        data_dir: str | None = None,
    ) -> "BrokerConfig":
        """The configuration from a properties file, ``--override`` items and flags (later wins);
        ConfigError names whatever is wrong."""
        props: dict[str, str] = {}
        if properties_file:
            props.update(parse_properties(_read_properties(properties_file)))
        for item in overrides:
            try:
                props.update([parse_override(item)])
            except ValueError as exc:
                raise ConfigError(f"--override: {exc}") from None
        if host is not None or port is not None:
            props["listeners"] = _with_first_listener(props, host, port)
        if data_dir is not None:
            props["log.dirs"] = data_dir
            props.pop("log.dir", None)
        config = cls(props)
        config.validate()
        config.warn_about_unused()
        return config

    def get(self, name: str, default: str) -> str:
        return self.props.get(name, default)

    def get_int(self, name: str, default: int) -> int:
        return int(self.props.get(name, default))

    def get_bool(self, name: str, default: bool) -> bool:
        value = self.props.get(name)
        return default if value is None else value.strip().lower() == "true"

    def validate(self) -> None:
        """Fail at start-up, not at the first request, on a setting we cannot honour (ConfigError)."""
        refuse_security_settings(self.props)
        authorizer_enabled(self.props)
        for name, value in self.props.items():
            kind = config_type(name)
            if kind is not None:
                try:
                    ConfigDef(name, kind, None).parse(value)
                except InvalidConfigError as exc:
                    raise ConfigError(str(exc)) from None
        roles = {role.strip().lower() for role in self.get("process.roles", "").split(",") if role.strip()}
        if roles and "broker" not in roles:
            raise ConfigError(f"process.roles={self.props['process.roles']}: odradek is a broker and cannot run "
                              f"as a KRaft controller alone")
        if self.fetch_session_cache_slots < 0:
            raise ConfigError(f"Invalid value {self.fetch_session_cache_slots} for configuration "
                              f"max.incremental.fetch.session.cache.slots: Value must be at least 0")
        self.listener_config
        self.listener_tls
        self.inter_broker_tls
        self.sasl_listeners
        self.inter_broker_security
        self.log_dirs
        self.connection_limits
        queued = self.queued_max_request_bytes
        if 0 < queued < self.socket_request_max_bytes:
            raise ConfigError("queued.max.request.bytes must be larger or equal to socket.request.max.bytes")
        try:
            LogConfig.from_props(self.props, {})  # the log.* defaults every topic falls back to
        except InvalidConfigError as exc:
            raise ConfigError(str(exc)) from None

    def warn_about_unused(self) -> None:
        """Kafka's warning for names it does not know (typos, mostly), and one for KRaft's settings."""
        for name in self.props:
            if config_type(name) is None:
                log.warning("The configuration '%s' was supplied but isn't a known config.", name)
        kraft = [name for name in KRAFT_SETTINGS if name in self.props]
        if kraft:
            log.warning("%s: KRaft settings are ignored: odradek runs as a single broker, or as a ZooKeeper "
                        "cluster member with zookeeper.connect", ", ".join(kraft))

    @property
    def fetch_session_cache_slots(self) -> int:
        """max.incremental.fetch.session.cache.slots: how many fetch sessions (KIP-227) the broker keeps."""
        return self.get_int("max.incremental.fetch.session.cache.slots", 1000)

    @property
    def node_id(self) -> int:
        if "node.id" in self.props:
            return int(self.props["node.id"])
        return int(self.props.get("broker.id", "1"))

    @property
    def cluster_broker_id(self) -> int:
        """The id set by ``broker.id`` or ``node.id``, or -1: a cluster member must be given one."""
        for name in ("broker.id", "node.id"):
            if name in self.props:
                return int(self.props[name])
        return -1

    @cached_property
    def listener_config(self) -> ListenerConfig:
        return ListenerConfig.from_props(self.props)

    @cached_property
    def listener_tls(self) -> dict[str, ListenerTls]:
        """Each TLS listener's context, by listener name: built (and every store read) at start-up."""
        protocols = {name: protocol for name, protocol in self.listener_config.protocols.items() if uses_tls(protocol)}
        if not protocols:
            return {}
        from .security.tls_context import listener_tls  # only with a TLS listener: start-up time

        return {name: listener_tls(self.props, name, protocol) for name, protocol in protocols.items()}

    @cached_property
    def inter_broker_tls(self) -> ssl.SSLContext | None:
        """The client context for reaching other brokers, when the inter-broker listener is TLS."""
        name = self.listener_config.inter_broker
        protocol = self.listener_config.protocols[name]
        if not uses_tls(protocol):
            return None
        from .security.tls_context import client_context  # only with TLS: start-up time

        return client_context(self.props, name, protocol)

    @cached_property
    def inter_broker_security(self) -> InterBrokerSecurity | None:
        """TLS and SASL for reaching other brokers (cluster mode), None on a PLAINTEXT inter-broker
        listener. A broker alone never connects to another, so it needs no SASL login of its own."""
        name = self.listener_config.inter_broker
        sasl = None
        if self.props.get("zookeeper.connect", "").strip() and uses_sasl(self.listener_config.protocols[name]):
            from .security.sasl.inter_broker_login import inter_broker_login  # only with SASL: start-up time

            sasl = inter_broker_login(self.props, self.sasl_listeners[name])
        tls = self.inter_broker_tls
        if tls is None and sasl is None:
            return None
        from .security.inter_broker import InterBrokerSecurity  # only with TLS or SASL: start-up time

        return InterBrokerSecurity(tls, sasl)

    @cached_property
    def sasl_listeners(self) -> dict[str, ListenerSasl]:
        """Each SASL listener's mechanisms and credentials, by listener name."""
        names = [name for name, protocol in self.listener_config.protocols.items() if uses_sasl(protocol)]
        if not names:
            return {}
        from .security.sasl.listener_sasl import listener_sasl  # only with a SASL listener: start-up time

        return {name: listener_sasl(self.props, name) for name in names}

    @property
    def listener(self) -> Listener:
        """The first client listener (the one ``--host`` and ``--port`` set)."""
        return self.listener_config.first

    @property
    def advertised(self) -> Listener:
        """Where clients of the first listener are told to connect."""
        return self.listener_config.advertised[self.listener.name]

    @property
    def log_dirs(self) -> list[Path]:
        """``log.dirs`` (else ``log.dir``), comma-separated: the log directories, the first of
        which holds the metadata. Raises ConfigError for none, or one named twice (as Kafka does)."""
        text = self.props.get("log.dirs") or self.props.get("log.dir") or DEFAULT_DATA_DIR
        names = [item.strip() for item in text.split(",") if item.strip()]
        if not names:
            raise ConfigError(f"log.dirs names no directory: {text!r}")
        seen: dict[str, str] = {}
        for name in names:
            real = os.path.realpath(name)
            if real in seen:
                raise ConfigError(f"log.dirs names the directory {real} twice: as {seen[real]} and as {name}")
            seen[real] = name
        return [Path(name) for name in names]

    @property
    def data_dir(self) -> Path:
        """The first log directory (the metadata directory)."""
        return self.log_dirs[0]

    @property
    def num_partitions(self) -> int:
        return self.get_int("num.partitions", 1)

    @property
    def default_replication_factor(self) -> int:
        return self.get_int("default.replication.factor", 1)

    @property
    def auto_create_topics(self) -> bool:
        return self.get_bool("auto.create.topics.enable", True)

    @property
    def socket_request_max_bytes(self) -> int:
        return self.get_int("socket.request.max.bytes", 104857600)

    @property
    def queued_max_request_bytes(self) -> int:
        """The memory pool for requests being received, shared by all connections; -1 (or 0): none."""
        return self.get_int("queued.max.request.bytes", -1)

    @property
    def connections_max_idle_ms(self) -> int:
        """Close a connection idle this long; negative: never."""
        return self.get_int("connections.max.idle.ms", 600000)

    @cached_property
    def connection_limits(self) -> ConnectionLimits:
        """``max.connections`` and its kin (``connection_limits``)."""
        return ConnectionLimits.from_props(self.props, [item.name for item in self.listener_config.listeners])

    @property
    def socket_send_buffer_bytes(self) -> int:
        """SO_SNDBUF of client connections; -1 leaves it to the OS (and its autotuning)."""
        return self.get_int("socket.send.buffer.bytes", 102400)

    @property
    def socket_receive_buffer_bytes(self) -> int:
        """SO_RCVBUF of client connections; -1 leaves it to the OS (and its autotuning)."""
        return self.get_int("socket.receive.buffer.bytes", 102400)


def _read_properties(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read properties file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"properties file {path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None


def _with_first_listener(props: dict[str, str], host: str | None, port: int | None) -> str:
    """``listeners`` with the first client listener's host and/or port replaced (``--host``/``--port``)."""
    try:
        listeners = parse_listeners(props.get("listeners", DEFAULT_LISTENERS))
    except ValueError as exc:
        raise ConfigError(f"listeners: {exc}") from None
    controllers = {n.strip().upper() for n in props.get("controller.listener.names", "").split(",") if n.strip()}
    for i, listener in enumerate(listeners):
        if listener.name not in controllers:
            listeners[i] = Listener(listener.name, listener.host if host is None else host,
                                    listener.port if port is None else port)
            break
    return ",".join(str(listener) for listener in listeners)
