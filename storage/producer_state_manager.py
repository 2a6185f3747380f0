"""One partition's producers and open transactions (Kafka's ProducerStateManager), in memory.

The state stands at the log end. Changes come in two steps so that nothing changes
unless the log write succeeds: ``prepare_*`` checks an append against the state and
returns a ``ProducerUpdate`` of working copies, ``apply`` installs it after the write.
Open transactions are kept in the order of their first offsets (each starts at the
log end, so insertion order is that order), which makes the first unstable offset,
and hence the last stable offset, a lookup. ``PartitionLog`` persists this state in
snapshots; ``producer_state_loader`` rebuilds it at startup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .batch_header import BatchHeader
from .producer_append import CompletedTxn, apply_data_batch, apply_marker
from .producer_state import NO_PRODUCER_EPOCH, BatchMetadata, ProducerEntry, ProducerInfo
from .transaction_index import AbortedTxn
from .transaction_marker import TxnMarker


@dataclass
class ProducerUpdate:
    """The effect of one append on its producers, not yet applied."""

    entries: dict[int, ProducerEntry] = field(default_factory=dict)  # working copies by producer id
    completed: list[CompletedTxn] = field(default_factory=list)


class ProducerStateManager:
    def __init__(self, expiration_ms: int) -> None:
        self.expiration_ms = expiration_ms
        self._producers: dict[int, ProducerEntry] = {}
        self._open_txns: dict[int, int] = {}  # first offset -> producer id, ascending

    # --- queries -----------------------------------------------------------------------------

    @property
    def first_unstable_offset(self) -> int | None:
        """The first offset of the oldest open transaction."""
        return next(iter(self._open_txns), None)

    def has_ongoing_transaction(self, producer_id: int, epoch: int) -> bool:
        """Whether the producer, at this epoch, has a transaction open here."""
        entry = self._producers.get(producer_id)
        return entry is not None and entry.epoch == epoch and entry.txn_first_offset is not None

    def entries(self) -> list[ProducerEntry]:
        return [self._producers[producer_id] for producer_id in sorted(self._producers)]

    def infos(self) -> list[ProducerInfo]:
        return [entry.info() for entry in self.entries()]

    # --- changes -----------------------------------------------------------------------------

    def prepare_append(self, headers: Iterable[BatchHeader]) -> ProducerUpdate | BatchMetadata:
        """Check a client's batches (offsets assigned); or, if one of them repeats a batch the
        producer already appended, that original batch: the whole append is then a retry."""
        update = ProducerUpdate()
        for header in headers:
            producer_id = header.producer_id
            if producer_id < 0:
                continue
            committed = self._producers.get(producer_id)
            if committed is not None:
                duplicate = committed.find_duplicate(header)
                if duplicate is not None:
                    return duplicate
            entry = self._working_copy(update, producer_id)
            committed_epoch = NO_PRODUCER_EPOCH if committed is None else committed.epoch
            apply_data_batch(entry, header, committed_epoch, check=True)
        return update

    def prepare_marker(
        self, producer_id: int, epoch: int, marker: TxnMarker, offset: int, timestamp: int
    ) -> ProducerUpdate:
        """Check a coordinator's marker, to be written at ``offset``."""
        update = ProducerUpdate()
        completed = apply_marker(self._working_copy(update, producer_id), epoch, marker, offset, timestamp,
                                 check=True)
        if completed is not None:
            update.completed.append(completed)
        return update

    def replay(self, header: BatchHeader, marker: TxnMarker | None) -> list[AbortedTxn]:
        """Apply a batch read back from the log (``marker`` for a control batch), unchecked."""
        update = ProducerUpdate()
        entry = self._working_copy(update, header.producer_id)
        if marker is None:
            apply_data_batch(entry, header, entry.epoch, check=False)
        else:
            completed = apply_marker(entry, header.producer_epoch, marker, header.base_offset,
                                     header.max_timestamp, check=False)
            if completed is not None:
                update.completed.append(completed)
        return self.apply(update)

    def apply(self, update: ProducerUpdate) -> list[AbortedTxn]:
        """Install an update whose batches are now in the log; the aborted transactions it ended,
        with the last stable offset right after each, for the transaction index."""
        for producer_id, entry in update.entries.items():
            self._producers[producer_id] = entry
            if entry.txn_first_offset is not None:
                self._open_txns.setdefault(entry.txn_first_offset, producer_id)
        aborted = []
        for txn in update.completed:
            del self._open_txns[txn.first_offset]
            if txn.aborted:
                stable = self.first_unstable_offset
                aborted.append(AbortedTxn(txn.producer_id, txn.first_offset, txn.last_offset,
                                          txn.last_offset + 1 if stable is None else stable))
        return aborted

    def load(self, entries: Iterable[ProducerEntry]) -> None:
        """Start from a snapshot's entries."""
        self._producers = {entry.producer_id: entry for entry in entries}
        open_txns = sorted((e.txn_first_offset, e.producer_id) for e in self._producers.values()
                           if e.txn_first_offset is not None)
        self._open_txns = dict(open_txns)

    def remove_expired(self, now_ms: int) -> None:
        """Forget producers idle for the expiration time, unless their transaction is still open."""
        expired = [pid for pid, entry in self._producers.items() if entry.is_expired(now_ms, self.expiration_ms)]
        for producer_id in expired:
            del self._producers[producer_id]

    def _working_copy(self, update: ProducerUpdate, producer_id: int) -> ProducerEntry:
        entry = update.entries.get(producer_id)
        if entry is None:
            committed = self._producers.get(producer_id)
            entry = update.entries[producer_id] = ProducerEntry(producer_id) if committed is None else committed.copy()
        return entry
