"""The state of in-flight records: one record's, or a whole batch's while they all share it.

Kafka's ``InFlightState``. A change asked for by a member (an acknowledgement, a release) is made
as a *transition*: applied at once, so that the next fetch sees it, but undone if writing it to
``__share_group_state`` fails; while it is pending, nothing else may change the records. A change
the broker makes on its own (acquisition, an expired lock) is applied directly.

Asking for AVAILABLE on a record already delivered ``max_delivery_count`` times archives it
instead: that is how the delivery count limit stops a poison record.
"""

from __future__ import annotations

from .acquisition_lock import AcquisitionLock
from .record_state import RecordState

NO_MEMBER = ""  # Kafka's EMPTY_MEMBER_ID: the records are held by no one


class InFlightState:
    __slots__ = ("state", "delivery_count", "member_id", "lock", "terminal", "_rollback")

    def __init__(self, state: RecordState, delivery_count: int, member_id: str = NO_MEMBER,
                 lock: AcquisitionLock | None = None):
        self.state = state
        self.delivery_count = delivery_count
        self.member_id = member_id
        self.lock = lock
        self.terminal = False  # archived by the broker (log start moved past it): never undone
        self._rollback: tuple[RecordState, str, int] | None = None  # (state, member, delivery limit)

    def __repr__(self) -> str:
        return f"InFlightState({self.state.name}, delivery_count={self.delivery_count}, member={self.member_id!r})"

    @property
    def in_transition(self) -> bool:
        return self._rollback is not None

    def is_acquirable(self) -> bool:
        return self.state == RecordState.AVAILABLE and self._rollback is None

    def try_update(self, new_state: RecordState, delivery_delta: int, max_delivery_count: int,
                   member_id: str) -> bool:
        """Apply the change if the state machine allows it (``delivery_delta`` +1 on acquisition);
        False, changing nothing, if not or while a transition is pending."""
        if self._rollback is not None:
            return False
        if new_state == RecordState.AVAILABLE and delivery_delta >= 0 \
                and self.delivery_count >= max_delivery_count:
            new_state = RecordState.ARCHIVED
        if not self.state.may_become(new_state):
            return False
        self.state = new_state
        if new_state != RecordState.ARCHIVED:
            self.delivery_count += delivery_delta
        self.member_id = member_id
        return True

    def start_transition(self, new_state: RecordState, max_delivery_count: int, member_id: str = NO_MEMBER) -> bool:
        """``try_update`` that ``complete_transition`` can undo."""
        before = (self.state, self.member_id, max_delivery_count)
        if not self.try_update(new_state, 0, max_delivery_count, member_id):
            return False
        self._rollback = before
        return True

    def complete_transition(self, commit: bool) -> None:
        """The transition's write succeeded (``commit``) or failed. Undone, the records go back
        to ACQUIRED, unless their lock expired meanwhile: then they are available again (or
        archived, at the delivery limit). The delivery count is never undone."""
        rollback, self._rollback = self._rollback, None
        if rollback is None:
            return
        if commit or self.terminal:
            self.cancel_lock()
            return
        state, member_id, max_delivery_count = rollback
        if self.lock is not None and self.lock.expired:
            self.state = RecordState.ARCHIVED if self.delivery_count >= max_delivery_count else RecordState.AVAILABLE
            self.member_id = NO_MEMBER
            self.cancel_lock()
        else:
            self.state = state
            self.member_id = member_id

    def archive(self) -> None:
        """Archive for good, whatever the state (the log start offset moved past the records,
        or they belong to an aborted transaction)."""
        self.terminal = True
        self.state = RecordState.ARCHIVED
        self.member_id = NO_MEMBER
        self.cancel_lock()

    def cancel_lock(self) -> None:
        if self.lock is not None:
            self.lock.cancelled = True
            self.lock = None
