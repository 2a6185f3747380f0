"""The brokers page's facts: who is in the cluster, where each listens, who controls it, and how
many partitions each leads, from ``broker.metadata`` (the same calls answer in both modes)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class BrokerRow:
    broker_id: int
    rack: str | None
    endpoints: list[tuple[str, str]] = field(default_factory=list)  # (listener, host:port)
    is_controller: bool = False
    is_this: bool = False
    leads: int = 0
    uptime_s: float | None = None  # known for this broker only


class ClusterView:
    def __init__(self, broker, started: float | None = None):
        self.broker = broker
        self.started = time.monotonic() if started is None else started

    def brokers(self) -> list[BrokerRow]:
        metadata = self.broker.metadata
        rows: dict[int, BrokerRow] = {}
        for listener in self.broker.advertised_listeners:
            for broker_id, endpoint, rack in metadata.brokers_on(listener):
                row = rows.setdefault(broker_id, BrokerRow(broker_id, rack))
                host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
                row.endpoints.append((listener, f"{host}:{endpoint.port}"))
        this = self.broker.config.node_id
        if this not in rows:  # cut off from the cluster: still show ourselves
            rows[this] = BrokerRow(this, self.broker.config.props.get("broker.rack"))
        rows[this].is_this = True
        rows[this].uptime_s = time.monotonic() - self.started
        controller = metadata.controller_id
        if controller in rows:
            rows[controller].is_controller = True
        for leader, count in self.leaders().items():
            if leader in rows:
                rows[leader].leads = count
        return [rows[i] for i in sorted(rows)]

    def leaders(self) -> Counter:
        """Partitions led, by broker id (-1: no leader), over every topic: one pass over metadata in a
        cluster; alone, the replica counts the metrics report (no partition metadata built)."""
        counts: Counter = Counter()
        if self.broker.cluster is None:  # alone, it leads every partition not in an offline directory
            replicas = self.broker.replicas.replica_counts()
            counts[self.broker.config.node_id] = replicas.leaders
            if replicas.offline:
                counts[-1] = replicas.offline
            return counts
        metadata = self.broker.metadata
        for topic in metadata.topics():
            for partition in metadata.partitions(topic.name):
                counts[partition.leader] += 1
        return counts

    @property
    def controller_id(self) -> int:
        return self.broker.metadata.controller_id

    @property
    def cluster_id(self) -> str:
        return self.broker.cluster_id

    @property
    def mode(self) -> str:
        return "single node" if self.broker.cluster is None else "cluster (ZooKeeper)"
