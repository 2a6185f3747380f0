"""The cluster ID and node ID, kept in ``meta.properties`` in the data dir as Kafka does.

Clients compare the cluster ID across metadata responses, so it must survive restarts.
"""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

from .properties import parse_properties

META_FILE = "meta.properties"


def _new_cluster_id() -> str:
    """Kafka's form: a random UUID as URL-safe base64 without padding (22 characters)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def load_or_create_cluster_id(data_dir: Path, node_id: int) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / META_FILE
    if path.exists():
        props = parse_properties(path.read_text(encoding="utf-8"))
        stored_node = props.get("node.id")
        if stored_node is not None and int(stored_node) != node_id:
            raise ValueError(
                f"{path} belongs to node.id {stored_node}, but this broker is node.id {node_id}"
            )
        if props.get("cluster.id"):
            return props["cluster.id"]
    cluster_id = _new_cluster_id()
    text = f"version=1\ncluster.id={cluster_id}\nnode.id={node_id}\n"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return cluster_id
