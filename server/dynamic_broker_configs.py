"""Broker configs changed at runtime (AlterConfigs on a BROKER resource), and kept across restarts.

Two layers above the static properties, as in Kafka: cluster-wide defaults (the broker resource
named "") and this broker's own (named by its node id), which wins. Where they are kept is the
store's business: alone, a broker keeps them in one small JSON file in its data directory,
replaced atomically (``FileConfigStore``); in a cluster they are ZooKeeper's
``/config/brokers/<default>`` and ``/config/brokers/<id>``, where every broker sees the
cluster-wide ones change (``cluster.broker_configs.ZkConfigStore``).

Which configs may change, and where, is Kafka's list (``dynamic_config_defs``); a change is
checked as Kafka checks it (``check_change``) and refused with Kafka's error and message.

Kafka 4 clusters start with one cluster-wide default, ``min.insync.replicas``, copied from the
static properties (its controller writes it, for eligible leader replicas, and never lets it be
removed); a broker, or the first broker of a cluster, here starts with it too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import trio

from odradek.storage.atomic_file import write_atomically
from odradek.storage.errors import InvalidConfigError, KafkaStorageError
from odradek.storage.log_config import DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG
from odradek.storage.log_dirs import LogDir
from odradek.wire import ErrorCode

from .dynamic_config_defs import (
    BROKER_SETTINGS,
    CLUSTER_WIDE_PER_LISTENER,
    DYNAMIC_NAMES,
    LISTENER_ONLY,
    PER_BROKER_NAMES,
    THREAD_POOLS,
    definition,
    listener_config,
)
from .connection_limits import ConnectionLimits
from .known_configs import KAFKA_BROKER_CONFIGS
from .listeners import parse_listener
from .startup_error import ConfigError

DYNAMIC_CONFIGS_FILE = "odradek-broker-configs.json"
_FORMAT_VERSION = 1
MIN_INSYNC_REPLICAS = "min.insync.replicas"
_MB = 1024 * 1024


class DynamicConfigError(Exception):
    """A broker config change Kafka refuses: its error code and message."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class FileConfigStore:
    """The layers in ``odradek-broker-configs.json`` in the metadata directory (a single broker's)."""

    def __init__(self, metadata_dir: LogDir) -> None:
        self._dir = metadata_dir
        self.path = Path(metadata_dir.path) / DYNAMIC_CONFIGS_FILE

    def load(self) -> dict[int, dict[str, str]] | None:
        """The layers kept (blocking), or None when nothing is kept yet."""
        try:
            document = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        if document.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{self.path} has unsupported format version {document.get('version')!r}")
        return {DYNAMIC_BROKER_CONFIG: dict(document["broker"]),
                DYNAMIC_DEFAULT_BROKER_CONFIG: dict(document["cluster_default"])}

    def save_all(self, layers: Mapping[int, Mapping[str, str]]) -> None:
        """Keep every layer (blocking); OSError if the data directory failed."""
        document = {"version": _FORMAT_VERSION, "broker": layers[DYNAMIC_BROKER_CONFIG],
                    "cluster_default": layers[DYNAMIC_DEFAULT_BROKER_CONFIG]}
        write_atomically(self.path, json.dumps(document, indent=1, sort_keys=True).encode())

    async def save(self, source: int, layers: Mapping[int, Mapping[str, str]]) -> None:
        """Keep the layers, ``source`` just changed (in a worker thread). A disk error takes the
        metadata directory offline (the broker stops) and is a KafkaStorageError."""
        try:
            await trio.to_thread.run_sync(self.save_all, {k: dict(v) for k, v in layers.items()})
        except OSError as exc:
            self._dir.fail(exc)
            raise KafkaStorageError(f"Error while writing the dynamic broker configs in {self.path}: {exc}") from exc


class DynamicBrokerConfigs:
    def __init__(self, store, static_props: Mapping[str, str]) -> None:
        self.store = store
        self.static = dict(static_props)
        self.layers: dict[int, dict[str, str]] = {DYNAMIC_BROKER_CONFIG: {}, DYNAMIC_DEFAULT_BROKER_CONFIG: {}}
        self._unsaved = False

    def load(self) -> None:
        """Read the layers kept (blocking); a cluster without its ``min.insync.replicas`` default
        gets it (saved by ``save_if_new``, once the data directory exists)."""
        kept = self.store.load()
        if kept is not None:
            self.layers = {source: dict(kept.get(source, {}))
                           for source in (DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG)}
        if MIN_INSYNC_REPLICAS not in self.cluster_defaults:
            self.cluster_defaults[MIN_INSYNC_REPLICAS] = self.static.get(MIN_INSYNC_REPLICAS, "1").strip()
            self._unsaved = True

    def save_if_new(self) -> None:
        """Keep what ``load`` added of its own (blocking; the data directory must exist)."""
        if self._unsaved:
            self.store.save_all(self.layers)
            self._unsaved = False

    @property
    def cluster_defaults(self) -> dict[str, str]:
        return self.layers[DYNAMIC_DEFAULT_BROKER_CONFIG]

    def dynamic(self) -> list[tuple[int, dict[str, str]]]:
        """The (source, configs) layers, highest priority first (for DescribeConfigs)."""
        return [(DYNAMIC_BROKER_CONFIG, self.layers[DYNAMIC_BROKER_CONFIG]),
                (DYNAMIC_DEFAULT_BROKER_CONFIG, self.layers[DYNAMIC_DEFAULT_BROKER_CONFIG])]

    def effective(self, replaced: tuple[int, Mapping[str, str]] | None = None) -> dict[str, str]:
        """Static properties overlaid with the dynamic layers (one of them ``replaced`` if given)."""
        layers = dict(self.layers)
        if replaced is not None:
            layers[replaced[0]] = dict(replaced[1])
        return {**self.static, **layers[DYNAMIC_DEFAULT_BROKER_CONFIG], **layers[DYNAMIC_BROKER_CONFIG]}

    def check_change(self, source: int, configs: Mapping[str, str]) -> None:
        """Raise DynamicConfigError unless ``configs`` may become the whole layer ``source``."""
        check_layer(configs, per_broker=source == DYNAMIC_BROKER_CONFIG)
        check_reconfiguration(self.effective(), self.effective((source, configs)))
        if (source == DYNAMIC_DEFAULT_BROKER_CONFIG and MIN_INSYNC_REPLICAS in self.cluster_defaults
                and MIN_INSYNC_REPLICAS not in configs):
            raise DynamicConfigError(ErrorCode.INVALID_CONFIG,
                                     "Cluster-level min.insync.replicas cannot be removed while ELR is enabled.")

    async def replace(self, source: int, configs: Mapping[str, str]) -> None:
        """Make ``configs`` the whole layer ``source`` and keep it (the caller then applies it);
        the store's error (a StorageError) if it could not keep it, nothing changed then."""
        layers = {**self.layers, source: dict(configs)}
        await self.store.save(source, layers)
        self.layers[source] = dict(configs)

    def reloaded(self, source: int, configs: Mapping[str, str]) -> None:
        """The store says the layer changed elsewhere (another broker changed the cluster's defaults)."""
        self.layers[source] = dict(configs)


def check_layer(configs: Mapping[str, str], per_broker: bool) -> None:
    """Kafka's checks of a dynamic layer, in its order (DynamicBrokerConfig.validateConfigs): names
    fixed at start-up, keystores without a listener, values against their types, then settings
    only one broker may have, in the cluster-wide layer."""
    fixed = [name for name in configs if name in KAFKA_BROKER_CONFIGS and name not in DYNAMIC_NAMES]
    _refuse(fixed, "Cannot update these configs dynamically")
    _refuse([name for name in configs if name in LISTENER_ONLY],
            "These security configs can be dynamically updated only per-listener using the listener prefix")
    for name, value in configs.items():
        config = definition(name)
        if config is not None:
            try:
                config.parse(value, label=listener_config(name) or name)
            except InvalidConfigError as exc:
                raise DynamicConfigError(ErrorCode.INVALID_REQUEST, str(exc)) from None
    if not per_broker:
        _refuse([name for name in configs if _per_broker_only(name)],
                "Cannot update these configs at default cluster level, broker id must be specified")


def check_reconfiguration(current: Mapping[str, str], proposed: Mapping[str, str]) -> None:
    """What Kafka's reconfigurable parts check of a new effective config against the current one:
    the cleaner's buffer per thread, new listeners, and thread counts (at most halved or doubled)."""
    threads = _int(proposed, "log.cleaner.threads")
    if threads >= 1 and _int(proposed, "log.cleaner.dedupe.buffer.size") // threads <= _MB:
        raise DynamicConfigError(ErrorCode.INVALID_REQUEST, "requirement failed: log.cleaner.dedupe.buffer.size "
                                                            "must be at least 1MB per cleaner thread.")
    listeners = proposed.get("listeners")
    if listeners is not None and listeners != current.get("listeners"):
        _check_listeners(listeners)
    for name in sorted(THREAD_POOLS):
        old, new = _int(current, name), _int(proposed, name)
        if new != old and (new < old // 2 or new > old * 2):
            limit = (f"value should be at least half the current value {old}" if new < old // 2
                     else f"value should not be greater than double the current value {old}")
            raise _reconfiguration_error(f"Dynamic thread count update validation failed for {name}={new}, {limit}")
    if any(proposed.get(name) != current.get(name) for name in ("max.connections.per.ip",
                                                                "max.connections.per.ip.overrides")):
        try:
            ConnectionLimits.from_props(proposed, [])
        except ConfigError as exc:
            raise _reconfiguration_error(str(exc)) from None
    old, new = _int(current, "log.cleaner.threads"), threads
    if new < 1:
        raise _reconfiguration_error("Log cleaner threads should be at least 1")
    if new < old // 2:
        raise _reconfiguration_error(f"Log cleaner threads cannot be reduced to less than half the current value {old}")
    if new > old * 2:
        raise _reconfiguration_error(f"Log cleaner threads cannot be increased to more than double the current "
                                     f"value {old}")


def _check_listeners(text: str) -> None:
    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items:
        try:
            parse_listener(item)
        except ValueError:
            raise DynamicConfigError(ErrorCode.INVALID_REQUEST,
                                     f"Error creating broker listeners from '[{', '.join(items)}]': "
                                     f"Unable to parse {item} to a broker endpoint") from None


def _per_broker_only(name: str) -> bool:
    """Settings of this broker's listeners: any per-listener one but a few connection limits."""
    config = listener_config(name)
    return name in PER_BROKER_NAMES or (config is not None and config not in CLUSTER_WIDE_PER_LISTENER)


def _int(props: Mapping[str, str], name: str) -> int:
    return int(props.get(name, BROKER_SETTINGS[name].default).strip())


def _refuse(names: list[str], why: str) -> None:
    if names:
        raise DynamicConfigError(ErrorCode.INVALID_REQUEST, f"{why}: [{', '.join(sorted(names))}]")


def _reconfiguration_error(message: str) -> DynamicConfigError:
    """Kafka's wording for a change a running part of the broker refuses."""
    return DynamicConfigError(ErrorCode.INVALID_REQUEST, f"Invalid value org.apache.kafka.common.config."
                                                         f"ConfigException: {message} for configuration "
                                                         f"Invalid dynamic configuration")
