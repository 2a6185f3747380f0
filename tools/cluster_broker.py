"""One broker of ``odradek cluster``: where it lives, the server.properties it runs with, its command.

Each broker keeps everything under its own ``broker-<id>/`` directory (``server.properties``,
``data/``, ``broker.log``), so the same cluster directory brings the same brokers back with their
data. The properties file is Kafka's own format and names, written afresh on every start from the
command's flags: it is what the broker reads, and what a developer reads to see how it was run.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .client.cluster import Client
from .client.errors import KafkaError

#: ``odradek serve``'s ready line, printed once its listeners accept connections.
READY = re.compile(r"odradek ready: listening on ")


@dataclass(frozen=True)
class ClusterBroker:
    id: int
    port: int
    home: Path
    rack: str | None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def properties_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    def knows_brokers(self, ids: set[int]) -> bool:
        """Whether this broker's Metadata lists each of ``ids`` and a controller. A broker serves
        before the controller's first UpdateMetadata reaches it; until then it knows no brokers
        and refuses to create a replicated topic, so the cluster is not ready for its users."""
        try:
            with Client(self.address, timeout=2.0) as client:
                metadata = client.metadata([])
        except (OSError, KafkaError):
            return False
        return ids <= set(metadata.brokers) and metadata.controller_id >= 0

    def command(self) -> list[str]:
        """``odradek serve`` on this Python, so a virtual environment's checkout runs."""
        return [sys.executable, "-m", "odradek.tools.cli", "serve", str(self.properties_file)]

    def write_properties(self, zookeeper_connect: str, cluster_size: int, overrides: dict[str, str]) -> None:
        properties = {
            "broker.id": self.id,
            "listeners": f"PLAINTEXT://{self.address}",
            "log.dirs": self.data_dir,
            "zookeeper.connect": zookeeper_connect,
            **({"broker.rack": self.rack} if self.rack else {}),
            # As Kafka's sample server.properties has them for development: a group's first
            # rebalance does not wait for more members, and internal topics fit a cluster of 1 or 2.
            "group.initial.rebalance.delay.ms": 0,
            "offsets.topic.replication.factor": min(3, cluster_size),
            "transaction.state.log.replication.factor": min(3, cluster_size),
            "transaction.state.log.min.isr": min(2, cluster_size),
            **overrides,
        }
        self.home.mkdir(parents=True, exist_ok=True)
        lines = [f"{key}={_escape(str(value))}" for key, value in properties.items()]
        self.properties_file.write_text(
            "# Written by odradek cluster on every start: change it with --override, not here.\n"
            + "\n".join(lines) + "\n", encoding="utf-8")


def _escape(value: str) -> str:
    """A value as java.util.Properties reads it back (a backslash is an escape there)."""
    return value.replace("\\", "\\\\")
