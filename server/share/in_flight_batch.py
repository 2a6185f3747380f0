"""A range of in-flight offsets: one state for all of them, or one state per offset.

Kafka's ``InFlightBatch``. Records are acquired, and mostly acknowledged, a whole range at a time
(the record batches a fetch returned, cut to the consumer's BatchSize), so a range keeps one
``InFlightState`` for all its offsets. It is *split* into one state per offset only when its
offsets part ways: part of it is acknowledged, acquired or archived, or the consumer acknowledges
offset by offset. A split range never merges back; it leaves the cache once all of it is past the
share-partition start offset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .acquisition_lock import AcquisitionLock
from .in_flight_state import NO_MEMBER, InFlightState
from .record_state import RecordState

#: makes (and schedules) the lock of one offset split out of a range: (member, offset, deadline)
LockFactory = Callable[[str, int, float], AcquisitionLock]


class InFlightBatch:
    __slots__ = ("first_offset", "last_offset", "batch_state", "offset_states")

    def __init__(self, first_offset: int, last_offset: int, state: RecordState, delivery_count: int,
                 member_id: str = NO_MEMBER, lock: AcquisitionLock | None = None):
        self.first_offset = first_offset
        self.last_offset = last_offset
        self.batch_state: InFlightState | None = InFlightState(state, delivery_count, member_id, lock)
        self.offset_states: dict[int, InFlightState] | None = None  # by offset, ascending

    def __repr__(self) -> str:
        inner = self.batch_state if self.offset_states is None else f"{len(self.offset_states)} offset states"
        return f"InFlightBatch({self.first_offset}-{self.last_offset}, {inner})"

    @property
    def record_count(self) -> int:
        return self.last_offset - self.first_offset + 1

    @property
    def is_split(self) -> bool:
        return self.offset_states is not None

    def states(self) -> Iterator[tuple[int, int, InFlightState]]:
        """(first, last, state) for the whole range, or for each offset once split."""
        if self.offset_states is None:
            yield self.first_offset, self.last_offset, self.batch_state
        else:
            for offset, state in self.offset_states.items():
                yield offset, offset, state

    def split(self, make_lock: LockFactory) -> None:
        """One state per offset from now on (Kafka's ``maybeInitializeOffsetStateUpdate``), each
        keeping the range's state, delivery count, member and lock deadline."""
        if self.offset_states is not None:
            return
        whole = self.batch_state
        lock = whole.lock
        states = {}
        for offset in range(self.first_offset, self.last_offset + 1):
            own_lock = None if lock is None else make_lock(whole.member_id, offset, lock.deadline_ms)
            states[offset] = InFlightState(whole.state, whole.delivery_count, whole.member_id, own_lock)
        whole.cancel_lock()
        self.offset_states = states
        self.batch_state = None

    def split_acquired_up_to(self, last_acquired: int, make_lock: LockFactory, deadline_ms: float) -> None:
        """A freshly acquired range of which only ``[first, last_acquired]`` is handed out
        (ShareAcquireMode record_limit): those offsets acquired with their own locks, the rest
        available again, never delivered (delivery count one less)."""
        whole = self.batch_state
        states = {}
        for offset in range(self.first_offset, self.last_offset + 1):
            if offset <= last_acquired:
                states[offset] = InFlightState(whole.state, whole.delivery_count, whole.member_id,
                                               make_lock(whole.member_id, offset, deadline_ms))
            else:
                states[offset] = InFlightState(RecordState.AVAILABLE, whole.delivery_count - 1)
        whole.cancel_lock()
        self.offset_states = states
        self.batch_state = None
