"""Idempotent producers: Kafka's sequence and epoch rules, duplicates, expiry."""

import pytest
from batch_builder import build_batch, producer_batch, split_batches
from conftest import NOW

from odradek.storage.errors import InvalidProducerEpochError, OutOfOrderSequenceError
from odradek.storage.producer_state import ProducerInfo
from odradek.storage.producer_state_config import ProducerStateConfig

MAX_SEQUENCE = (1 << 31) - 1
PID = 1000


def append_all(log, batches):
    return [log.append(batch, now_ms=NOW) for batch in batches]


def five_batches():
    """Sequences 0-1, 2-4, 5, 6-9, 10-11: five batches of different sizes."""
    sizes = [2, 3, 1, 4, 2]
    batches, seq = [], 0
    for size in sizes:
        batches.append(producer_batch(PID, seq, size))
        seq += size
    return batches


def test_sequences_in_order_are_appended(open_log):
    log = open_log()
    infos = append_all(log, five_batches())
    assert [(i.first_offset, i.last_offset, i.duplicate) for i in infos] == [
        (0, 1, False), (2, 4, False), (5, 5, False), (6, 9, False), (10, 11, False)]
    assert log.active_producers() == [ProducerInfo(PID, 0, 11, 1_000, -1, -1)]


@pytest.mark.parametrize("which", range(5))
def test_a_retry_of_any_of_the_last_five_batches_returns_the_original_offsets(open_log, which):
    log = open_log()
    batches = five_batches()
    originals = append_all(log, batches)
    retry = log.append(batches[which], now_ms=NOW + 1)
    assert retry.duplicate
    assert (retry.first_offset, retry.last_offset) == (originals[which].first_offset, originals[which].last_offset)
    assert retry.log_append_time_ms == 1_000  # Kafka answers the original batch's stored timestamp
    assert retry.log_start_offset == 0
    assert log.log_end_offset == 12
    assert log.active_producers()[0].last_sequence == 11
    assert log.append(producer_batch(PID, 12), now_ms=NOW).first_offset == 12


def test_a_retry_older_than_the_last_five_is_out_of_order(open_log):
    log = open_log()
    append_all(log, [producer_batch(PID, 0)] + five_batches_from(1))
    with pytest.raises(OutOfOrderSequenceError) as raised:
        log.append(producer_batch(PID, 0), now_ms=NOW)
    assert raised.value.error_code == 45
    assert log.log_end_offset == 6


def five_batches_from(seq):
    return [producer_batch(PID, seq + i) for i in range(5)]


@pytest.mark.parametrize("seq", [4, 5, 101, 1, 0])  # skipping ahead of 3, or going back
def test_a_gap_or_a_rewind_is_out_of_order_and_writes_nothing(open_log, seq):
    log = open_log()
    log.append(producer_batch(PID, 0, 2), now_ms=NOW)
    log.append(producer_batch(PID, 2, 1), now_ms=NOW)  # last sequence 2
    with pytest.raises(OutOfOrderSequenceError):
        log.append(producer_batch(PID, seq, 1), now_ms=NOW)
    assert log.log_end_offset == 3
    assert log.append(producer_batch(PID, 3), now_ms=NOW).first_offset == 3


def test_a_partial_overlap_with_an_appended_batch_is_out_of_order(open_log):
    log = open_log()
    log.append(producer_batch(PID, 0, 3), now_ms=NOW)
    with pytest.raises(OutOfOrderSequenceError):
        log.append(producer_batch(PID, 1, 2), now_ms=NOW)  # same last sequence, other first


def test_sequences_wrap_from_int32_max_to_zero(open_log):
    log = open_log()
    log.append(producer_batch(PID, MAX_SEQUENCE - 1, 2), now_ms=NOW)  # unknown producer: any start
    log.append(producer_batch(PID, 0, 1), now_ms=NOW)
    spanning = producer_batch(PID, 1, 3)
    log.append(spanning, now_ms=NOW)
    assert log.active_producers()[0].last_sequence == 3
    with pytest.raises(OutOfOrderSequenceError):
        log.append(producer_batch(PID, 5), now_ms=NOW)


def test_a_batch_spanning_the_wrap_is_recognised_as_a_duplicate(open_log):
    log = open_log()
    log.append(producer_batch(PID, MAX_SEQUENCE - 5, 5), now_ms=NOW)  # ... MAX-1
    spanning = producer_batch(PID, MAX_SEQUENCE, 3)  # MAX, 0, 1
    first = log.append(spanning, now_ms=NOW)
    assert log.active_producers()[0].last_sequence == 1
    again = log.append(spanning, now_ms=NOW)
    assert again.duplicate and (again.first_offset, again.last_offset) == (first.first_offset, first.last_offset)
    assert log.append(producer_batch(PID, 2), now_ms=NOW).first_offset == 8


def test_an_unknown_producer_may_start_at_any_sequence(open_log):
    """Kafka 4 accepts it (the producer's state may have expired or been deleted)."""
    log = open_log()
    assert log.append(producer_batch(PID, 42, 2), now_ms=NOW).first_offset == 0
    assert log.append(producer_batch(PID, 44), now_ms=NOW).first_offset == 2


def test_a_second_batch_of_an_unknown_producer_in_the_same_append_is_not_checked(open_log):
    """Kafka checks sequences against the producer's state from before the append."""
    log = open_log()
    info = log.append(producer_batch(PID, 5) + producer_batch(PID, 9), now_ms=NOW)
    assert (info.first_offset, info.last_offset) == (0, 1)
    with pytest.raises(OutOfOrderSequenceError):
        log.append(producer_batch(PID, 10) + producer_batch(PID, 12), now_ms=NOW)


def test_a_new_epoch_starts_at_sequence_zero(open_log):
    log = open_log()
    log.append(producer_batch(PID, 0, 3), now_ms=NOW)
    with pytest.raises(OutOfOrderSequenceError):
        log.append(producer_batch(PID, 3, epoch=1), now_ms=NOW)
    assert log.append(producer_batch(PID, 0, epoch=1), now_ms=NOW).first_offset == 3
    assert log.active_producers()[0].producer_epoch == 1


def test_an_older_epoch_is_fenced(open_log):
    log = open_log()
    old = producer_batch(PID, 0, 2, epoch=3)
    log.append(old, now_ms=NOW)
    log.append(producer_batch(PID, 0, epoch=4), now_ms=NOW)
    for stale in (old, producer_batch(PID, 2, epoch=3)):  # even a retry of its own batch
        with pytest.raises(InvalidProducerEpochError) as raised:
            log.append(stale, now_ms=NOW)
        assert raised.value.error_code == 47
    assert log.log_end_offset == 3


def test_every_batch_of_an_append_is_checked_before_any_is_written(open_log):
    log = open_log()
    log.append(producer_batch(PID, 0), now_ms=NOW)
    with pytest.raises(OutOfOrderSequenceError):
        log.append(producer_batch(PID, 1) + producer_batch(2000, 0) + producer_batch(PID, 3), now_ms=NOW)
    assert log.log_end_offset == 1
    assert [p.producer_id for p in log.active_producers()] == [PID]
    info = log.append(producer_batch(PID, 1) + producer_batch(PID, 2, 2), now_ms=NOW)
    assert (info.first_offset, info.last_offset) == (1, 3)
    assert log.active_producers()[0].last_sequence == 3


def test_an_append_holding_a_retried_batch_is_a_duplicate_as_a_whole(open_log):
    """As in Kafka: the first batch found to be a retry answers for the whole append."""
    log = open_log()
    first = producer_batch(PID, 0)
    log.append(first, now_ms=NOW)
    info = log.append(producer_batch(2000, 0) + first, now_ms=NOW)
    assert info.duplicate and (info.first_offset, info.last_offset) == (0, 0)
    assert log.log_end_offset == 1
    assert [p.producer_id for p in log.active_producers()] == [PID]


def test_plain_batches_keep_no_producer_state(open_log):
    log = open_log()
    batch = build_batch([b"a", b"b"])
    append_all(log, [batch, batch])
    assert log.log_end_offset == 4
    assert log.active_producers() == []


def test_duplicates_on_a_log_append_time_topic_answer_the_original_append_time(open_log):
    log = open_log({"message.timestamp.type": "LogAppendTime"})
    batch = producer_batch(PID, 0)
    assert log.append(batch, now_ms=NOW).log_append_time_ms == NOW
    retry = log.append(batch, now_ms=NOW + 500)
    assert retry.duplicate and retry.log_append_time_ms == NOW
    assert len(split_batches(log.read(0, 10_000).read())) == 1


def test_idle_producers_expire(open_log):
    config = ProducerStateConfig(producer_id_expiration_ms=5_000, expiration_check_interval_ms=1_000)
    log = open_log(producer=config)
    log.append(producer_batch(PID, 0, timestamp=1_000), now_ms=NOW)
    log.append(producer_batch(2000, 0, timestamp=8_000), now_ms=NOW)
    log.append(producer_batch(3000, 0, timestamp=11_000), now_ms=11_500)  # PID idle for 10.5 s: expired
    assert [p.producer_id for p in log.active_producers()] == [2000, 3000]
    assert not log.append(producer_batch(PID, 0, timestamp=12_000), now_ms=12_000).duplicate
    with pytest.raises(OutOfOrderSequenceError):
        log.append(producer_batch(2000, 7), now_ms=12_000)  # idle for 3.5 s only: still known


def test_expiry_is_checked_at_most_once_per_interval(open_log):
    config = ProducerStateConfig(producer_id_expiration_ms=5_000, expiration_check_interval_ms=10_000)
    log = open_log(producer=config, now_ms=0)
    log.append(producer_batch(PID, 0, timestamp=0), now_ms=9_000)
    assert [p.producer_id for p in log.active_producers()] == [PID]
    log.append(producer_batch(2000, 0, timestamp=10_000), now_ms=10_000)  # the first check: PID expires
    assert [p.producer_id for p in log.active_producers()] == [2000]
