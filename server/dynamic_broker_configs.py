"""Broker configs changed at runtime (AlterConfigs on a BROKER resource), and kept across restarts.

Two layers above the static properties, as in Kafka: cluster-wide defaults (the broker resource
named "") and this broker's own (named by its node id), which wins. Kafka keeps them in its
metadata log; here they live in one small JSON file in the data directory, replaced atomically.
Only the broker defaults of topic configs (``log.retention.ms``, ``log.cleanup.policy``, ...)
can change at runtime; they apply at once to every partition whose topic does not override them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from odradek.storage.atomic_file import write_atomically
from odradek.storage.errors import InvalidConfigError
from odradek.storage.log_config import DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, TOPIC_CONFIGS

DYNAMIC_CONFIGS_FILE = "odradek-broker-configs.json"
_FORMAT_VERSION = 1

#: Broker config name -> the topic config it is the default of.
DYNAMIC_NAMES = {synonym.name: d for d in TOPIC_CONFIGS.values() for synonym in d.broker_synonyms}


class DynamicBrokerConfigs:
    def __init__(self, data_dir: Path, static_props: Mapping[str, str]) -> None:
        self._path = Path(data_dir) / DYNAMIC_CONFIGS_FILE
        self.static = dict(static_props)
        self.layers: dict[int, dict[str, str]] = {DYNAMIC_BROKER_CONFIG: {}, DYNAMIC_DEFAULT_BROKER_CONFIG: {}}

    def load(self) -> None:
        try:
            document = json.loads(self._path.read_bytes())
        except FileNotFoundError:
            return
        if document.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{self._path} has unsupported format version {document.get('version')!r}")
        self.layers = {DYNAMIC_BROKER_CONFIG: dict(document["broker"]),
                       DYNAMIC_DEFAULT_BROKER_CONFIG: dict(document["cluster_default"])}

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

    def replace(self, source: int, configs: Mapping[str, str]) -> None:
        """Make ``configs`` the whole layer ``source`` and persist it (the caller applied it)."""
        self.layers[source] = dict(configs)
        document = {"version": _FORMAT_VERSION, "broker": self.layers[DYNAMIC_BROKER_CONFIG],
                    "cluster_default": self.layers[DYNAMIC_DEFAULT_BROKER_CONFIG]}
        write_atomically(self._path, json.dumps(document, indent=1, sort_keys=True).encode())


def check_dynamic_names(configs: Mapping[str, str]) -> None:
    """Raise InvalidConfigError for configs that cannot change while the broker runs."""
    fixed = sorted(name for name in configs if name not in DYNAMIC_NAMES)
    if fixed:
        raise InvalidConfigError(f"Cannot update these configs dynamically: {', '.join(fixed)}")
