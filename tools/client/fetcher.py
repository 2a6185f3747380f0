"""Reading records: Fetch from each partition's leader, from the positions a consumer holds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from construct import Container

from odradek.wire import ApiKey
from odradek.wire.records import batch_summaries, read_batches

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
    Each round sends one Fetch to every leader before reading any answer, and the partitions'
    leaders are looked up once, then again only after an answer says leadership moved.
    """

    def __init__(self, client: Client, positions: dict[TopicPartition, int], max_wait_ms: int = 500,
                 max_bytes: int = 50 * 1024 * 1024, partition_max_bytes: int = 1024 * 1024):
        self.client = client
        self.positions = dict(positions)
        self.max_wait_ms = max_wait_ms
        self.max_bytes = max_bytes
        self.partition_max_bytes = partition_max_bytes
        self.high_watermarks: dict[TopicPartition, int] = {}
        self._routes: dict[int, list[TopicPartition]] | None = None

    def poll(self) -> list[ConsumedRecord]:
        """One Fetch round to every leader; the records past the positions, in offset order."""
        found: list[ConsumedRecord] = []
        for topic, part in self._fetch():
            found.extend(self._take(topic, part))
        return found

    def poll_counts(self) -> tuple[int, int]:
        """Like ``poll``, but only counts: the records past the positions and the bytes of the
        batches holding them, read from the batch headers alone (CRC-checked, no record decoded
        or decompressed), which is all a throughput tool needs of them."""
        records = size = 0
        for topic, part in self._fetch():
            tp = (topic, part.partition_index)
            position = self.positions[tp]
            for batch in batch_summaries(part.records or b""):
                if not batch.is_control and batch.next_offset > position:
                    # a batch the position falls inside (the log's start): count only its tail
                    skipped = max(0, position - batch.base_offset)
                    records += max(0, batch.records_count - skipped)
                    size += batch.size
                position = max(position, batch.next_offset)
            self.positions[tp] = position
        return records, size

    def _fetch(self) -> Iterator[tuple[str, Container]]:
        """One Fetch round: (topic, partition answer) for every partition answered without error.

        A retriable error (leadership moving) leaves that partition for the next round, routed afresh."""
        if self._routes is None:
            self._routes = self.client.by_leader(self.positions)
        asked = []
        for leader, owned in self._routes.items():
            topics: dict[str, list] = {}
            for topic, partition in owned:
                topics.setdefault(topic, []).append({
                    "partition": partition, "fetch_offset": self.positions[(topic, partition)],
                    "partition_max_bytes": self.partition_max_bytes})
            connection = self.client.connection(leader)
            connection.send(ApiKey.FETCH, {
                "replica_id": -1, "max_wait_ms": self.max_wait_ms, "min_bytes": 1, "max_bytes": self.max_bytes,
                "isolation_level": 0, "session_id": 0, "session_epoch": -1,
                "topics": [{"topic": name, "topic_id": self.client.topic_id(name), "partitions": parts}
                           for name, parts in topics.items()]})
            asked.append(connection)
        for answer in [connection.receive() for connection in asked]:  # every answer read, come what may
            check(answer.error_code, "Fetch")
            for topic in answer.responses:
                name = self.client.topic_name(topic)
                for part in topic.partitions:
                    if part.error_code in RETRIABLE:
                        self._routes = None  # leadership is moving: the next round routes afresh
                        continue
                    check(part.error_code, f"Fetch {name}-{part.partition_index}")
                    self.high_watermarks[(name, part.partition_index)] = part.high_watermark
                    yield name, part

    def _take(self, topic: str, part: Container) -> list[ConsumedRecord]:
        tp = (topic, part.partition_index)
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
