"""What a partition remembers about one idempotent or transactional producer (Kafka's ProducerStateEntry).

Per producer id: its current epoch, the sequence and offset ranges of its last five
batches (a producer has at most five requests in flight, so any retry it sends is
one of them), the first offset of its open transaction, and the epoch of the last
transaction coordinator that wrote a marker for it. Sequence numbers are int32 and
wrap from 2**31-1 back to 0.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .batch_header import NO_TIMESTAMP, BatchHeader

NUM_BATCHES_TO_RETAIN = 5
NO_PRODUCER_EPOCH = -1
NO_SEQUENCE = -1
_SEQUENCES = 1 << 31


def sequence_plus(sequence: int, delta: int) -> int:
    """The sequence ``delta`` after (or, negative, before) ``sequence``, wrapping as producers do."""
    return (sequence + delta) % _SEQUENCES


@dataclass(frozen=True, slots=True)
class BatchMetadata:
    """One appended batch of a producer; ``timestamp`` is its maxTimestamp as stored."""

    first_seq: int
    last_seq: int
    first_offset: int
    last_offset: int
    timestamp: int

    @classmethod
    def of(cls, header: BatchHeader) -> BatchMetadata:
        """The metadata of a batch whose offsets are assigned."""
        last_seq = sequence_plus(header.base_sequence, header.last_offset_delta)
        return cls(header.base_sequence, last_seq, header.base_offset, header.last_offset, header.max_timestamp)


@dataclass(frozen=True)
class ProducerInfo:
    """One active producer as DescribeProducers reports it."""

    producer_id: int
    producer_epoch: int
    last_sequence: int
    last_timestamp: int
    coordinator_epoch: int
    current_txn_start_offset: int  # -1 when no transaction is open


@dataclass(slots=True)
class ProducerEntry:
    producer_id: int
    epoch: int = NO_PRODUCER_EPOCH
    coordinator_epoch: int = -1
    last_timestamp: int = NO_TIMESTAMP
    txn_first_offset: int | None = None  # set while a transaction is open
    batches: deque[BatchMetadata] = field(default_factory=lambda: deque(maxlen=NUM_BATCHES_TO_RETAIN))

    def copy(self) -> ProducerEntry:
        return ProducerEntry(self.producer_id, self.epoch, self.coordinator_epoch, self.last_timestamp,
                             self.txn_first_offset, deque(self.batches, maxlen=NUM_BATCHES_TO_RETAIN))

    @property
    def last_seq(self) -> int:
        return self.batches[-1].last_seq if self.batches else NO_SEQUENCE

    def find_duplicate(self, header: BatchHeader) -> BatchMetadata | None:
        """The retained batch that ``header`` repeats (same epoch, same sequence range), if any."""
        if header.producer_epoch != self.epoch:
            return None
        last_seq = sequence_plus(header.base_sequence, header.last_offset_delta)
        for batch in self.batches:
            if batch.first_seq == header.base_sequence and batch.last_seq == last_seq:
                return batch
        return None

    def add_batch(self, epoch: int, batch: BatchMetadata) -> None:
        self._set_epoch(epoch)
        self.batches.append(batch)
        self.last_timestamp = batch.timestamp

    def end_transaction(self, epoch: int, coordinator_epoch: int, timestamp: int) -> None:
        """A marker was written: the transaction (if any) is over; the batches stay unless the epoch moved."""
        self._set_epoch(epoch)
        self.coordinator_epoch = coordinator_epoch
        self.txn_first_offset = None
        self.last_timestamp = timestamp

    def _set_epoch(self, epoch: int) -> None:
        """A new epoch starts its sequences afresh, so the old batches can no longer be retried."""
        if epoch != self.epoch:
            self.batches.clear()
            self.epoch = epoch

    def is_expired(self, now_ms: int, expiration_ms: int) -> bool:
        return self.txn_first_offset is None and now_ms - self.last_timestamp >= expiration_ms

    def info(self) -> ProducerInfo:
        return ProducerInfo(
            producer_id=self.producer_id,
            producer_epoch=self.epoch,
            last_sequence=self.last_seq,
            last_timestamp=self.last_timestamp,
            coordinator_epoch=self.coordinator_epoch,
            current_txn_start_offset=-1 if self.txn_first_offset is None else self.txn_first_offset,
        )
