"""A single broker's configs of one kind of entity (groups, SCRAM users): one small JSON file in
its metadata directory, ``{"version": 1, "<entities>": {"<name>": {"<key>": "<value>"}}}``,
rewritten whole and atomically at each change (they are few and small). A disk error takes the
metadata directory offline (the broker stops) and is a KafkaStorageError. In a cluster the same
configs live in ZooKeeper (``cluster.entity_configs``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import trio

from odradek.storage.atomic_file import write_atomically
from odradek.storage.errors import KafkaStorageError
from odradek.storage.log_dirs import LogDir

_FORMAT_VERSION = 1


class FileEntityConfigStore:
    """``entities`` names the file's section (``groups``, ``users``) and ``what`` its content in
    error messages; ``mode`` is the file's (0o600: only the broker's user may read it)."""

    def __init__(self, metadata_dir: LogDir, file_name: str, entities: str, what: str, mode: int = 0o644) -> None:
        self._dir = metadata_dir
        self.path = Path(metadata_dir.path) / file_name
        self._entities = entities
        self._what = what
        self._mode = mode
        self._configs: dict[str, dict[str, str]] = {}

    def load(self) -> dict[str, dict[str, str]]:
        """Every entity's configs kept (blocking); none before the first change."""
        try:
            document = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            document = {"version": _FORMAT_VERSION, self._entities: {}}
        if document.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{self.path} has unsupported format version {document.get('version')!r}")
        self._configs = {name: dict(configs) for name, configs in document[self._entities].items()}
        return {name: dict(configs) for name, configs in self._configs.items()}

    async def read(self, name: str) -> dict[str, str]:
        return dict(self._configs.get(name, {}))

    async def save(self, name: str, configs: Mapping[str, str]) -> None:
        """Keep the entity's new configs (none: forget it), written in a worker thread."""
        kept = {**self._configs, name: dict(configs)}
        if not configs:
            del kept[name]
        document = json.dumps({"version": _FORMAT_VERSION, self._entities: kept}, indent=1, sort_keys=True).encode()
        try:
            await trio.to_thread.run_sync(partial(write_atomically, self.path, document, mode=self._mode))
        except OSError as exc:
            self._dir.fail(exc)
            raise KafkaStorageError(f"Error while writing the {self._what} in {self.path}: {exc}") from exc
        self._configs = kept
