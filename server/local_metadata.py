"""What Metadata-style answers say about a single broker: it is the cluster, the controller, the
only replica and the leader of every partition, at leader epoch 0, except of those whose log
directory is offline: they have no leader, an empty ISR and this node as an offline replica, as in
Kafka once its controller hears of the failure (a client then waits for a leader rather than send
requests that would fail).

Handlers ask ``broker.metadata`` the same questions in both modes; in cluster mode the
controller-fed ``cluster.metadata_cache.MetadataCache`` answers them instead.
"""

from __future__ import annotations

import functools
import uuid

from odradek.storage.topic_metadata import TopicInfo
from odradek.wire import EncodedOnce, ErrorCode

from .cluster.metadata_cache import Endpoint, PartitionMetadata


class LocalMetadata:
    def __init__(self, broker):
        self._broker = broker
        self.broker_id = broker.config.node_id

    @property
    def controller_id(self) -> int:
        return self.broker_id

    def brokers_on(self, listener: str) -> list[tuple[int, Endpoint, str | None]]:
        advertised = self._broker.advertised_for(listener)
        return [(self.broker_id, Endpoint(advertised.host, advertised.port), None)]

    def endpoint(self, broker_id: int, listener: str) -> Endpoint | None:
        if broker_id != self.broker_id:
            return None
        advertised = self._broker.advertised_for(listener)
        return Endpoint(advertised.host, advertised.port)

    def is_alive(self, broker_id: int) -> bool:
        return broker_id == self.broker_id

    def topic(self, name: str) -> TopicInfo | None:
        return self._broker.logs.get_topic(name)

    def topic_by_id(self, topic_id: uuid.UUID) -> TopicInfo | None:
        return self._broker.logs.get_topic_by_id(topic_id)

    def topics(self) -> list[TopicInfo]:
        return self._broker.logs.topics()

    def partition(self, topic: str, index: int) -> PartitionMetadata | None:
        info = self.topic(topic)
        if info is None or not 0 <= index < info.num_partitions:
            return None
        node = self.broker_id
        if self._broker.logs.is_offline(topic, index):
            return PartitionMetadata(topic, index, -1, 0, (), (node,), (node,), 0)
        return PartitionMetadata(topic, index, node, 0, (node,), (node,), (), 0)

    def partitions(self, topic: str) -> list[PartitionMetadata]:
        info = self.topic(topic)
        return [] if info is None else [self.partition(topic, i) for i in range(info.num_partitions)]

    def partition_entries(self, topic: str, listener: str) -> tuple[dict, ...] | list[dict]:
        info = self.topic(topic)
        if info is None:
            return ()
        entries = _partition_entries(self.broker_id, info.num_partitions)
        offline = self._broker.logs.offline_partitions(topic)  # cheap while no directory is offline
        if offline:
            entries = list(entries)
            for index in offline:
                entries[index] = _offline_entry(self.broker_id, index)
        return entries


def _offline_entry(node: int, index: int) -> dict:
    return {"error_code": ErrorCode.LEADER_NOT_AVAILABLE, "partition_index": index, "leader_id": -1,
            "leader_epoch": 0, "replica_nodes": (node,), "isr_nodes": (), "offline_replicas": (node,)}


@functools.lru_cache(maxsize=256)
def _partition_entries(node: int, count: int) -> tuple[dict, ...]:
    """Every partition of a topic on this single broker: the same entries for any topic of
    ``count`` partitions, so they are built once instead of on every request (a 10,000-partition
    topic would otherwise make 70,000 objects per Metadata answer), and encoded once per
    Metadata version (``EncodedOnce``).  Shared: never mutate."""
    return EncodedOnce(
        {
            "error_code": ErrorCode.NONE,
            "partition_index": index,
            "leader_id": node,
            "leader_epoch": 0,
            "replica_nodes": (node,),
            "isr_nodes": (node,),
            "offline_replicas": (),
        }
        for index in range(count)
    )
