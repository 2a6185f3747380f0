"""The latest offset of partitions (their high watermark), wherever their leader is.

What a share group's lag is measured against (Kafka's ``PartitionMetadataClient.listLatestOffsets``:
a ListOffsets for the latest offset, read_uncommitted). A partition this broker leads is read
here; in a cluster, one led elsewhere is asked of its leader with ListOffsets, as Kafka's
coordinator asks.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from odradek.wire import ApiKey, ErrorCode

log = logging.getLogger("odradek.server")

LATEST = -1
LIST_OFFSETS_VERSION = 7  # the first with current_leader_epoch and without the old fields
REQUEST_TIMEOUT_S = 10.0

TopicPartition = tuple[str, int]


class PartitionEndOffsets:
    def __init__(self, broker):
        self._broker = broker
        self._peers = None  # opened on the first remote request (cluster mode only)

    async def latest(self, partitions: list[TopicPartition]) -> dict[TopicPartition, tuple[ErrorCode, int]]:
        """Each partition's (error, high watermark)."""
        found: dict[TopicPartition, tuple[ErrorCode, int]] = {}
        remote: dict[int, list[TopicPartition]] = defaultdict(list)
        for topic, index in partitions:
            partition_log, code = self._broker.replicas.leader_log(topic, index)
            if partition_log is not None:
                found[(topic, index)] = (ErrorCode.NONE, partition_log.high_watermark)
                continue
            leader = self._leader(topic, index)
            if code == ErrorCode.NOT_LEADER_OR_FOLLOWER and leader is not None:
                remote[leader].append((topic, index))
            else:
                found[(topic, index)] = (code, -1)
        for leader, led in remote.items():
            found.update(await self._ask(leader, led))
        return found

    def _leader(self, topic: str, index: int) -> int | None:
        partition = self._broker.metadata.partition(topic, index)
        if partition is None or partition.leader < 0 or partition.leader == self._broker.config.node_id:
            return None
        return partition.leader

    async def _ask(self, leader: int, partitions: list[TopicPartition]) -> dict[TopicPartition, tuple[ErrorCode, int]]:
        from .cluster.broker_channel import BrokerUnavailable
        from .cluster.peers import Peers

        if self._peers is None:
            self._peers = Peers(self._broker, "end-offsets", REQUEST_TIMEOUT_S)
        by_topic: dict[str, list[int]] = defaultdict(list)
        for topic, index in partitions:
            by_topic[topic].append(index)
        body = {"replica_id": -1, "isolation_level": 0, "topics": [
            {"name": topic, "partitions": [{"partition_index": i, "current_leader_epoch": -1, "timestamp": LATEST}
                                           for i in indexes]} for topic, indexes in by_topic.items()]}
        try:
            answer = await self._peers.request(leader, ApiKey.LIST_OFFSETS, LIST_OFFSETS_VERSION, body)
        except BrokerUnavailable as exc:
            log.info("Could not ask broker %d for the latest offsets: %s", leader, exc)
            return {tp: (ErrorCode.NOT_LEADER_OR_FOLLOWER, -1) for tp in partitions}
        return {(t.name, p.partition_index): (ErrorCode(p.error_code), p.offset)
                for t in answer.topics for p in t.partitions}

    async def aclose(self) -> None:
        if self._peers is not None:
            await self._peers.aclose()
