"""One transactional id's state, and the transitions Kafka allows between its states.

A ``TxnMetadata`` is immutable: each transition returns the next value, which the coordinator
stores in ``__transaction_state`` before it replaces the current one, so memory never runs ahead
of the log.  Transitions check only what the state itself decides; who may ask (producer id and
epoch) is checked by the coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from odradek.wire import ErrorCode

from .txn_state import TxnState

TopicPartition = tuple[str, int]

NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
MAX_EPOCH = 32767


class TxnError(Exception):
    """A request the transaction's state refuses, with the error code to answer."""

    def __init__(self, code: ErrorCode):
        super().__init__(code.name)
        self.code = code


def epoch_exhausted(epoch: int) -> bool:
    """Kafka never hands out the last epoch, so that the coordinator can always fence one more time."""
    return epoch >= MAX_EPOCH - 1


@dataclass(frozen=True)
class TxnMetadata:
    """``producer_epoch`` is -1 only before the first InitProducerId completes; ``start_ms`` is
    when the current (or last) transaction added its first partition, -1 if none ever did.
    ``last_producer_epoch`` is the epoch before the last bump, which lets a producer retry an
    InitProducerId whose answer it lost (KIP-360); like Kafka's v0 value, the log does not keep
    it."""

    transactional_id: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: TxnState
    partitions: frozenset[TopicPartition] = frozenset()
    start_ms: int = -1
    last_update_ms: int = -1
    previous_producer_id: int = NO_PRODUCER_ID
    last_producer_epoch: int = NO_PRODUCER_EPOCH

    @classmethod
    def new(cls, transactional_id: str, producer_id: int, timeout_ms: int, now_ms: int) -> TxnMetadata:
        return cls(transactional_id, producer_id, NO_PRODUCER_EPOCH, timeout_ms, TxnState.EMPTY,
                   last_update_ms=now_ms)

    # -- InitProducerId -----------------------------------------------------------------------

    def with_bumped_epoch(self, timeout_ms: int, expected_epoch: int | None, now_ms: int) -> TxnMetadata:
        """The next epoch for a (re)initialising producer, which starts with no transaction.

        With no ``expected_epoch`` (a new producer instance) the epoch is bumped, fencing any
        older instance.  A producer recovering from an error names its epoch: the current one
        is bumped, and the one before it (a retry whose answer was lost) is answered again
        unchanged; any other epoch is fenced.
        """
        self._require_idle()
        bumped = self.producer_epoch + 1
        if expected_epoch is None:
            epoch, last = bumped, NO_PRODUCER_EPOCH
        elif self.producer_epoch == NO_PRODUCER_EPOCH or expected_epoch == self.producer_epoch:
            epoch, last = bumped, self.producer_epoch
        elif expected_epoch == self.last_producer_epoch:
            epoch, last = self.producer_epoch, self.last_producer_epoch
        else:
            raise TxnError(ErrorCode.PRODUCER_FENCED)
        return replace(self, producer_epoch=epoch, last_producer_epoch=last, timeout_ms=timeout_ms,
                       state=TxnState.EMPTY, partitions=frozenset(), start_ms=-1, last_update_ms=now_ms)

    def with_new_producer_id(self, producer_id: int, timeout_ms: int, keep_last_epoch: bool,
                             now_ms: int) -> TxnMetadata:
        """A fresh producer id at epoch 0, once every epoch of the current one is used up."""
        self._require_idle()
        return replace(self, producer_id=producer_id, previous_producer_id=self.producer_id, producer_epoch=0,
                       last_producer_epoch=self.producer_epoch if keep_last_epoch else NO_PRODUCER_EPOCH,
                       timeout_ms=timeout_ms, state=TxnState.EMPTY, partitions=frozenset(), start_ms=-1,
                       last_update_ms=now_ms)

    # -- a transaction ------------------------------------------------------------------------

    def with_partitions(self, partitions: frozenset[TopicPartition], now_ms: int) -> TxnMetadata:
        """Ongoing, with ``partitions`` added; adding the first one starts the transaction (and its timeout)."""
        if self.state != TxnState.ONGOING:
            self._require_idle()
        start = now_ms if self.state != TxnState.ONGOING else self.start_ms
        return replace(self, state=TxnState.ONGOING, partitions=self.partitions | partitions, start_ms=start,
                       last_update_ms=now_ms)

    def preparing(self, commit: bool, now_ms: int) -> TxnMetadata:
        """The outcome decided: the markers may now be written."""
        if self.state != TxnState.ONGOING:
            raise ValueError(f"cannot end a transaction in state {self.state.display_name}")
        state = TxnState.PREPARE_COMMIT if commit else TxnState.PREPARE_ABORT
        return replace(self, state=state, last_update_ms=now_ms)

    def fenced_for_abort(self, now_ms: int) -> TxnMetadata:
        """Abort on the coordinator's own initiative (a timeout, or a new producer instance taking
        over): the epoch is bumped first, so the producer that opened the transaction is fenced
        and cannot add to it while it is being aborted."""
        if self.producer_epoch >= MAX_EPOCH:
            raise ValueError(f"cannot fence producer {self.producer_id}: its epoch is already {MAX_EPOCH}")
        fenced = replace(self, producer_epoch=self.producer_epoch + 1, last_producer_epoch=NO_PRODUCER_EPOCH)
        return fenced.preparing(commit=False, now_ms=now_ms)

    def completed(self, now_ms: int) -> TxnMetadata:
        """Every marker written: the transaction is over and its partitions are forgotten."""
        if not self.state.is_preparing:
            raise ValueError(f"cannot complete a transaction in state {self.state.display_name}")
        state = TxnState.COMPLETE_COMMIT if self.state == TxnState.PREPARE_COMMIT else TxnState.COMPLETE_ABORT
        return replace(self, state=state, partitions=frozenset(), last_update_ms=now_ms)

    @property
    def committing(self) -> bool:
        return self.state in (TxnState.PREPARE_COMMIT, TxnState.COMPLETE_COMMIT)

    def _require_idle(self) -> None:
        if self.state.is_preparing:
            raise TxnError(ErrorCode.CONCURRENT_TRANSACTIONS)
        if not self.state.is_idle:
            raise ValueError(f"transition not allowed from state {self.state.display_name}")
