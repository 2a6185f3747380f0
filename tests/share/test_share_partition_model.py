"""The share-partition state machine against a per-record reference model, driven by hypothesis.

The model keeps, for every offset of a pretend log, what KIP-932 says it is: never delivered,
available, acquired by a member until a deadline, acknowledged or archived, and its delivery
count. Members fetch (in batch or record-limit mode, any batch size), acknowledge any range with
any type (or per offset), have their writes fail, release everything when they leave, and the clock
moves past their locks. After every step the share partition must agree with the model record by
record, its start offset must be the first record not finished, and nothing finished or held by
someone else may ever be handed out.
"""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from odradek.server.share.record_state import AcknowledgeType, RecordState
from odradek.server.share.share_error import ShareError
from odradek.server.share.share_partition import AcknowledgementBatch, SharePartition
from odradek.server.share.share_settings import ShareSettings

from share_log import batches_of, read

NEW, AVAILABLE, ACQUIRED, ACKED, ARCHIVED = "new", "available", "acquired", "acked", "archived"
MEMBERS = ("a", "b", "c")
LOCK_MS = 1_000
ACK_RESULT = {AcknowledgeType.GAP: ARCHIVED, AcknowledgeType.ACCEPT: ACKED, AcknowledgeType.REJECT: ARCHIVED}
STATE_NAMES = {RecordState.AVAILABLE: AVAILABLE, RecordState.ACQUIRED: ACQUIRED,
               RecordState.ACKNOWLEDGED: ACKED, RecordState.ARCHIVED: ARCHIVED}


class Record:
    __slots__ = ("state", "delivery_count", "member", "deadline")

    def __init__(self):
        self.state, self.delivery_count, self.member, self.deadline = NEW, 0, "", None


class SharePartitionModel(RuleBasedStateMachine):
    @initialize(sizes=st.lists(st.integers(1, 5), min_size=1, max_size=10),
                delivery_limit=st.sampled_from([2, 3, 5]), max_locks=st.integers(3, 30))
    def start(self, sizes, delivery_limit, max_locks):
        self.log = batches_of(*sizes)
        self.settings = ShareSettings(record_lock_duration_ms=LOCK_MS, delivery_count_limit=delivery_limit,
                                      partition_max_record_locks=max_locks)
        self.partition = SharePartition("g", "t", 0, 0, lambda: self.settings)
        self.partition.initialize(0, 0, [])
        self.records = [Record() for _ in range(self.log[-1].last_offset + 1)]
        self.now = 0

    # -- helpers -------------------------------------------------------------------------------

    def release(self, record):
        record.state = ARCHIVED if record.delivery_count >= self.settings.delivery_count_limit else AVAILABLE
        record.member, record.deadline = "", None

    def first_unfinished(self):
        for offset, record in enumerate(self.records):
            if record.state not in (ACKED, ARCHIVED):
                return offset
        return len(self.records)

    # -- rules ---------------------------------------------------------------------------------

    @rule(member=st.sampled_from(MEMBERS), max_records=st.integers(1, 12), batch_size=st.integers(1, 12),
          record_limit=st.booleans(), max_batches=st.integers(1, 4))
    def fetch(self, member, max_records, batch_size, record_limit, max_batches):
        partition = self.partition
        available = [o for o, r in enumerate(self.records) if r.state == AVAILABLE]
        fresh = [o for o, r in enumerate(self.records) if r.state == NEW]
        if not partition.can_acquire_records():
            assert not available
            return
        offset = partition.next_fetch_offset()
        if offset > self.log[-1].last_offset:
            assert not available and not fresh
            return
        in_flight_before = partition.in_flight_count()
        acquired, count = partition.acquire(member, read(self.log, offset, max_batches), offset, max_records,
                                            batch_size, self.now, record_limit=record_limit)
        if available or in_flight_before < self.settings.partition_max_record_locks:
            assert count > 0, "records to hand out, yet none acquired"
        assert count == sum(r.last_offset - r.first_offset + 1 for r in acquired)
        if record_limit:
            assert count <= max_records
        for ranges in acquired:
            for o in range(ranges.first_offset, ranges.last_offset + 1):
                record = self.records[o]
                assert record.state in (NEW, AVAILABLE), f"offset {o} handed out while {record.state}"
                assert ranges.delivery_count == record.delivery_count + 1
                assert ranges.delivery_count <= self.settings.delivery_count_limit
                record.state, record.member, record.deadline = ACQUIRED, member, self.now + LOCK_MS
                record.delivery_count += 1
        if record_limit:  # the rest of a batch acquired in part is cached as available, never delivered
            for first, last, state, delivery_count, _ in partition.cached_ranges():
                for o in range(first, last + 1):
                    if state == RecordState.AVAILABLE and delivery_count == 0 and self.records[o].state == NEW:
                        self.records[o].state = AVAILABLE

    @rule(member=st.sampled_from(MEMBERS), data=st.data(), per_offset=st.booleans(), written=st.booleans(),
          ack_type=st.sampled_from(list(AcknowledgeType)))
    def acknowledge(self, member, data, per_offset, written, ack_type):
        partition = self.partition
        held = [o for o, r in enumerate(self.records) if r.state == ACQUIRED]
        if not held:
            return
        first = data.draw(st.integers(max(0, min(held) - 2), max(held)))
        last = data.draw(st.integers(first, min(len(self.records) - 1, max(held) + 2)))
        count = last - first + 1
        if per_offset and count > 1:
            types = tuple(data.draw(st.lists(st.sampled_from([1, 2, 3]), min_size=count, max_size=count)))
        else:
            types = (ack_type,)
        start = partition.start_offset
        cached_end = partition.end_offset
        acked = range(max(first, start), last + 1)
        expected = last < start or (
            last <= cached_end and all(self.records[o].state == ACQUIRED and self.records[o].member == member
                                       for o in acked))
        try:
            pending = partition.acknowledge(member, [AcknowledgementBatch(first, last, types)], self.now)
        except ShareError:
            assert not expected, f"acknowledgement of {first}-{last} {types} by {member} refused"
            return
        assert expected, f"acknowledgement of {first}-{last} {types} by {member} accepted"
        partition.finish(pending, written)
        for o in acked:
            ack = types[o - first] if len(types) > 1 else types[0]
            record = self.records[o]
            if ack == AcknowledgeType.RENEW:  # a new lock at once: nothing to write
                record.deadline = self.now + LOCK_MS
            elif not written:
                continue
            elif ack == AcknowledgeType.RELEASE:
                self.release(record)
            else:
                record.state, record.member, record.deadline = ACK_RESULT[ack], "", None

    @rule(member=st.sampled_from(MEMBERS))
    def member_leaves(self, member):
        pending = self.partition.release_member(member)
        self.partition.finish(pending, written=True)
        for record in self.records:
            if record.state == ACQUIRED and record.member == member:
                self.release(record)

    @rule(elapsed=st.integers(1, 2 * LOCK_MS))
    def time_passes(self, elapsed):
        self.now += elapsed
        written = self.partition.expire_locks(self.now)
        self.partition.advance_start_offset()
        expected = {}
        for o, record in enumerate(self.records):
            if record.state == ACQUIRED and record.deadline <= self.now:
                self.release(record)
                expected[o] = record.state
        got = {o: STATE_NAMES[RecordState(b.delivery_state)] for b in written
               for o in range(b.first_offset, b.last_offset + 1)}
        assert got == expected

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def agrees_record_by_record(self):
        partition = self.partition
        cached = {}
        for first, last, state, delivery_count, member in partition.cached_ranges():
            for o in range(first, last + 1):
                cached[o] = (STATE_NAMES[state], delivery_count, member)
        for o, record in enumerate(self.records):
            if o < partition.start_offset:
                assert record.state in (ACKED, ARCHIVED), f"offset {o} before the start offset is {record.state}"
                continue
            if record.state == NEW:
                assert o not in cached
                continue
            want = (record.state, record.delivery_count, record.member)
            assert cached.get(o) == want, f"offset {o}: {cached.get(o)} != {want}"

    @invariant()
    def start_offset_is_the_first_record_not_finished(self):
        assert self.partition.start_offset == self.first_unfinished()

    @invariant()
    def next_fetch_offset_is_the_first_record_to_hand_out(self):
        available = [o for o, r in enumerate(self.records) if r.state == AVAILABLE]
        fresh = [o for o, r in enumerate(self.records) if r.state == NEW]
        expected = available[0] if available else (fresh[0] if fresh else len(self.records))
        assert self.partition.next_fetch_offset() == expected


TestSharePartitionModel = SharePartitionModel.TestCase
TestSharePartitionModel.settings = settings(max_examples=300, stateful_step_count=40, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
