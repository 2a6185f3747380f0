"""The states of a transactional id, with the numbers ``__transaction_state`` stores them by.

``DEAD`` and ``PREPARE_EPOCH_FENCE`` are transient in Kafka (an expiring id, a fence in flight)
and never stored; here transitions complete without a window in between, so they are never
held at all.  They stay in the enum because the ListTransactions state filter accepts their
names, and because ids 6 and 7 belong to them in the log format.
"""

from __future__ import annotations

import enum


class TxnState(enum.IntEnum):
    EMPTY = 0
    ONGOING = 1
    PREPARE_COMMIT = 2
    PREPARE_ABORT = 3
    COMPLETE_COMMIT = 4
    COMPLETE_ABORT = 5
    DEAD = 6
    PREPARE_EPOCH_FENCE = 7

    @property
    def display_name(self) -> str:
        """Kafka's name for the state, as DescribeTransactions and ListTransactions report it."""
        return _NAMES[self]

    @classmethod
    def from_display_name(cls, name: str) -> TxnState | None:
        return _BY_NAME.get(name)

    @property
    def is_preparing(self) -> bool:
        """Markers are being written: the outcome is decided but not yet in every partition."""
        return self in (TxnState.PREPARE_COMMIT, TxnState.PREPARE_ABORT)

    @property
    def is_idle(self) -> bool:
        """No transaction is open: a new one may begin, or the producer re-initialise."""
        return self in (TxnState.EMPTY, TxnState.COMPLETE_COMMIT, TxnState.COMPLETE_ABORT)


_NAMES = {
    TxnState.EMPTY: "Empty",
    TxnState.ONGOING: "Ongoing",
    TxnState.PREPARE_COMMIT: "PrepareCommit",
    TxnState.PREPARE_ABORT: "PrepareAbort",
    TxnState.COMPLETE_COMMIT: "CompleteCommit",
    TxnState.COMPLETE_ABORT: "CompleteAbort",
    TxnState.DEAD: "Dead",
    TxnState.PREPARE_EPOCH_FENCE: "PrepareEpochFence",
}
_BY_NAME = {name: state for state, name in _NAMES.items()}
