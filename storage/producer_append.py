"""Kafka's rules for a producer's next batch or transaction marker (ProducerAppendInfo), on headers alone.

A client's batches and a coordinator's markers are checked in full; replaying the
log at startup (``check=False``) only applies what is there, since it was checked
when it was appended. The rules, in Kafka's order:

- an epoch older than the producer's → INVALID_PRODUCER_EPOCH;
- a newer epoch must start at sequence 0, the same epoch must continue at the last
  sequence + 1 (2**31-1 is followed by 0) → else OUT_OF_ORDER_SEQUENCE_NUMBER; a
  producer the partition has no epoch for (new, or expired) may start anywhere;
- while a transaction is open, only transactional batches → else INVALID_TXN_STATE;
  the first transactional batch opens one at its base offset;
- a marker from an older coordinator epoch → TRANSACTION_COORDINATOR_FENCED.
"""

from __future__ import annotations

from typing import NamedTuple

from .batch_header import BatchHeader
from .errors import (
    InvalidProducerEpochError,
    InvalidTxnStateError,
    OutOfOrderSequenceError,
    TransactionCoordinatorFencedError,
)
from .producer_state import NO_PRODUCER_EPOCH, BatchMetadata, ProducerEntry, sequence_plus
from .transaction_marker import TxnMarker


class CompletedTxn(NamedTuple):
    producer_id: int
    first_offset: int
    last_offset: int  # the marker's offset
    aborted: bool


def apply_data_batch(entry: ProducerEntry, header: BatchHeader, committed_epoch: int, *, check: bool) -> None:
    """Add a data batch (offsets assigned) to ``entry``, a working copy of its producer's state.

    ``committed_epoch`` is the producer's epoch before the append began: while it is
    unknown, Kafka accepts any sequence, even for a second batch in the same append.
    """
    epoch = header.producer_epoch
    if check:
        _check_epoch(entry, epoch, header.base_offset)
        _check_sequence(entry, header, committed_epoch)
    entry.add_batch(epoch, BatchMetadata.of(header))
    if entry.txn_first_offset is None:
        if header.is_transactional:
            entry.txn_first_offset = header.base_offset
    elif check and not header.is_transactional:
        raise InvalidTxnStateError(
            f"Expected transactional write from producer {entry.producer_id} at offset {header.base_offset}"
        )


def apply_marker(
    entry: ProducerEntry, epoch: int, marker: TxnMarker, offset: int, timestamp: int, *, check: bool
) -> CompletedTxn | None:
    """End ``entry``'s transaction with a marker at ``offset``; the transaction, if one was open."""
    if check:
        _check_epoch(entry, epoch, offset)
        if entry.coordinator_epoch > marker.coordinator_epoch:
            raise TransactionCoordinatorFencedError(
                f"Invalid coordinator epoch for producerId {entry.producer_id} at offset {offset}: "
                f"{marker.coordinator_epoch} (zombie), {entry.coordinator_epoch} (current)"
            )
    completed = None
    if entry.txn_first_offset is not None:
        completed = CompletedTxn(entry.producer_id, entry.txn_first_offset, offset, not marker.commit)
    entry.end_transaction(epoch, marker.coordinator_epoch, timestamp)
    return completed


def _check_epoch(entry: ProducerEntry, epoch: int, offset: int) -> None:
    if epoch < entry.epoch:
        raise InvalidProducerEpochError(
            f"Epoch of producer {entry.producer_id} at offset {offset} is {epoch}, "
            f"which is smaller than the last seen epoch {entry.epoch}"
        )


def _check_sequence(entry: ProducerEntry, header: BatchHeader, committed_epoch: int) -> None:
    first_seq = header.base_sequence
    if header.producer_epoch != entry.epoch:
        if first_seq != 0 and entry.epoch != NO_PRODUCER_EPOCH:
            raise OutOfOrderSequenceError(
                f"Invalid sequence number for new epoch of producer {entry.producer_id} at offset "
                f"{header.base_offset}: {header.producer_epoch} (request epoch), {first_seq} (seq. number), "
                f"{entry.epoch} (current producer epoch)"
            )
    elif committed_epoch != NO_PRODUCER_EPOCH and first_seq != sequence_plus(entry.last_seq, 1):
        raise OutOfOrderSequenceError(
            f"Out of order sequence number for producer {entry.producer_id} at offset {header.base_offset}: "
            f"{first_seq} (incoming seq. number), {entry.last_seq} (current end sequence number)"
        )
