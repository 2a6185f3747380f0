"""Reading records: Fetch from each partition's leader, from the positions a consumer holds."""

from __future__ import annotations

from dataclasses import dataclass

from odradek.wire import ApiKey
from odradek.wire.records import read_batches

from .cluster import Client
from .errors import RETRIABLE, check

TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class ConsumedRecord:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list


class Fetcher:
    """Holds a position per partition and advances it past what each ``poll`` returns.

    Fetches are sessionless (full requests every time): simpler, and the tools fetch few partitions.
    """

    def __init__(self, client: Client, positions: dict[TopicPartition, int], max_wait_ms: int = 500,
                 max_bytes: int = 50 * 1024 * 1024, partition_max_bytes: int = 1024 * 1024):
        self.client = client
        self.positions = dict(positions)
        self.max_wait_ms = max_wait_ms
        self.max_bytes = max_bytes
        self.partition_max_bytes = partition_max_bytes
        self.high_watermarks: dict[TopicPartition, int] = {}

    def poll(self) -> list[ConsumedRecord]:
        """One Fetch round to every leader; the records past the positions, in offset order."""
        found: list[ConsumedRecord] = []
        for leader, owned in self.client.by_leader(self.positions).items():
            topics: dict[str, list] = {}
            for topic, partition in owned:
                topics.setdefault(topic, []).append({
                    "partition": partition, "fetch_offset": self.positions[(topic, partition)],
                    "partition_max_bytes": self.partition_max_bytes})
            answer = self.client.send(ApiKey.FETCH, {
                "replica_id": -1, "max_wait_ms": self.max_wait_ms, "min_bytes": 1, "max_bytes": self.max_bytes,
                "isolation_level": 0, "session_id": 0, "session_epoch": -1,
                "topics": [{"topic": name, "topic_id": self.client.topic_id(name), "partitions": parts}
                           for name, parts in topics.items()]}, leader)
            check(answer.error_code, "Fetch")
            for topic in answer.responses:
                name = self.client.topic_name(topic)
                for part in topic.partitions:
                    found.extend(self._take(name, part))
        return found

    def _take(self, topic: str, part) -> list[ConsumedRecord]:
        tp = (topic, part.partition_index)
        if part.error_code in RETRIABLE:
            return []  # leadership is moving: the next poll routes afresh
        check(part.error_code, f"Fetch {topic}-{part.partition_index}")
        self.high_watermarks[tp] = part.high_watermark
        position = self.positions[tp]
        taken = []
        for batch in read_batches(bytes(part.records or b"")):
            if not batch.is_control:
                for record in batch.records:
                    offset = batch.base_offset + record.offset_delta
                    if offset >= position:
                        timestamp = (batch.max_timestamp if batch.timestamp_type
                                     else batch.base_timestamp + record.timestamp_delta)
                        taken.append(ConsumedRecord(topic, tp[1], offset, timestamp, record.key, record.value,
                                                    record.headers))
            position = max(position, batch.next_offset)
        self.positions[tp] = position
        return taken
