"""One share group's view of one partition: which records are in flight, and in what state.

Kafka's ``SharePartition``, without its I/O: the share partition manager reads the log, persists
what changes and keeps the clock; everything here is synchronous and deterministic.

The *share-partition start offset* (SPSO, ``start_offset``) is the first offset not yet delivered
for good; ``end_offset`` the last offset handed out (while nothing is cached, the next offset to
fetch). Between them the cache holds ``InFlightBatch`` ranges in offset order. Records are
acquired (AVAILABLE -> ACQUIRED, delivery count + 1) under a lock that expires after the group's
``share.record.lock.duration.ms``; the member then accepts (ACKNOWLEDGED), releases (AVAILABLE at
once) or rejects (ARCHIVED) them; an expired lock makes them AVAILABLE again. A record delivered
``share.delivery.count.limit`` times is archived instead of made available. Once the records at
the SPSO are acknowledged or archived, the SPSO moves past them and the cache forgets them. No
more than ``share.partition.max.record.locks`` records are in flight at once, except that records
already in flight may always be acquired again.

Acquisition works on the log's record batches (their offsets only; records are never decoded):
a fetch acquires whole batches, grouped into ranges of about the consumer's BatchSize records,
and a range is split into per-offset states only when its records part ways (see
``in_flight_batch``). Records that failed deliveries are isolated: from half the delivery limit on,
they are handed out in ever smaller runs, and on their last attempt alone, so one poison record
does not take a whole batch to the limit with it.

Kafka's "gap window" (offsets after the SPSO that the persisted state does not cover, which are
fetched again as new records) is kept here as AVAILABLE ranges with delivery count 0, filled in
when the state is loaded: acquiring them then delivers them for the first time, as in Kafka.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Protocol

from odradek.wire import ErrorCode

from .acquired_records import AcquiredRecords, merged
from .acquisition_lock import AcquisitionLock, LockTimer
from .in_flight_batch import InFlightBatch
from .in_flight_state import NO_MEMBER, InFlightState
from .record_state import ACK_TYPE_STATE, AcknowledgeType, RecordState
from .share_error import ShareError
from .share_settings import ShareSettings
from .state_batches import StateBatch

_FIRST = attrgetter("first_offset")
MIN_THROTTLE_DELIVERY_LIMIT = 2  # Kafka's MINIMUM_THROTTLE_RECORDS_DELIVERY_LIMIT


class FetchedBatch(Protocol):
    """What acquisition needs of a record batch read from the log."""

    base_offset: int
    last_offset: int


@dataclass(frozen=True)
class AcknowledgementBatch:
    """One acknowledgement range of a request: one type for all of it, or one per offset."""

    first_offset: int
    last_offset: int
    acknowledge_types: tuple[int, ...]


@dataclass
class PendingWrite:
    """Transitions made but not yet durable: the states to commit or undo, and the state
    batches to write for them."""

    states: list[InFlightState] = field(default_factory=list)
    batches: list[StateBatch] = field(default_factory=list)
    renewals: list[tuple[InFlightState, int, int]] = field(default_factory=list)  # RENEW: (state, first, last)

    def add(self, state: InFlightState, first_offset: int, last_offset: int) -> None:
        self.states.append(state)
        self.batches.append(StateBatch(first_offset, last_offset, int(state.state), state.delivery_count))


class SharePartition:
    def __init__(self, group_id: str, topic_id, partition: int, leader_epoch: int,
                 settings: Callable[[], ShareSettings]):
        self.group_id = group_id
        self.topic_id = topic_id
        self.partition = partition
        self.leader_epoch = leader_epoch
        self._settings = settings
        self.start_offset = 0
        self.end_offset = 0
        self.state_epoch = 0
        self.locks = LockTimer()
        self._cache: list[InFlightBatch] = []
        self._find_next_fetch_offset = False

    def __repr__(self) -> str:
        return (f"SharePartition({self.group_id!r}, {self.topic_id}-{self.partition}, start={self.start_offset}, "
                f"end={self.end_offset}, cache={self._cache})")

    # -- settings ------------------------------------------------------------------------------

    @property
    def max_delivery_count(self) -> int:
        return self._settings().delivery_count_limit

    @property
    def max_in_flight_records(self) -> int:
        return self._settings().partition_max_record_locks

    @property
    def lock_duration_ms(self) -> int:
        return self._settings().record_lock_duration_ms

    # -- loading -------------------------------------------------------------------------------

    def initialize(self, start_offset: int, state_epoch: int, batches: Sequence[StateBatch]) -> None:
        """Take the persisted state: the SPSO (already resolved, never -1) and the ranges after
        it. Offsets between them that the state does not cover are available for a first
        delivery. Raises ShareError for ranges Kafka would refuse to load."""
        self.start_offset = start_offset
        self.state_epoch = state_epoch
        self._cache = []
        previous_last = start_offset - 1
        for batch in sorted(batches):
            if batch.first_offset < start_offset or batch.last_offset < batch.first_offset \
                    or batch.first_offset <= previous_last:
                raise ShareError(ErrorCode.UNKNOWN_SERVER_ERROR,
                                 f"Failed to initialize the share partition {self.group_id}-{self.topic_id}-"
                                 f"{self.partition}: invalid state batch {tuple(batch)}")
            if batch.first_offset > previous_last + 1:
                self._cache.append(InFlightBatch(previous_last + 1, batch.first_offset - 1, RecordState.AVAILABLE, 0))
            state = RecordState(batch.delivery_state)
            if not state.is_terminal:
                state = RecordState.AVAILABLE  # nothing persisted is held by a member any more
            self._cache.append(InFlightBatch(batch.first_offset, batch.last_offset, state, batch.delivery_count))
            previous_last = batch.last_offset
        if self._cache:
            self._find_next_fetch_offset = True
            self.end_offset = self._cache[-1].last_offset
            self.advance_start_offset()
        else:
            self.end_offset = start_offset

    # -- questions -----------------------------------------------------------------------------

    def next_fetch_offset(self) -> int:
        """Where the next fetch reads from: the first available record in flight if any was
        released or timed out, else just past the records handed out."""
        past_cache = not self._cache or self.start_offset > self._cache[-1].last_offset
        if not self._find_next_fetch_offset:
            return self.end_offset if past_cache else self.end_offset + 1
        if past_cache:
            self._find_next_fetch_offset = False
            return self.end_offset
        for batch in self._cache:
            for first, _last, state in batch.states():
                if state.is_acquirable():
                    return first
        self._find_next_fetch_offset = False
        return self.end_offset + 1

    def in_flight_count(self) -> int:
        return 0 if not self._cache else self.end_offset - self.start_offset + 1

    def can_acquire_records(self) -> bool:
        """Whether a fetch may acquire anything: records in flight were made available again, or
        fewer than ``share.partition.max.record.locks`` are in flight."""
        if self.next_fetch_offset() != self.end_offset + 1:
            return True
        return self.in_flight_count() < self.max_in_flight_records

    def delivery_complete_count(self) -> int:
        """Records at or after the SPSO already acknowledged or archived (KIP-1226: with the SPSO,
        what the lag of the share group is computed from)."""
        count = 0
        for batch in self._cache:
            for first, last, state in batch.states():
                if state.state.is_terminal and last >= self.start_offset:
                    count += last - max(first, self.start_offset) + 1
        return count

    def cached_ranges(self) -> list[tuple[int, int, RecordState, int, str]]:
        """(first, last, state, delivery count, member) of everything cached: for tests and logs."""
        return [(first, last, state.state, state.delivery_count, state.member_id)
                for batch in self._cache for first, last, state in batch.states()]

    # -- acquisition ---------------------------------------------------------------------------

    def acquire(self, member_id: str, batches: Sequence[FetchedBatch], fetch_offset: int, max_records: int,
                batch_size: int, now_ms: float, record_limit: bool = False,
                aborted: Iterable[tuple[int, int]] = ()) -> tuple[list[AcquiredRecords], int]:
        """Acquire for ``member_id`` what of ``batches`` (read from ``fetch_offset``) is
        available: (the ranges acquired, how many records they hold). ``max_records`` is a soft
        limit: whole batches are acquired, unless ``record_limit`` (ShareAcquireMode 1) holds the
        member to it exactly. ``aborted`` lists (base, last) of batches of aborted transactions
        (read_committed), archived rather than delivered."""
        if max_records <= 0 or not batches:
            return [], 0
        first_batch, last_batch = batches[0], batches[-1]
        if last_batch.last_offset < self.start_offset:
            return [], 0
        last_to_acquire, max_to_acquire = self._last_offset_and_max_records(fetch_offset, max_records,
                                                                            last_batch.last_offset)
        if max_to_acquire <= 0:
            return [], 0
        base_offset = first_batch.base_offset
        self._archive_stale_batches(fetch_offset, base_offset)
        floor = self._floor(base_offset)
        if floor is None:
            base_offset = max(base_offset, self.start_offset)
        elif floor.last_offset >= base_offset:
            base_offset = floor.first_offset
        overlapping = self._sub_cache(min(first_batch.base_offset, base_offset), last_to_acquire)
        if not overlapping:
            acquired, count = self._acquire_new(member_id, batches, record_limit, base_offset, last_to_acquire,
                                                batch_size, max_to_acquire, now_ms)
            return self._without_aborted(acquired, count, aborted)

        result: list[AcquiredRecords] = []
        count = 0
        max_delivery = self.max_delivery_count
        for batch in overlapping:
            if count >= max_to_acquire:
                break
            full_match = batch.first_offset >= first_batch.base_offset and batch.last_offset <= last_to_acquire
            remaining = max_to_acquire - count
            record_limit_subset = record_limit and batch.record_count > remaining
            throttle = self._should_throttle(batch, first_batch.base_offset, last_to_acquire)
            if throttle and count > 0:
                max_to_acquire = 0  # deliver the struggling records apart, in a later fetch
                break
            if not full_match or batch.is_split or record_limit_subset or throttle:
                if not batch.is_split:
                    if not batch.batch_state.is_acquirable():
                        continue
                    batch.split(self._make_lock)
                got = self._acquire_subset(member_id, record_limit, remaining, first_batch.base_offset,
                                           last_to_acquire, batch, result, now_ms)
                count += got
                if throttle and got > 0:
                    max_to_acquire = 0
                    break
                continue
            state = batch.batch_state
            if not state.is_acquirable() or not state.try_update(RecordState.ACQUIRED, 1, max_delivery, member_id):
                continue
            state.lock = self._lock(member_id, batch.first_offset, batch.last_offset, now_ms + self.lock_duration_ms)
            result.append(AcquiredRecords(batch.first_offset, batch.last_offset, state.delivery_count))
            count += batch.record_count

        if count < max_to_acquire and overlapping[-1].last_offset < last_to_acquire:
            acquired, more = self._acquire_new(member_id, batches, record_limit, overlapping[-1].last_offset + 1,
                                               last_to_acquire, batch_size, max_to_acquire - count, now_ms)
            result += acquired
            count += more
        return self._without_aborted(result, count, aborted)

    def _last_offset_and_max_records(self, fetch_offset: int, max_records: int, last_offset: int) -> tuple[int, int]:
        """How far and how many records a fetch may acquire under the in-flight cap: once at the
        cap, only records already in flight (released, timed out) may be acquired again."""
        max_to_acquire = min(max_records, self.max_in_flight_records - self.in_flight_count())
        if max_to_acquire <= 0 and fetch_offset <= self.end_offset:
            return min(last_offset, self.end_offset), min(max_records, self.end_offset - fetch_offset + 1)
        return last_offset, max_to_acquire

    def _acquire_new(self, member_id: str, batches: Sequence[FetchedBatch], record_limit: bool, first: int,
                     last: int, batch_size: int, max_records: int, now_ms: float) -> tuple[list[AcquiredRecords], int]:
        """Acquire records never in flight before, ``[first, last]`` cut down to about
        ``max_records`` at a batch boundary."""
        first_acquired = first
        if not self._cache and self.end_offset > first_acquired:
            first_acquired = self.end_offset
        last_acquired = last
        if max_records < last_acquired - first_acquired + 1:
            last_acquired = _last_offset_of_batch_with(batches, first_acquired + max_records - 1)
        if last_acquired < first_acquired:
            return [], 0
        acquired = self._create_batches(member_id, batches, record_limit, max_records, first_acquired,
                                        last_acquired, batch_size, now_ms)
        if self._cache[0].first_offset == first_acquired:
            self.start_offset = first_acquired
        if last_acquired > self.end_offset:
            self.end_offset = last_acquired
        if record_limit:
            last_acquired = acquired[0].last_offset
        return acquired, last_acquired - first_acquired + 1

    def _create_batches(self, member_id: str, batches: Sequence[FetchedBatch], record_limit: bool, max_records: int,
                        first: int, last: int, batch_size: int, now_ms: float) -> list[AcquiredRecords]:
        """New in-flight ranges for ``[first, last]``: cut at record-batch boundaries into runs of
        at least ``batch_size`` records (one run in record_limit mode, of which only
        ``max_records`` are acquired)."""
        batch_size = max(batch_size, 1)
        ranges = []
        current = first
        if not record_limit and last - first + 1 > batch_size:
            for fetched in batches:
                if fetched.base_offset > last:
                    break
                if fetched.base_offset - current >= batch_size:
                    ranges.append(AcquiredRecords(current, fetched.base_offset - 1, 1))
                    current = fetched.base_offset
        ranges.append(AcquiredRecords(current, last, 1))
        deadline = now_ms + self.lock_duration_ms
        if record_limit and ranges[0].record_count > max_records:
            whole = ranges[0]
            batch = InFlightBatch(whole.first_offset, whole.last_offset, RecordState.ACQUIRED, 1, member_id)
            last_acquired = whole.first_offset + max_records - 1
            batch.split_acquired_up_to(last_acquired, self._make_lock, deadline)
            self._find_next_fetch_offset = True
            self._insert(batch)
            return [whole._replace(last_offset=last_acquired)]
        for acquired in ranges:
            lock = self._lock(member_id, acquired.first_offset, acquired.last_offset, deadline)
            self._insert(InFlightBatch(acquired.first_offset, acquired.last_offset, RecordState.ACQUIRED, 1,
                                       member_id, lock))
        return ranges

    def _acquire_subset(self, member_id: str, record_limit: bool, max_records: int, first: int, last: int,
                        batch: InFlightBatch, result: list[AcquiredRecords], now_ms: float) -> int:
        """Acquire the available offsets of a split range within ``[first, last]``, isolating
        those that failed deliveries before; the count acquired."""
        max_delivery = self.max_delivery_count
        throttle_limit = _throttle_delivery_limit(max_delivery)
        throttled_max = -1
        got: list[AcquiredRecords] = []
        deadline = now_ms + self.lock_duration_ms
        for offset, state in batch.offset_states.items():
            if offset < first:
                continue
            if offset > last:
                break
            if not state.is_acquirable():
                continue
            delivered = state.delivery_count
            if max_delivery > 2 and delivered == max_delivery - 1 and got:
                break  # its last attempt: delivered alone, in the next fetch
            if delivered >= throttle_limit and throttled_max < 0:
                throttled_max = max(1, len(batch.offset_states) >> (delivered - throttle_limit + 1))
            if not state.try_update(RecordState.ACQUIRED, 1, max_delivery, member_id):
                continue
            state.lock = self._lock(member_id, offset, offset, deadline)
            got.append(AcquiredRecords(offset, offset, state.delivery_count))
            if state.delivery_count == max_delivery and max_delivery > 2:
                break  # its last attempt: delivered alone
            if record_limit and len(got) == max_records:
                break
            if throttled_max > 0 and len(got) == throttled_max:
                break
        result.extend(merged(got))
        return len(got)

    def _should_throttle(self, batch: InFlightBatch, first: int, last: int) -> bool:
        """Whether the range holds records available again after reaching half the delivery limit."""
        limit = _throttle_delivery_limit(self.max_delivery_count)
        if not batch.is_split:
            state = batch.batch_state
            return state.is_acquirable() and state.delivery_count >= limit
        counts = [state.delivery_count for offset, state in batch.offset_states.items()
                  if first <= offset <= last and state.is_acquirable()]
        return max(counts, default=0) >= limit

    def _archive_stale_batches(self, fetch_offset: int, base_offset: int) -> None:
        """Available records between the fetch offset and the first batch the log returned are
        gone (compacted away): archive them so the SPSO can move past."""
        if not self._cache or fetch_offset >= base_offset:
            return
        floor_offset = fetch_offset
        floor = self._floor(fetch_offset)
        if floor is not None and floor.last_offset >= fetch_offset:
            floor_offset = floor.first_offset
        stale = [b for b in self._cache if floor_offset <= b.first_offset < base_offset]
        if self._archive(fetch_offset, base_offset, stale, RecordState.AVAILABLE):
            self._find_next_fetch_offset = True

    def _without_aborted(self, acquired: list[AcquiredRecords], count: int,
                         aborted: Iterable[tuple[int, int]]) -> tuple[list[AcquiredRecords], int]:
        """read_committed: archive the acquired records of aborted transactions instead of
        handing them out."""
        aborted = sorted(aborted)
        if not acquired or not aborted:
            return acquired, count
        for base, last in aborted:
            floor_index = self._floor_index(base)
            if floor_index >= 0:
                self._archive(base, last + 1, self._cache[floor_index:bisect.bisect_right(self._cache, last, key=_FIRST)],
                              RecordState.ACQUIRED)
        kept = []
        for ranges in acquired:
            pieces = [(ranges.first_offset, ranges.last_offset)]
            for base, last in aborted:
                pieces = [piece for first, end in pieces for piece in _minus(first, end, base, last)]
            kept += [AcquiredRecords(first, end, ranges.delivery_count) for first, end in pieces]
        return kept, sum(r.record_count for r in kept)

    # -- acknowledgement -----------------------------------------------------------------------

    def acknowledge(self, member_id: str, batches: Sequence[AcknowledgementBatch], now_ms: float) -> PendingWrite:
        """Start the member's acknowledgements: the transitions made, to be written and then
        committed or undone with ``finish``. A refused acknowledgement (ShareError:
        INVALID_RECORD_STATE, INVALID_REQUEST) undoes every transition of the request."""
        pending = PendingWrite()
        try:
            for batch in batches:
                ack_types = _ack_types(batch)
                if batch.last_offset < self.start_offset:
                    continue  # already archived
                in_range = self._cache_for_acknowledgement(batch)
                self._acknowledge_ranges(member_id, batch, ack_types, in_range, pending)
        except ShareError:
            self.finish(pending, written=False)
            raise
        for state, first, last in pending.renewals:
            self._renew(state, member_id, first, last, now_ms)
        return pending

    def _cache_for_acknowledgement(self, batch: AcknowledgementBatch) -> list[InFlightBatch]:
        floor_index = self._floor_index(batch.first_offset)
        if floor_index < 0:
            if batch.first_offset < self.start_offset <= batch.last_offset:
                floor_index = self._floor_index(self.start_offset)
            if floor_index < 0:
                raise ShareError(ErrorCode.INVALID_RECORD_STATE,
                                 "Batch record not found. The request batch offsets are not found in the cache.")
        in_range = self._cache[floor_index:bisect.bisect_right(self._cache, batch.last_offset, key=_FIRST)]
        if in_range[-1].last_offset < batch.first_offset:
            raise ShareError(ErrorCode.INVALID_REQUEST,
                             "Batch record not found. The first offset in request is past acquired records.")
        if batch.last_offset > in_range[-1].last_offset:
            raise ShareError(ErrorCode.INVALID_REQUEST,
                             "Batch record not found. The last offset in request is past acquired records.")
        return in_range

    def _acknowledge_ranges(self, member_id: str, batch: AcknowledgementBatch, ack_types: dict[int, int],
                            in_range: list[InFlightBatch], pending: PendingWrite) -> None:
        for cached in in_range:
            if cached.last_offset < self.start_offset:
                continue
            if not cached.is_split:
                owner = cached.batch_state.member_id
                if owner == NO_MEMBER:
                    raise ShareError(ErrorCode.INVALID_RECORD_STATE,
                                     "The batch cannot be acknowledged. The batch is not in the acquired state.")
                if owner != member_id:
                    raise ShareError(ErrorCode.INVALID_RECORD_STATE, "Member is not the owner of batch record")
                if cached.batch_state.in_transition:
                    raise ShareError(ErrorCode.INVALID_RECORD_STATE,
                                     "The record state is invalid. The acknowledgement of delivery could not be completed.")
            full_match = cached.first_offset >= batch.first_offset and cached.last_offset <= batch.last_offset
            per_offset = len(batch.acknowledge_types) > 1
            start_inside = cached.first_offset < self.start_offset <= cached.last_offset
            if not full_match or cached.is_split or per_offset or start_inside:
                if not cached.is_split:
                    if cached.batch_state.state != RecordState.ACQUIRED:
                        raise ShareError(ErrorCode.INVALID_RECORD_STATE, "The batch cannot be acknowledged. "
                                         "The subset batch is not in the acquired state.")
                    cached.split(self._make_lock)
                self._acknowledge_offsets(member_id, batch, cached, ack_types, pending)
            else:
                self._acknowledge_whole(cached, batch.acknowledge_types[0], pending)

    def _acknowledge_offsets(self, member_id: str, batch: AcknowledgementBatch, cached: InFlightBatch,
                             ack_types: dict[int, int], pending: PendingWrite) -> None:
        for offset, state in cached.offset_states.items():
            if offset < batch.first_offset or offset < self.start_offset:
                continue
            if offset > batch.last_offset:
                break
            if state.state != RecordState.ACQUIRED:
                raise ShareError(ErrorCode.INVALID_RECORD_STATE,
                                 "The offset cannot be acknowledged. The offset is not acquired.")
            if state.in_transition:
                raise ShareError(ErrorCode.INVALID_RECORD_STATE,
                                 "The record state is invalid. The acknowledgement of delivery could not be completed.")
            if state.member_id != member_id:
                raise ShareError(ErrorCode.INVALID_RECORD_STATE, "Member is not the owner of offset")
            ack_type = ack_types[offset] if len(ack_types) > 1 else batch.acknowledge_types[0]
            if ack_type == AcknowledgeType.RENEW:
                self._check_renew_enabled()
                pending.renewals.append((state, offset, offset))
                continue
            if not state.start_transition(ACK_TYPE_STATE[ack_type], self.max_delivery_count):
                raise ShareError(ErrorCode.INVALID_RECORD_STATE, "Unable to acknowledge records for the batch")
            pending.add(state, offset, offset)

    def _acknowledge_whole(self, cached: InFlightBatch, ack_type: int, pending: PendingWrite) -> None:
        state = cached.batch_state
        if state.state != RecordState.ACQUIRED:
            raise ShareError(ErrorCode.INVALID_RECORD_STATE,
                             "The batch cannot be acknowledged. The batch is not in the acquired state.")
        if ack_type == AcknowledgeType.RENEW:
            self._check_renew_enabled()
            pending.renewals.append((state, cached.first_offset, cached.last_offset))
            return
        if not state.start_transition(ACK_TYPE_STATE[ack_type], self.max_delivery_count):
            raise ShareError(ErrorCode.INVALID_RECORD_STATE, "Unable to acknowledge records for the batch")
        pending.add(state, cached.first_offset, cached.last_offset)

    def _check_renew_enabled(self) -> None:
        if not self._settings().renew_acknowledge_enable:
            raise ShareError(ErrorCode.INVALID_RECORD_STATE, "Renewing acquisition locks is not enabled for the group.")

    def _renew(self, state: InFlightState, member_id: str, first: int, last: int, now_ms: float) -> None:
        """RENEW (KIP-1222): a fresh lock, nothing to write. Applied once the whole request is
        accepted (Kafka renews as it goes, so a request refused part-way keeps some renewals)."""
        state.cancel_lock()
        state.lock = self._lock(member_id, first, last, now_ms + self.lock_duration_ms)

    def release_member(self, member_id: str) -> PendingWrite:
        """Make what the member holds available again (its share session closed, or its
        connection went): the transitions to write, then ``finish``. Records held before the
        SPSO are archived; the delivery count is kept, so a record delivered to its limit is
        archived."""
        pending = PendingWrite()
        max_delivery = self.max_delivery_count
        for cached in self._cache:
            whole = cached.batch_state
            if whole is not None and whole.state == RecordState.ACQUIRED and whole.member_id == member_id \
                    and cached.first_offset < self.start_offset <= cached.last_offset:
                cached.split(self._make_lock)
            for first, last, state in cached.states():
                if state.member_id not in (member_id, NO_MEMBER) or state.state != RecordState.ACQUIRED:
                    continue
                target = RecordState.ARCHIVED if last < self.start_offset else RecordState.AVAILABLE
                if state.start_transition(target, max_delivery):
                    pending.add(state, first, last)
        return pending

    def finish(self, pending: PendingWrite, written: bool) -> bool:
        """The pending transitions were written (commit them) or not (undo them); True if the
        SPSO moved."""
        for state in pending.states:
            state.complete_transition(written)
            if state.state == RecordState.AVAILABLE:
                self._find_next_fetch_offset = True
        return written and self.advance_start_offset()

    # -- locks ---------------------------------------------------------------------------------

    def next_lock_deadline(self) -> float | None:
        return self.locks.next_deadline()

    def expire_locks(self, now_ms: float) -> list[StateBatch]:
        """Release the records whose lock ran out by ``now_ms`` (AVAILABLE, or ARCHIVED at the
        delivery limit or before the SPSO): applied at once, the state batches to write are
        returned; ``advance_start_offset`` once written (whatever the outcome, as Kafka does).
        Records whose acknowledgement is being written are left to its outcome."""
        written = []
        max_delivery = self.max_delivery_count
        while due := self.locks.pop_due(now_ms):
            for lock in due:
                lock.expired = True
                floor_index = self._floor_index(lock.first_offset)
                if floor_index < 0:
                    continue
                for cached in self._cache[floor_index:bisect.bisect_right(self._cache, lock.last_offset, key=_FIRST)]:
                    if cached.batch_state is not None and cached.batch_state.lock is lock \
                            and cached.first_offset < self.start_offset <= cached.last_offset:
                        cached.split(self._make_lock)  # its offsets' locks are due too: the next round
                        continue
                    for first, last, state in cached.states():
                        if state.lock is not lock or state.state != RecordState.ACQUIRED:
                            continue
                        target = RecordState.ARCHIVED if last < self.start_offset else RecordState.AVAILABLE
                        if not state.try_update(target, 0, max_delivery, NO_MEMBER):
                            continue
                        state.cancel_lock()
                        written.append(StateBatch(first, last, int(state.state), state.delivery_count))
                        if state.state != RecordState.ARCHIVED:
                            self._find_next_fetch_offset = True
        return written

    # -- the SPSO ------------------------------------------------------------------------------

    def advance_start_offset(self) -> bool:
        """Move the SPSO past the acknowledged and archived records at its head, and forget the
        ranges wholly behind it; True if it moved (Kafka's ``maybeUpdateCachedStateAndOffsets``)."""
        if not self._can_move_start_offset():
            return False
        last_done = self._last_offset_done()
        if last_done < 0:
            return False
        if last_done == self._cache[-1].last_offset:
            self.start_offset = self.end_offset = last_done + 1
            self._cache.clear()
            return True
        index = self._floor_index(last_done)
        if last_done == self._cache[index].last_offset:
            self.start_offset = max(self.start_offset, self._cache[index + 1].first_offset)
            del self._cache[:index + 1]
        else:
            self.start_offset = max(self.start_offset, last_done + 1)
            del self._cache[:index]
        return True

    def _can_move_start_offset(self) -> bool:
        floor = self._floor(self.start_offset)
        if floor is None:
            return False
        state = floor.batch_state if not floor.is_split else floor.offset_states.get(self.start_offset)
        return state is not None and not state.in_transition and state.state.is_terminal

    def _last_offset_done(self) -> int:
        last_done = -1
        for cached in self._cache:
            for _first, last, state in cached.states():
                if state.in_transition or not state.state.is_terminal:
                    return last_done
                last_done = last
        return last_done

    def update_log_start_offset(self, log_start_offset: int) -> None:
        """The log no longer holds records before ``log_start_offset`` (retention, DeleteRecords):
        the SPSO moves up to it, and available records before it are archived; acquired ones are
        archived when their lock expires (Kafka's ``updateCacheAndOffsets``)."""
        if log_start_offset <= self.start_offset:
            return
        if not self._cache:
            self.start_offset = self.end_offset = log_start_offset
            return
        if self._archive(self.start_offset, log_start_offset, list(self._cache), RecordState.AVAILABLE):
            self._find_next_fetch_offset = True
        self.start_offset = log_start_offset
        self.end_offset = max(self.end_offset, self.start_offset)

    # -- internals -----------------------------------------------------------------------------

    def _archive(self, start: int, end: int, batches: list[InFlightBatch], initial: RecordState) -> bool:
        """Archive the records of ``batches`` in ``[start, end)`` that are in state ``initial``."""
        archived = False
        for cached in batches:
            if cached.first_offset >= end:
                break
            full_match = cached.first_offset >= start and cached.last_offset <= end - 1
            if not full_match or cached.is_split:
                if not cached.is_split:
                    if cached.batch_state.state != initial:
                        continue
                    cached.split(self._make_lock)
                for offset, state in cached.offset_states.items():
                    if start <= offset < end and state.state == initial:
                        state.archive()
                        archived = True
                continue
            if cached.batch_state.state == initial:
                cached.batch_state.archive()
                archived = True
        return archived

    def _lock(self, member_id: str, first: int, last: int, deadline_ms: float) -> AcquisitionLock:
        return self.locks.add(AcquisitionLock(deadline_ms, member_id, first, last))

    def _make_lock(self, member_id: str, offset: int, deadline_ms: float) -> AcquisitionLock:
        return self._lock(member_id, offset, offset, deadline_ms)

    def _insert(self, batch: InFlightBatch) -> None:
        bisect.insort(self._cache, batch, key=_FIRST)

    def _floor_index(self, offset: int) -> int:
        """Index of the last cached range starting at or before ``offset``; -1 if none."""
        return bisect.bisect_right(self._cache, offset, key=_FIRST) - 1

    def _floor(self, offset: int) -> InFlightBatch | None:
        index = self._floor_index(offset)
        return self._cache[index] if index >= 0 else None

    def _sub_cache(self, low: int, high: int) -> list[InFlightBatch]:
        """The cached ranges starting within ``[low, high]``."""
        return self._cache[bisect.bisect_left(self._cache, low, key=_FIRST):
                           bisect.bisect_right(self._cache, high, key=_FIRST)]


def _ack_types(batch: AcknowledgementBatch) -> dict[int, int]:
    """The acknowledgement type of each offset of the batch (one entry when one type covers
    them all); INVALID_REQUEST for a type that is not one."""
    types = {}
    for index, ack_type in enumerate(batch.acknowledge_types):
        if ack_type != AcknowledgeType.GAP and ack_type not in AcknowledgeType._value2member_map_:
            raise ShareError(ErrorCode.INVALID_REQUEST, f"Invalid acknowledge type: {list(batch.acknowledge_types)}")
        types[batch.first_offset + index] = ack_type
    return types


def _throttle_delivery_limit(max_delivery_count: int) -> int:
    return max(MIN_THROTTLE_DELIVERY_LIMIT, math.ceil(max_delivery_count / 2))


def _last_offset_of_batch_with(batches: Sequence[FetchedBatch], offset: int) -> int:
    """The last offset of the fetched batch holding ``offset`` (acquisition ends on batch
    boundaries), else ``offset`` itself."""
    holder = None
    for batch in batches:
        if offset < batch.base_offset:
            break
        holder = batch
    if holder is not None and offset <= holder.last_offset:
        return holder.last_offset
    return offset


def _minus(first: int, last: int, cut_first: int, cut_last: int) -> list[tuple[int, int]]:
    """``[first, last]`` less ``[cut_first, cut_last]``: zero, one or two ranges."""
    if cut_last < first or cut_first > last:
        return [(first, last)]
    pieces = []
    if first < cut_first:
        pieces.append((first, cut_first - 1))
    if last > cut_last:
        pieces.append((cut_last + 1, last))
    return pieces
