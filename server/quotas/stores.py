"""A single broker's client quotas: one small JSON file in its metadata directory, replaced
atomically at each change (a cluster keeps them in ZooKeeper: ``cluster.client_quotas``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import trio

from odradek.storage.atomic_file import write_atomically
from odradek.storage.errors import KafkaStorageError
from odradek.storage.log_dirs import LogDir

from .entities import Entity

CLIENT_QUOTAS_FILE = "odradek-client-quotas.json"
_FORMAT_VERSION = 1


class FileQuotaStore:
    def __init__(self, metadata_dir: LogDir) -> None:
        self._dir = metadata_dir
        self.path = Path(metadata_dir.path) / CLIENT_QUOTAS_FILE
        self._quotas: dict[Entity, dict[str, float]] = {}

    def load(self) -> dict[Entity, dict[str, float]]:
        """entity -> key -> value (blocking); none before the first change."""
        try:
            document = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            document = {"version": _FORMAT_VERSION, "quotas": []}
        if document.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{self.path} has unsupported format version {document.get('version')!r}")
        self._quotas = {tuple(sorted((t, n) for t, n in item["entity"])): {k: float(v) for k, v in item["configs"].items()}
                        for item in document["quotas"]}
        return {entity: dict(configs) for entity, configs in self._quotas.items()}

    async def save(self, entity: Entity, configs: Mapping[str, float]) -> None:
        """Keep the entity's quotas (none: forget it), written in a worker thread."""
        quotas = {**self._quotas, entity: dict(configs)}
        if not configs:
            del quotas[entity]
        document = json.dumps({"version": _FORMAT_VERSION, "quotas": [
            {"entity": [list(pair) for pair in entity], "configs": configs} for entity, configs in quotas.items()]},
            indent=1).encode()
        try:
            await trio.to_thread.run_sync(partial(write_atomically, self.path, document))
        except OSError as exc:
            self._dir.fail(exc)
            raise KafkaStorageError(f"Error while writing the client quotas in {self.path}: {exc}") from exc
        self._quotas = quotas
