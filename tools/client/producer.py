"""Writing records: one v2 batch per partition, one Produce request per leader."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from odradek.wire import ApiKey
from odradek.wire.records import Record, build_batch

from .cluster import Client
from .errors import RETRIABLE, KafkaError, retrying

TopicPartition = tuple[str, int]
KeyValue = tuple[bytes | None, bytes | None]


class Producer:
    """Sends batches of records; ``acks`` and ``compression`` as the producer settings of the same names."""

    def __init__(self, client: Client, acks: int = -1, compression: str = "none", timeout_ms: int = 30_000):
        self.client = client
        self.acks = acks
        self.compression = compression
        self.timeout_ms = timeout_ms

    def send(self, batches: Mapping[TopicPartition, Sequence[KeyValue]]) -> dict[TopicPartition, int]:
        """Write each partition's records as one batch; the base offset each got (-1 with acks=0).

        Partitions refused with a retriable error (leadership not settled yet) are sent again,
        alone, so no batch is written twice."""
        written: dict[TopicPartition, int] = {}
        pending = [tp for tp, records in batches.items() if records]
        retrying(lambda: self._send_pending(batches, pending, written))
        return written

    def _send_pending(self, batches, pending: list[TopicPartition], written: dict[TopicPartition, int]) -> None:
        failure = None
        for leader, owned in self.client.by_leader(pending).items():
            for tp, outcome in self._send_to(leader, owned, batches).items():
                if isinstance(outcome, KafkaError):
                    failure = failure if failure and failure.code not in RETRIABLE else outcome
                else:
                    written[tp] = outcome
                    pending.remove(tp)
        if failure:
            raise failure

    def _send_to(self, leader: int, owned: list[TopicPartition], batches) -> dict[TopicPartition, object]:
        """One Produce request; per partition its base offset or the ``KafkaError`` it met."""
        topics: dict[str, list] = {}
        for topic, partition in owned:
            topics.setdefault(topic, []).append(
                {"index": partition, "records": self._batch(batches[(topic, partition)])})
        answer = self.client.send(ApiKey.PRODUCE, {
            "transactional_id": None, "acks": self.acks, "timeout_ms": self.timeout_ms,
            "topic_data": [{"name": name, "topic_id": self.client.topic_id(name), "partition_data": parts}
                           for name, parts in topics.items()]}, leader)
        if answer is None:
            return {tp: -1 for tp in owned}
        outcomes = {}
        for topic in answer.responses:
            name = self.client.topic_name(topic)
            for part in topic.partition_responses:
                outcomes[(name, part.index)] = (
                    KafkaError(part.error_code, f"Produce {name}-{part.index}", part.error_message)
                    if part.error_code else part.base_offset)
        return outcomes

    def _batch(self, records: Sequence[KeyValue]) -> bytes:
        now = int(time.time() * 1000)
        return build_batch([Record(i, 0, key, value) for i, (key, value) in enumerate(records)],
                           base_timestamp=now, compression=self.compression)
