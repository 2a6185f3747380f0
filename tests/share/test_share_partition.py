"""The share-partition state machine, case by case, as Kafka's SharePartition behaves."""

import pytest

from odradek.server.share.acquired_records import AcquiredRecords
from odradek.server.share.record_state import AcknowledgeType, RecordState
from odradek.server.share.share_error import ShareError
from odradek.server.share.share_partition import AcknowledgementBatch, SharePartition
from odradek.server.share.share_settings import ShareSettings
from odradek.server.share.state_batches import StateBatch
from odradek.wire import ErrorCode

from share_log import batches_of, read

ACCEPT, RELEASE, REJECT, RENEW = (AcknowledgeType.ACCEPT, AcknowledgeType.RELEASE, AcknowledgeType.REJECT,
                                  AcknowledgeType.RENEW)
LOCK_MS = 30_000


def share_partition(**settings) -> SharePartition:
    fixed = ShareSettings(**settings)
    partition = SharePartition("group", "topic-id", 0, 0, lambda: fixed)
    partition.initialize(0, 0, [])
    return partition


def fetch(partition, log, member, now=0, max_records=500, batch_size=500, record_limit=False):
    offset = partition.next_fetch_offset()
    acquired, _count = partition.acquire(member, read(log, offset), offset, max_records, batch_size, now,
                                         record_limit=record_limit)
    return acquired


def ack(partition, member, first, last, *types, now=0):
    pending = partition.acknowledge(member, [AcknowledgementBatch(first, last, tuple(types))], now)
    partition.finish(pending, written=True)
    return pending


def test_fetch_acquires_whole_batches_with_delivery_count_one():
    partition = share_partition()
    log = batches_of(3, 2)
    assert fetch(partition, log, "a") == [AcquiredRecords(0, 4, 1)]
    assert partition.cached_ranges() == [(0, 4, RecordState.ACQUIRED, 1, "a")]
    assert (partition.start_offset, partition.end_offset, partition.next_fetch_offset()) == (0, 4, 5)


def test_acquired_records_are_not_handed_to_another_member():
    partition = share_partition()
    log = batches_of(5)
    fetch(partition, log, "a")
    assert fetch(partition, log, "b") == []


def test_batch_size_cuts_acquisitions_at_batch_boundaries():
    partition = share_partition()
    log = batches_of(2, 2, 2, 2)
    assert fetch(partition, log, "a", batch_size=3) == [AcquiredRecords(0, 3, 1), AcquiredRecords(4, 7, 1)]


def test_max_records_is_soft_but_record_limit_mode_is_exact():
    log = batches_of(4, 4)
    assert fetch(share_partition(), log, "a", max_records=2) == [AcquiredRecords(0, 3, 1)]
    partition = share_partition()
    assert fetch(partition, log, "a", max_records=2, record_limit=True) == [AcquiredRecords(0, 1, 1)]
    assert partition.next_fetch_offset() == 2  # the rest of the batch stays available
    assert fetch(partition, log, "b", max_records=2, record_limit=True) == [AcquiredRecords(2, 3, 1)]


def test_accept_moves_the_start_offset_and_empties_the_cache():
    partition = share_partition()
    log = batches_of(5)
    fetch(partition, log, "a")
    ack(partition, "a", 0, 4, ACCEPT)
    assert (partition.start_offset, partition.end_offset, partition.cached_ranges()) == (5, 5, [])


def test_release_makes_records_available_at_once_with_their_delivery_count():
    partition = share_partition()
    log = batches_of(5)
    fetch(partition, log, "a")
    ack(partition, "a", 0, 4, RELEASE)
    assert partition.next_fetch_offset() == 0
    assert fetch(partition, log, "b") == [AcquiredRecords(0, 4, 2)]


def test_reject_archives_for_good():
    partition = share_partition()
    log = batches_of(2, 3)
    fetch(partition, log, "a")
    ack(partition, "a", 0, 4, ACCEPT, ACCEPT, REJECT, ACCEPT, ACCEPT)
    assert partition.start_offset == 5
    assert fetch(partition, log, "b") == []


def test_partial_acknowledgement_splits_the_range_and_moves_the_start_offset_part_way():
    partition = share_partition()
    log = batches_of(5)
    fetch(partition, log, "a")
    ack(partition, "a", 0, 1, ACCEPT)
    assert partition.start_offset == 2
    assert partition.cached_ranges()[:3] == [(0, 0, RecordState.ACKNOWLEDGED, 1, ""),
                                            (1, 1, RecordState.ACKNOWLEDGED, 1, ""),
                                            (2, 2, RecordState.ACQUIRED, 1, "a")]
    ack(partition, "a", 2, 4, ACCEPT)
    assert (partition.start_offset, partition.cached_ranges()) == (5, [])


def test_lock_expiry_makes_records_available_again():
    partition = share_partition()
    log = batches_of(3)
    fetch(partition, log, "a", now=0)
    assert partition.next_lock_deadline() == LOCK_MS
    assert partition.expire_locks(LOCK_MS - 1) == []
    assert partition.expire_locks(LOCK_MS) == [StateBatch(0, 2, RecordState.AVAILABLE, 1)]
    assert fetch(partition, log, "b", now=LOCK_MS) == [AcquiredRecords(0, 2, 2)]
    with pytest.raises(ShareError) as refused:
        ack(partition, "a", 0, 2, ACCEPT, now=LOCK_MS)
    assert refused.value.code == ErrorCode.INVALID_RECORD_STATE


def test_delivery_count_limit_archives_a_record_released_at_its_last_delivery():
    partition = share_partition(delivery_count_limit=2)
    log = batches_of(1)
    assert fetch(partition, log, "a") == [AcquiredRecords(0, 0, 1)]
    ack(partition, "a", 0, 0, RELEASE)
    assert fetch(partition, log, "a") == [AcquiredRecords(0, 0, 2)]
    ack(partition, "a", 0, 0, RELEASE)
    assert partition.cached_ranges() == []  # archived, and the start offset moved past it
    assert partition.start_offset == 1


def test_delivery_count_limit_archives_on_lock_expiry():
    partition = share_partition(delivery_count_limit=2)
    log = batches_of(1)
    fetch(partition, log, "a", now=0)
    partition.expire_locks(LOCK_MS)
    fetch(partition, log, "a", now=LOCK_MS)
    assert partition.expire_locks(2 * LOCK_MS) == [StateBatch(0, 0, RecordState.ARCHIVED, 2)]
    partition.advance_start_offset()
    assert partition.start_offset == 1


def test_records_past_half_the_delivery_limit_are_isolated():
    partition = share_partition(delivery_count_limit=6)  # throttling from delivery 3
    log = batches_of(8)
    for delivery in (1, 2, 3):
        got = fetch(partition, log, "a")
        ack(partition, "a", got[0].first_offset, got[-1].last_offset, RELEASE)
    # delivery 4 of records delivered 3 times: 8 >> (3 - 3 + 1) = 4 of them at once
    assert fetch(partition, log, "a") == [AcquiredRecords(0, 3, 4)]


def test_a_record_on_its_last_delivery_is_delivered_alone():
    partition = share_partition(delivery_count_limit=3)
    log = batches_of(3)
    for _ in range(2):
        fetch(partition, log, "a")
        ack(partition, "a", 0, 2, RELEASE)
    assert fetch(partition, log, "a") == [AcquiredRecords(0, 0, 3)]
    assert fetch(partition, log, "b") == [AcquiredRecords(1, 1, 3)]


def test_the_in_flight_cap_stops_new_acquisitions_but_not_redeliveries():
    partition = share_partition(partition_max_record_locks=3)
    log = batches_of(2, 2, 2)
    assert fetch(partition, log, "a") == [AcquiredRecords(0, 3, 1)]  # whole batches: the cap is soft
    assert not partition.can_acquire_records()
    ack(partition, "a", 0, 1, RELEASE)
    assert partition.can_acquire_records()
    assert fetch(partition, log, "b") == [AcquiredRecords(0, 1, 2)]
    assert fetch(partition, log, "b") == []


def test_acknowledging_records_of_another_member_is_refused_and_changes_nothing():
    partition = share_partition()
    log = batches_of(2, 2)
    fetch(partition, log, "a", batch_size=2)
    with pytest.raises(ShareError) as refused:
        partition.acknowledge("b", [AcknowledgementBatch(0, 1, (ACCEPT,))], 0)
    assert refused.value.code == ErrorCode.INVALID_RECORD_STATE
    # a request that fails part-way undoes the transitions it made
    with pytest.raises(ShareError):
        partition.acknowledge("a", [AcknowledgementBatch(0, 1, (ACCEPT,)), AcknowledgementBatch(2, 9, (ACCEPT,))], 0)
    assert [state for _, _, state, _, _ in partition.cached_ranges()] == [RecordState.ACQUIRED] * 2


def test_acknowledging_offsets_never_fetched_is_an_invalid_request():
    partition = share_partition()
    fetch(partition, batches_of(2), "a")
    with pytest.raises(ShareError) as refused:
        partition.acknowledge("a", [AcknowledgementBatch(0, 5, (ACCEPT,))], 0)
    assert refused.value.code == ErrorCode.INVALID_REQUEST


def test_a_failed_write_undoes_the_acknowledgement():
    partition = share_partition()
    fetch(partition, batches_of(2), "a")
    pending = partition.acknowledge("a", [AcknowledgementBatch(0, 1, (ACCEPT,))], 0)
    assert pending.batches == [StateBatch(0, 1, RecordState.ACKNOWLEDGED, 1)]
    partition.finish(pending, written=False)
    assert partition.cached_ranges() == [(0, 1, RecordState.ACQUIRED, 1, "a")]


def test_a_failed_write_after_the_lock_expired_makes_the_records_available():
    partition = share_partition()
    fetch(partition, batches_of(2), "a", now=0)
    pending = partition.acknowledge("a", [AcknowledgementBatch(0, 1, (ACCEPT,))], 0)
    assert partition.expire_locks(LOCK_MS) == []  # being acknowledged: left to the write's outcome
    partition.finish(pending, written=False)
    assert partition.cached_ranges() == [(0, 1, RecordState.AVAILABLE, 1, "")]


def test_renew_extends_the_lock():
    partition = share_partition()
    fetch(partition, batches_of(2), "a", now=0)
    pending = partition.acknowledge("a", [AcknowledgementBatch(0, 1, (RENEW,))], 20_000)
    assert pending.batches == []
    assert partition.expire_locks(LOCK_MS) == []
    assert partition.next_lock_deadline() == 20_000 + LOCK_MS


def test_renew_refused_when_the_group_disables_it():
    partition = share_partition(renew_acknowledge_enable=False)
    fetch(partition, batches_of(2), "a")
    with pytest.raises(ShareError) as refused:
        partition.acknowledge("a", [AcknowledgementBatch(0, 1, (RENEW,))], 0)
    assert refused.value.code == ErrorCode.INVALID_RECORD_STATE


def test_release_member_frees_what_it_holds_keeping_delivery_counts():
    partition = share_partition()
    log = batches_of(2, 2)
    fetch(partition, log, "a", batch_size=2)
    pending = partition.release_member("a")
    assert pending.batches == [StateBatch(0, 1, RecordState.AVAILABLE, 1), StateBatch(2, 3, RecordState.AVAILABLE, 1)]
    partition.finish(pending, written=True)
    assert fetch(partition, log, "b") == [AcquiredRecords(0, 1, 2), AcquiredRecords(2, 3, 2)]


def test_loading_persisted_state_resumes_where_it_stopped():
    partition = SharePartition("group", "topic-id", 0, 0, ShareSettings)
    # 0-4 acknowledged, 5-6 released twice, 7-9 never written (only acquired before the restart)
    partition.initialize(0, 3, [StateBatch(0, 4, RecordState.ACKNOWLEDGED, 1),
                                StateBatch(5, 6, RecordState.AVAILABLE, 2),
                                StateBatch(10, 12, RecordState.ARCHIVED, 1)])
    assert partition.start_offset == 5
    assert partition.state_epoch == 3
    log = batches_of(5, 2, 3, 3)
    assert fetch(partition, log, "a") == [AcquiredRecords(5, 6, 3), AcquiredRecords(7, 9, 1)]
    ack(partition, "a", 5, 9, ACCEPT)
    assert (partition.start_offset, partition.cached_ranges()) == (13, [])


def test_loading_refuses_state_before_its_start_offset():
    partition = SharePartition("group", "topic-id", 0, 0, ShareSettings)
    with pytest.raises(ShareError):
        partition.initialize(10, 0, [StateBatch(5, 12, RecordState.AVAILABLE, 1)])


def test_log_start_moving_past_available_records_archives_them():
    partition = share_partition()
    log = batches_of(3, 3)
    fetch(partition, log, "a", batch_size=3)
    ack(partition, "a", 0, 2, RELEASE)
    partition.update_log_start_offset(3)
    assert partition.start_offset == 3
    assert fetch(partition, log[1:], "b") == []  # 3-5 still held by a; 0-2 archived


def test_read_committed_archives_aborted_batches_instead_of_delivering_them():
    partition = share_partition()
    log = batches_of(2, 2, 1)  # 2-3 an aborted transaction's, 4 its marker
    offset = partition.next_fetch_offset()
    acquired, count = partition.acquire("a", read(log, offset), offset, 500, 500, 0, aborted=[(2, 3)])
    assert (acquired, count) == ([AcquiredRecords(0, 1, 1), AcquiredRecords(4, 4, 1)], 3)
    ack(partition, "a", 0, 1, ACCEPT)
    ack(partition, "a", 4, 4, ACCEPT)
    assert partition.start_offset == 5


def test_delivery_complete_count_counts_finished_records_from_the_start_offset():
    partition = share_partition()
    fetch(partition, batches_of(4), "a")
    ack(partition, "a", 0, 3, REJECT, ACCEPT, RELEASE, ACCEPT)
    assert partition.start_offset == 2
    assert partition.delivery_complete_count() == 1
