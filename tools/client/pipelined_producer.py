"""Writing ready-made batches at full speed, several Produce requests in flight per connection.

``Producer`` sends one request and waits for its answer, so the broker idles while the client
encodes the next batch and the client idles while the broker appends. ``PipelinedProducer``
overlaps the two, as Kafka's Java producer does: each leader's connection keeps up to
``max_in_flight`` Produce requests outstanding (``max.in.flight.requests.per.connection``,
default 5), and Kafka answers them in order. Each request carries one batch the caller encoded
(``odradek perf`` builds them in bulk), and every batch acknowledged is reported to
``on_acknowledged`` with its latency: from sending the request to reading its answer.

A batch refused with a retriable error (leadership not settled yet) is sent again after a short
backoff, routed afresh, so its records may land after later batches: order across batches is not
kept, which a throughput tool does not need. Any other error is raised as ``KafkaError``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from odradek.wire import ApiKey, ErrorCode

from .cluster import Client
from .errors import RETRIABLE, RETRY_BACKOFF, RETRY_TIMEOUT, KafkaError, retrying

TopicPartition = tuple[str, int]
Acknowledged = Callable[[int, float], None]  # (records in the batch, latency in ms)
MAX_IN_FLIGHT = 5  # Kafka's max.in.flight.requests.per.connection default


@dataclass
class _Batch:
    tp: TopicPartition
    records: int
    data: bytes
    first_failed: float | None = None  # when a retriable error first refused it
    due: float = 0.0                   # a retry is not sent before this (monotonic seconds)


class PipelinedProducer:
    """Sends one batch per Produce request, ``max_in_flight`` requests outstanding per leader;
    ``acks`` as the producer setting of that name."""

    def __init__(self, client: Client, on_acknowledged: Acknowledged, acks: int = -1, timeout_ms: int = 30_000,
                 max_in_flight: int = MAX_IN_FLIGHT):
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, not {max_in_flight}")
        self.client = client
        self.on_acknowledged = on_acknowledged
        self.acks = acks
        self.timeout_ms = timeout_ms
        self.max_in_flight = max_in_flight
        self._leaders: dict[TopicPartition, int] = {}
        self._sent: dict[int, deque[tuple[_Batch, float]]] = {}  # per leader, oldest first: (batch, sent at)
        self._retries: list[_Batch] = []

    def send(self, tp: TopicPartition, records: int, data: bytes) -> None:
        """Send the batch ``data`` of ``records`` records to ``tp``'s leader, first reading
        answers while that connection has ``max_in_flight`` requests outstanding."""
        self._send_due_retries()
        self._send(_Batch(tp, records, data))

    def flush(self) -> None:
        """Wait until every batch sent has been acknowledged (retries included)."""
        while True:
            self._send_due_retries()
            leader = next((leader for leader, sent in self._sent.items() if sent), None)
            if leader is not None:
                self._receive(leader)
            elif self._retries:
                time.sleep(max(0.0, min(batch.due for batch in self._retries) - time.monotonic()))
            else:
                return

    def _send(self, batch: _Batch) -> None:
        leader = self._leader(batch.tp)
        connection = self.client.connection(leader)
        while connection.in_flight >= self.max_in_flight:
            self._receive(leader)
        topic, partition = batch.tp
        sent = time.monotonic()
        answered = connection.send(ApiKey.PRODUCE, {
            "transactional_id": None, "acks": self.acks, "timeout_ms": self.timeout_ms,
            "topic_data": [{"name": topic, "topic_id": self.client.topic_id(topic),
                            "partition_data": [{"index": partition, "records": batch.data}]}]})
        if answered:
            self._sent.setdefault(leader, deque()).append((batch, sent))
        else:  # acks=0: nothing comes back; done once sent, as Kafka's producer counts it
            self.on_acknowledged(batch.records, (time.monotonic() - sent) * 1000)

    def _receive(self, leader: int) -> None:
        """Read the answer to ``leader``'s oldest outstanding request."""
        answer = self.client.connection(leader).receive()
        batch, sent = self._sent[leader].popleft()
        latency_ms = (time.monotonic() - sent) * 1000
        error = None
        for topic in answer.responses:
            for part in topic.partition_responses:
                if part.error_code:
                    error = KafkaError(part.error_code, f"Produce {batch.tp[0]}-{part.index}", part.error_message)
        if error is None:
            self.on_acknowledged(batch.records, latency_ms)
        elif error.code in RETRIABLE:
            self._retry(batch, error)
        else:
            raise error

    def _retry(self, batch: _Batch, error: KafkaError) -> None:
        now = time.monotonic()
        if batch.first_failed is None:
            batch.first_failed = now
        elif now - batch.first_failed > RETRY_TIMEOUT:
            raise error
        self._leaders.pop(batch.tp, None)  # route afresh: leadership may have moved
        batch.due = now + RETRY_BACKOFF
        self._retries.append(batch)

    def _send_due_retries(self) -> None:
        if not self._retries:
            return
        now = time.monotonic()
        due = [batch for batch in self._retries if batch.due <= now]
        self._retries = [batch for batch in self._retries if batch.due > now]
        for batch in due:
            self._send(batch)

    def _leader(self, tp: TopicPartition) -> int:
        if tp not in self._leaders:
            self._leaders[tp] = retrying(lambda: self._look_up_leader(tp))
        return self._leaders[tp]

    def _look_up_leader(self, tp: TopicPartition) -> int:
        info = self.client.partitions([tp[0]])[tp[0]].partitions.get(tp[1])
        if info is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{tp[0]}-{tp[1]}")
        if info.leader < 0:
            raise KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, f"{tp[0]}-{tp[1]}")
        return info.leader
