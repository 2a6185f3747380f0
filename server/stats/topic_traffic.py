"""Records and bytes in and out per topic (Kafka's BrokerTopicMetrics).

Produce counts each appended batch's records (the count storage read from the batch header, no
record decoded) and its bytes; Fetch counts the bytes of record batches sent to consumers (a
follower's fetch is replication traffic, which Kafka counts apart, and is not counted here).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TopicCounts:
    messages_in: int = 0
    bytes_in: int = 0
    bytes_out: int = 0


@dataclass
class TopicTraffic:
    by_topic: dict[str, TopicCounts] = field(default_factory=dict)

    def _counts(self, topic: str) -> TopicCounts:
        counts = self.by_topic.get(topic)
        if counts is None:
            counts = self.by_topic[topic] = TopicCounts()
        return counts

    def produced(self, topic: str, records: int, size: int) -> None:
        counts = self._counts(topic)
        counts.messages_in += records
        counts.bytes_in += size

    def fetched(self, slices) -> None:
        """A consumer's Fetch: ``slices`` are (topic, partition entry, LogSlice) as the handler plans them."""
        for topic, _, log_slice in slices:
            self._counts(topic).bytes_out += log_slice.size
