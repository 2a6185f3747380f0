"""The share states of one ``__share_group_state`` partition, as its coordinator keeps them
(Kafka's ``ShareCoordinatorShard``, without its I/O).

Replaying the partition's records (at load, and after each write of ours) builds the states;
``record_for_write`` and friends decide what record a request needs. A write becomes a ShareUpdate
carrying only what changed, until ``share.coordinator.snapshot.update.records.per.snapshot``
updates have followed the last snapshot: then a ShareSnapshot with the whole state. The partition
is never compacted: records every share partition has a newer snapshot of are deleted
(``redundant_offset``), as Kafka prunes the topic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from odradek.wire import ErrorCode

from .share_partition_key import SharePartitionKey
from .share_state import UNINITIALIZED_START_OFFSET, ShareState, ShareUpdate
from .state_batches import StateBatch, combine

UNINITIALIZED_EPOCH = 0
NO_EPOCH = -1  # a request that names no leader or state epoch


class ShareStateError(Exception):
    """A share-state request refused with Kafka's error code and message."""

    def __init__(self, code: ErrorCode, message: str | None = None):
        super().__init__(message or code.name)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class StateWrite:
    """WriteShareGroupState's partition data."""

    state_epoch: int
    leader_epoch: int
    start_offset: int
    delivery_complete_count: int
    batches: tuple[StateBatch, ...]


class ShareStateShard:
    def __init__(self, updates_per_snapshot: int):
        self.updates_per_snapshot = updates_per_snapshot
        self.states: dict[SharePartitionKey, ShareState] = {}
        self._updates: dict[SharePartitionKey, int] = {}  # ShareUpdates since the key's last snapshot
        self._snapshot_offsets: dict[SharePartitionKey, int] = {}  # where each key's last snapshot is
        self.redundant_offset: int | None = None  # records before it are superseded

    # -- replay --------------------------------------------------------------------------------

    def replay(self, key: SharePartitionKey, record: ShareState | ShareUpdate | None, offset: int) -> None:
        """Apply one record read from (or just written to) the partition at ``offset``."""
        if isinstance(record, ShareUpdate):
            current = self.states.get(key)
            self.states[key] = record.as_state() if current is None else current.with_update(record)
            self._updates[key] = self._updates.get(key, 0) + 1
            return
        if record is None:
            self.states.pop(key, None)
            self._updates.pop(key, None)
        else:
            self.states[key] = record
            if self._updates.get(key, 0) >= self.updates_per_snapshot:
                self._updates[key] = 0
        self._snapshot_offsets[key] = offset
        self.redundant_offset = min(self._snapshot_offsets.values())
        if record is None:
            del self._snapshot_offsets[key]

    # -- requests ------------------------------------------------------------------------------

    def read(self, key: SharePartitionKey, leader_epoch: int,
             now_ms: int) -> tuple[ShareState, ShareState | ShareUpdate | None]:
        """ReadShareGroupState: the state, and the record to write first if the reader leads the
        partition at a newer leader epoch than recorded (else None)."""
        state = self._initialized(key, "Read operation on uninitialized share partition not allowed.")
        if leader_epoch != NO_EPOCH and state.leader_epoch > leader_epoch:
            raise ShareStateError(ErrorCode.FENCED_LEADER_EPOCH)
        if leader_epoch == NO_EPOCH or state.leader_epoch == leader_epoch:
            return state, None
        write = StateWrite(state.state_epoch, leader_epoch, state.start_offset, state.delivery_complete_count, ())
        return state, self._record(key, write, now_ms, update_leader_epoch=True)

    def record_for_write(self, key: SharePartitionKey, write: StateWrite, now_ms: int) -> ShareState | ShareUpdate:
        """WriteShareGroupState: the record that stores it; refused for a share partition never
        initialized, or from a deposed leader or state epoch."""
        state = self._initialized(key, "Write operation on uninitialized share partition not allowed.")
        if write.leader_epoch != NO_EPOCH and state.leader_epoch > write.leader_epoch:
            raise ShareStateError(ErrorCode.FENCED_LEADER_EPOCH)
        if write.state_epoch != NO_EPOCH and state.state_epoch > write.state_epoch:
            raise ShareStateError(ErrorCode.FENCED_STATE_EPOCH)
        return self._record(key, write, now_ms, update_leader_epoch=False)

    def record_for_initialize(self, key: SharePartitionKey, state_epoch: int, start_offset: int,
                              now_ms: int) -> ShareState:
        """InitializeShareGroupState: a fresh snapshot (the group coordinator starts the share
        partition over, at ``start_offset``, -1 for its auto offset reset to decide)."""
        current = self.states.get(key)
        if state_epoch != NO_EPOCH and current is not None and current.state_epoch > state_epoch:
            raise ShareStateError(ErrorCode.FENCED_STATE_EPOCH)
        return ShareState(
            snapshot_epoch=0 if current is None else current.snapshot_epoch + 1,
            state_epoch=state_epoch, leader_epoch=UNINITIALIZED_EPOCH, start_offset=start_offset,
            delivery_complete_count=-1 if start_offset == UNINITIALIZED_START_OFFSET else 0,
            create_timestamp=now_ms, write_timestamp=now_ms)

    def cold_snapshots(self, now_ms: int, interval_ms: int) -> dict[SharePartitionKey, ShareState]:
        """Snapshots of the share partitions not snapshotted for ``interval_ms`` while others are
        being written (so old records can be pruned); none when every one is at rest."""
        if all(state.create_timestamp != state.write_timestamp for state in self.states.values()):
            return {}
        return {key: replace(state, snapshot_epoch=state.snapshot_epoch + 1, write_timestamp=now_ms)
                for key, state in self.states.items() if now_ms - state.write_timestamp >= interval_ms}

    # -- internals -----------------------------------------------------------------------------

    def _initialized(self, key: SharePartitionKey, message: str) -> ShareState:
        state = self.states.get(key)
        if state is None:
            raise ShareStateError(ErrorCode.INVALID_REQUEST, message)
        return state

    def _record(self, key: SharePartitionKey, write: StateWrite, now_ms: int,
                update_leader_epoch: bool) -> ShareState | ShareUpdate:
        current = self.states[key]
        leader_epoch = current.leader_epoch
        if update_leader_epoch and write.leader_epoch != NO_EPOCH:
            leader_epoch = write.leader_epoch
        if self._updates.get(key, 0) >= self.updates_per_snapshot:
            start = current.start_offset if write.start_offset == -1 else write.start_offset
            return replace(current, snapshot_epoch=current.snapshot_epoch + 1, start_offset=start,
                            delivery_complete_count=write.delivery_complete_count, leader_epoch=leader_epoch,
                            batches=tuple(combine(list(current.batches), list(write.batches), start)),
                            create_timestamp=now_ms, write_timestamp=now_ms)
        return ShareUpdate(current.snapshot_epoch, leader_epoch, write.start_offset, write.delivery_complete_count,
                           tuple(combine([], list(write.batches), write.start_offset)))
