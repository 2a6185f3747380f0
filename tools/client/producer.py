"""Writing records: one v2 batch per partition, one Produce request per leader."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from odradek.wire import ApiKey
from odradek.wire.records import Record, build_batch

from .cluster import Client
from .errors import check

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
        """Write each partition's records as one batch; the base offset each got (-1 with acks=0)."""
        written = {}
        wanted = [tp for tp, records in batches.items() if records]
        for leader, owned in self.client.by_leader(wanted).items():
            topics: dict[str, list] = {}
            for topic, partition in owned:
                topics.setdefault(topic, []).append(
                    {"index": partition, "records": self._batch(batches[(topic, partition)])})
            answer = self.client.send(ApiKey.PRODUCE, {
                "transactional_id": None, "acks": self.acks, "timeout_ms": self.timeout_ms,
                "topic_data": [{"name": name, "topic_id": self.client.topic_id(name), "partition_data": parts}
                               for name, parts in topics.items()]}, leader)
            if answer is None:
                written.update((tp, -1) for tp in owned)
                continue
            for topic in answer.responses:
                name = self.client.topic_name(topic)
                for part in topic.partition_responses:
                    check(part.error_code, f"Produce {name}-{part.index}", part.error_message)
                    written[(name, part.index)] = part.base_offset
        return written

    def _batch(self, records: Sequence[KeyValue]) -> bytes:
        now = int(time.time() * 1000)
        return build_batch([Record(i, 0, key, value) for i, (key, value) in enumerate(records)],
                           base_timestamp=now, compression=self.compression)
