"""The cluster ID and node ID, kept in ``meta.properties`` in every log directory as Kafka does.

Clients compare the cluster ID across metadata responses, so it must survive restarts. Every log
directory carries the same file, so that each one says which cluster and node it belongs to: a
directory from another broker or another cluster is refused at start-up rather than mixed in, and
a new directory added to ``log.dirs`` gets the file its siblings have. Kafka in KRaft mode also
writes a ``directory.id`` into each, by which its controller records which directory holds which
replica; a single broker that finds its partitions by scanning its directories has no use for
one, so none is written.

The directories are locked (``LogManager.open_dirs``) before this reads or writes them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from odradek.storage.log_dirs import LogDir
from odradek.storage.topic_metadata import kafka_id_string, new_kafka_uuid

from .properties import parse_properties
from .startup_error import StartupError

META_FILE = "meta.properties"


def _new_cluster_id() -> str:
    """Kafka's form: a random UUID as URL-safe base64 without padding (22 characters)."""
    return kafka_id_string(new_kafka_uuid())


def load_or_create_cluster_id(log_dirs: Sequence[LogDir], node_id: int, cluster_id: str | None = None) -> str:
    """The cluster ID the directories record, written into those without one (``cluster_id``,
    the cluster's in ZooKeeper, or a new ID if none has one). Raises StartupError if they name
    another node or disagree; a directory whose file cannot be read or written goes offline,
    unless it is the metadata directory (StartupError)."""
    recorded = _recorded(log_dirs, node_id)
    ids = sorted(set(recorded.values()))
    if len(ids) > 1:
        raise StartupError("the log directories belong to different clusters: " + ", ".join(
            f"{log_dir.path / META_FILE} has cluster.id {cluster_id}" for log_dir, cluster_id in recorded.items()))
    cluster_id = ids[0] if ids else (cluster_id or _new_cluster_id())
    for log_dir in log_dirs:
        if log_dir not in recorded and log_dir.online:
            try:
                _write(log_dir, cluster_id, node_id)
            except OSError as exc:
                _unusable(log_dir, exc)
    return cluster_id


def recorded_cluster_id(log_dirs: Sequence[LogDir], node_id: int) -> str | None:
    """The cluster ID the directories record, if any (a cluster member checks it against
    ZooKeeper's before it joins); StartupError as ``load_or_create_cluster_id``."""
    ids = sorted(set(_recorded(log_dirs, node_id).values()))
    if len(ids) > 1:
        raise StartupError(f"the log directories belong to different clusters: {', '.join(ids)}")
    return ids[0] if ids else None


def _recorded(log_dirs: Sequence[LogDir], node_id: int) -> dict[LogDir, str]:
    recorded: dict[LogDir, str] = {}
    for log_dir in log_dirs:
        path = log_dir.path / META_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except OSError as exc:
            _unusable(log_dir, exc)
            continue
        props = parse_properties(text)
        stored_node = props.get("node.id")
        if stored_node is not None and _as_int(stored_node, path) != node_id:
            raise StartupError(f"{path} belongs to node.id {stored_node}, but this broker is node.id {node_id}")
        if props.get("cluster.id"):
            recorded[log_dir] = props["cluster.id"]
    return recorded


def _as_int(value: str, path) -> int:
    try:
        return int(value)
    except ValueError:
        raise StartupError(f"{path} has a malformed node.id: {value!r}") from None


def _write(log_dir: LogDir, cluster_id: str, node_id: int) -> None:
    path = log_dir.path / META_FILE
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"version=1\ncluster.id={cluster_id}\nnode.id={node_id}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _unusable(log_dir: LogDir, exc: OSError) -> None:
    if log_dir.is_metadata_dir:
        raise StartupError(f"log directory {log_dir.path} cannot be used: {exc}")
    log_dir.fail(exc)
