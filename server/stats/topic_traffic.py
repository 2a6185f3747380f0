"""Records and bytes in and out per topic (Kafka's BrokerTopicMetrics).

Produce counts each appended batch's records (the count storage read from the batch header, no
record decoded) and its bytes; Fetch and ShareFetch count the bytes of record batches sent to
consumers (a follower's fetch is replication traffic, which Kafka counts apart, and is not
counted here).
"""

from __future__ import annotations


class TopicCounts:
    __slots__ = ("messages_in", "bytes_in", "bytes_out")

    def __init__(self):
        self.messages_in = 0
        self.bytes_in = 0
        self.bytes_out = 0


class TopicTraffic:
    __slots__ = ("by_topic",)

    def __init__(self):
        self.by_topic: dict[str, TopicCounts] = {}

    def produced(self, topic: str, records: int, size: int) -> None:
        counts = self.by_topic.get(topic)
        if counts is None:
            counts = self.by_topic[topic] = TopicCounts()
        counts.messages_in += records
        counts.bytes_in += size

    def sent(self, topic: str, size: int) -> None:
        """``size`` bytes of the topic's record batches sent to a consumer."""
        counts = self.by_topic.get(topic)
        if counts is None:
            counts = self.by_topic[topic] = TopicCounts()
        counts.bytes_out += size

    def fetched(self, slices) -> None:
        """A consumer's Fetch: ``slices`` are (topic, partition entry, LogSlice) as the handler plans them."""
        by_topic = self.by_topic
        for topic, _, log_slice in slices:
            counts = by_topic.get(topic)
            if counts is None:
                counts = by_topic[topic] = TopicCounts()
            counts.bytes_out += log_slice.size


class NullTopicTraffic:
    """What the broker uses when nothing reads the figures (``metrics.port`` unset)."""

    __slots__ = ()

    def produced(self, topic: str, records: int, size: int) -> None:
        pass

    def sent(self, topic: str, size: int) -> None:
        pass

    def fetched(self, slices) -> None:
        pass
