"""Topics and their partitions as the console shows them, read from ``broker.metadata`` (names,
replicas, ISR, leaders) and the local logs (sizes, offsets). Only the rows of the page shown are
built: a topic of 10K partitions costs a page of them plus dict lookups for its size (and, in a
cluster, one pass over its partitions' ISRs; a single node builds no partition metadata for it)."""

from __future__ import annotations

from dataclasses import dataclass

from odradek.storage.log_config import describe_topic_config


@dataclass(frozen=True)
class TopicRow:
    name: str
    partitions: int
    replication_factor: int
    under_replicated: int
    size: int  # bytes of this broker's replicas' logs
    internal: bool


@dataclass(frozen=True)
class PartitionRow:
    index: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline: tuple[int, ...]
    local: bool  # this broker holds a replica
    log_start: int | None
    log_end: int | None
    high_watermark: int | None
    size: int | None


class TopicView:
    def __init__(self, broker):
        self.broker = broker

    def names(self, search: str = "") -> list[str]:
        search = search.strip().lower()
        return sorted(t.name for t in self.broker.metadata.topics() if search in t.name.lower())

    def exists(self, name: str) -> bool:
        return self.broker.metadata.topic(name) is not None

    def row(self, name: str) -> TopicRow | None:
        info = self.broker.metadata.topic(name)
        if info is None:
            return None
        if self.broker.cluster is None:  # one replica each, never under-replicated: nothing to count
            replication, under = (1 if info.num_partitions else 0), 0
        else:
            partitions = self.broker.metadata.partitions(name)
            replication = len(partitions[0].replicas) if partitions else 0
            under = sum(1 for p in partitions if len(p.isr) < len(p.replicas))
        logs = self.broker.logs
        size = 0
        for index in range(info.num_partitions):
            log = logs.partition(name, index)
            if log is not None:
                size += log.size
        return TopicRow(name, info.num_partitions, replication, under, size, name.startswith("__"))

    def partitions(self, name: str, start: int, stop: int) -> list[PartitionRow]:
        metadata, logs = self.broker.metadata, self.broker.logs
        rows = []
        for index in range(start, stop):
            p = metadata.partition(name, index)
            if p is None:
                continue
            log = logs.partition(name, index)
            rows.append(PartitionRow(
                index, p.leader, tuple(p.replicas), tuple(p.isr), tuple(p.offline_replicas), log is not None,
                log.log_start_offset if log else None, log.log_end_offset if log else None,
                log.high_watermark if log else None, log.size if log else None))
        return rows

    def partition_count(self, name: str) -> int:
        info = self.broker.metadata.topic(name)
        return 0 if info is None else info.num_partitions

    async def configs(self, name: str) -> list | None:
        """Every topic config with its value and source (as DescribeConfigs reports them)."""
        overrides = await self.broker.topic_admin.topic_configs(name)
        if overrides is None:
            return None
        return describe_topic_config(self.broker.config.props, overrides, self.broker.dynamic_configs.dynamic())
