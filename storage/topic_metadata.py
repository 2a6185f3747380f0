"""What survives a restart about topics: names, ids, partition counts, config overrides.

All topics live in one JSON file at the top of the data directory, replaced
atomically on every change. Its name cannot be mistaken for a partition
directory, which is always ``<topic>-<digits>``. Each partition directory also
gets Kafka's ``partition.metadata`` file naming its topic id, so a directory
left over from a deleted topic of the same name is recognisable.

A cluster member keeps replicas of some partitions of a topic only: the file then lists which
(``replicas``); the cluster's own record of the topic is in ZooKeeper.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .atomic_file import write_atomically

TOPICS_FILE = "odradek-topics.json"
PARTITION_METADATA_FILE = "partition.metadata"
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class TopicInfo:
    name: str
    topic_id: uuid.UUID
    num_partitions: int
    configs: dict[str, str] = field(default_factory=dict)  # the topic's overrides only
    # In cluster mode a broker holds replicas of some partitions only: those (None: all of them).
    replicas: frozenset[int] | None = None

    @property
    def hosted(self) -> list[int]:
        """The partitions whose logs this broker keeps."""
        return sorted(self.replicas) if self.replicas is not None else list(range(self.num_partitions))

    def hosts(self, index: int) -> bool:
        return index in self.replicas if self.replicas is not None else 0 <= index < self.num_partitions


def new_kafka_uuid() -> uuid.UUID:
    """A random id as Kafka's ``Uuid.randomUuid`` makes topic and cluster ids: never one of its
    reserved ids (zero, and one for the metadata topic), and never one whose string form starts
    with '-', which a command line would take for an option."""
    while True:
        new = uuid.uuid4()
        if new.int > 1 and not kafka_id_string(new).startswith("-"):
            return new


def kafka_id_string(topic_id: uuid.UUID) -> str:
    """Kafka's textual Uuid: URL-safe base64 of the 16 bytes, without padding."""
    return base64.urlsafe_b64encode(topic_id.bytes).rstrip(b"=").decode("ascii")


def load_topics(data_dir: Path) -> dict[str, TopicInfo]:
    path = data_dir / TOPICS_FILE
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise ValueError(f"{path} is not valid topic metadata: {exc}") from None
    if document.get("version") != _FORMAT_VERSION:
        raise ValueError(f"{path} has unsupported format version {document.get('version')!r}")
    topics = (
        TopicInfo(t["name"], uuid.UUID(t["topic_id"]), t["partitions"], dict(t["configs"]),
                  frozenset(t["replicas"]) if "replicas" in t else None)
        for t in document["topics"]
    )
    return {t.name: t for t in topics}


def save_topics(data_dir: Path, topics: Iterable[TopicInfo]) -> None:
    document = {"version": _FORMAT_VERSION, "topics": [_entry(t) for t in sorted(topics, key=lambda t: t.name)]}
    write_atomically(data_dir / TOPICS_FILE, json.dumps(document, indent=1).encode())


def _entry(topic: TopicInfo) -> dict:
    entry = {"name": topic.name, "topic_id": str(topic.topic_id), "partitions": topic.num_partitions,
             "configs": topic.configs}
    if topic.replicas is not None:
        entry["replicas"] = sorted(topic.replicas)
    return entry


def write_partition_metadata(partition_dir: Path, topic_id: uuid.UUID, *, sync: bool = True,
                             new_directory: bool = False) -> None:
    """Record the partition's topic id.  Without ``sync`` it is not fsynced: fine where the
    topics file, written durably afterwards, vouches for it (start-up rewrites a lost one).
    In a ``new_directory`` (just made, not yet named by the topics file) the file is written in
    place rather than through a temp file and a rename: there is no old content to keep, and a
    torn one reads as no id (``read_partition_metadata``), which start-up rewrites."""
    content = f"version: 0\ntopic_id: {kafka_id_string(topic_id)}\n".encode()
    path = partition_dir / PARTITION_METADATA_FILE
    if not new_directory:
        write_atomically(path, content, sync=sync)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, content)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def read_partition_metadata(partition_dir: Path) -> uuid.UUID | None:
    """The topic id recorded in a partition directory, or None if absent or unreadable."""
    try:
        lines = (partition_dir / PARTITION_METADATA_FILE).read_text().splitlines()
        fields = dict(line.split(": ", 1) for line in lines if line)
        encoded = fields["topic_id"]
        return uuid.UUID(bytes=base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (OSError, KeyError, ValueError):
        return None
