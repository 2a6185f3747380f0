"""Transactions in the log: markers, the last stable offset, the transaction index, read_committed reads."""

import struct

import pytest
from batch_builder import build_batch, producer_batch, split_batches
from conftest import NOW

from odradek.storage.errors import (
    InvalidProducerEpochError,
    InvalidTxnStateError,
    OutOfOrderSequenceError,
    TransactionCoordinatorFencedError,
)
from odradek.storage.producer_state_config import ProducerStateConfig
from odradek.wire.records import read_batches

A, B, C = 100, 200, 300
SMALL_SEGMENTS = {"internal.segment.bytes": "300"}


def txn(producer_id, seq, count=1, epoch=0):
    return producer_batch(producer_id, seq, count, epoch=epoch, transactional=True)


def offsets_of(log, offset=0, max_offset=None, max_bytes=1 << 20, min_one_batch=True):
    batches = split_batches(log.read(offset, max_bytes, min_one_batch, max_offset=max_offset).read())
    return [(b.base_offset, b.base_offset + b.records_count - 1) for b in batches]


def test_without_transactions_the_last_stable_offset_is_the_high_watermark(open_log):
    log = open_log()
    assert log.last_stable_offset == 0
    log.append(build_batch([b"a", b"b"]), now_ms=NOW)
    log.append(producer_batch(A, 0), now_ms=NOW)
    assert log.last_stable_offset == log.high_watermark == 3


def test_interleaved_transactions_hold_the_last_stable_offset_at_the_oldest_open_one(open_log):
    log = open_log()
    log.append(build_batch([b"x"]), now_ms=NOW)  # 0
    log.append(txn(A, 0, 2), now_ms=NOW)  # 1-2: A opens at 1
    assert log.last_stable_offset == 1
    log.append(txn(B, 0), now_ms=NOW)  # 3: B opens at 3
    log.append(txn(A, 2), now_ms=NOW)  # 4
    assert log.last_stable_offset == 1
    assert log.append_marker(A, 0, True, 0, now_ms=NOW) == 5
    assert log.last_stable_offset == 3
    log.append(txn(A, 3), now_ms=NOW)  # 6: A's next transaction
    assert log.append_marker(B, 0, False, 0, now_ms=NOW) == 7
    assert log.last_stable_offset == 6
    log.append_marker(A, 0, False, 0, now_ms=NOW)  # 8
    assert log.last_stable_offset == log.high_watermark == 9
    assert [p.current_txn_start_offset for p in log.active_producers()] == [-1, -1]


def test_the_marker_is_a_control_batch_in_kafkas_format(open_log):
    log = open_log()
    log.append(txn(A, 0), now_ms=NOW)
    for commit, marker_type in ((True, 1), (False, 0)):
        offset = log.append_marker(A, 3 if commit else 4, commit, 17, now_ms=NOW + 5)
        raw = split_batches(log.read(offset, 1 << 20).read())[0]
        fields = struct.unpack_from(">qiibIhiqqqhii", raw.raw)
        assert fields[0] == offset and raw.crc_ok
        assert fields[5] == 0x30  # transactional + control, uncompressed, CreateTime
        assert fields[7:13] == (NOW + 5, NOW + 5, A, 3 if commit else 4, -1, 1)
        (batch,) = read_batches(raw.raw)
        assert batch.records[0].key == struct.pack(">hh", 0, marker_type)
        assert batch.records[0].value == struct.pack(">hi", 0, 17)


def test_a_marker_ends_the_transaction_and_the_next_batch_continues_the_sequence(open_log):
    log = open_log()
    log.append(txn(A, 0, 2), now_ms=NOW)
    log.append_marker(A, 0, True, 0, now_ms=NOW)
    with pytest.raises(OutOfOrderSequenceError):
        log.append(txn(A, 0), now_ms=NOW)
    assert log.append(txn(A, 2), now_ms=NOW).first_offset == 3


def test_a_marker_with_a_bumped_epoch_starts_the_producer_afresh(open_log):
    """Transactions V2: the coordinator bumps the epoch with each marker; sequences restart at 0."""
    log = open_log()
    log.append(txn(A, 0, 2), now_ms=NOW)
    log.append_marker(A, 1, True, 0, now_ms=NOW)
    assert log.active_producers()[0].producer_epoch == 1
    with pytest.raises(OutOfOrderSequenceError):
        log.append(txn(A, 2, epoch=1), now_ms=NOW)
    assert log.append(txn(A, 0, epoch=1), now_ms=NOW).first_offset == 3


def test_a_non_transactional_batch_during_a_transaction_is_refused(open_log):
    log = open_log()
    log.append(txn(A, 0), now_ms=NOW)
    with pytest.raises(InvalidTxnStateError) as raised:
        log.append(producer_batch(A, 1), now_ms=NOW)
    assert raised.value.error_code == 48
    assert log.log_end_offset == 1


def test_a_marker_from_an_older_producer_epoch_is_refused(open_log):
    log = open_log()
    log.append(txn(A, 0, epoch=5), now_ms=NOW)
    with pytest.raises(InvalidProducerEpochError):
        log.append_marker(A, 4, False, 0, now_ms=NOW)
    assert log.log_end_offset == 1 and log.last_stable_offset == 0


def test_a_marker_from_an_older_coordinator_epoch_is_refused(open_log):
    log = open_log()
    log.append(txn(A, 0), now_ms=NOW)
    log.append_marker(A, 0, True, 7, now_ms=NOW)
    log.append(txn(A, 1), now_ms=NOW)
    with pytest.raises(TransactionCoordinatorFencedError) as raised:
        log.append_marker(A, 0, True, 6, now_ms=NOW)
    assert raised.value.error_code == 52
    assert log.append_marker(A, 0, True, 7, now_ms=NOW) == 3
    assert log.active_producers()[0].coordinator_epoch == 7


def test_a_marker_without_an_open_transaction_is_written_and_indexes_nothing(open_log, log_dir):
    log = open_log()
    assert log.append_marker(A, 0, False, 2, now_ms=NOW) == 0
    assert log.last_stable_offset == 1
    assert log.aborted_transactions(0, 10) == []
    assert not list(log_dir.glob("*.txnindex"))
    assert [(p.producer_id, p.coordinator_epoch) for p in log.active_producers()] == [(A, 2)]


def test_an_open_transaction_keeps_its_producer_from_expiring(open_log):
    log = open_log(producer=ProducerStateConfig(producer_id_expiration_ms=1_000, expiration_check_interval_ms=1))
    log.append(txn(A, 0), now_ms=NOW)
    log.append(producer_batch(B, 0), now_ms=NOW)
    log.append(build_batch([b"x"]), now_ms=NOW + 1)
    assert [p.producer_id for p in log.active_producers()] == [A]
    assert log.last_stable_offset == 0


def test_aborts_are_indexed_in_kafkas_format(open_log, log_dir):
    log = open_log()
    log.append(txn(A, 0, 2), now_ms=NOW)  # 0-1
    log.append(txn(B, 0), now_ms=NOW)  # 2
    log.append_marker(A, 0, False, 0, now_ms=NOW)  # 3: B still open at 2
    log.append(txn(C, 0), now_ms=NOW)  # 4
    log.append_marker(C, 0, True, 0, now_ms=NOW)  # 5: a commit is not indexed
    log.append_marker(B, 0, False, 0, now_ms=NOW)  # 6: nothing else open
    data = (log_dir / "00000000000000000000.txnindex").read_bytes()
    assert data == struct.pack(">hqqqq", 0, A, 0, 3, 2) + struct.pack(">hqqqq", 0, B, 2, 6, 7)
    assert log.aborted_transactions(0, 7) == [(A, 0), (B, 2)]


def build_aborts_across_segments(log):
    """A's transaction spans three segments before its abort; B and C abort and commit in between."""
    log.append(txn(A, 0, 3), now_ms=NOW)
    expected = []  # (producer, first offset, marker offset)
    seqs = {B: 0, C: 0}
    for round_ in range(6):
        producer = B if round_ % 2 == 0 else C
        first = log.append(txn(producer, seqs[producer], 2), now_ms=NOW).first_offset
        seqs[producer] += 2
        abort = round_ % 3 != 2
        marker = log.append_marker(producer, 0, not abort, 0, now_ms=NOW)
        if abort:
            expected.append((producer, first, marker))
    marker = log.append_marker(A, 0, False, 0, now_ms=NOW)
    expected.append((A, 0, marker))
    log.append(build_batch([b"tail"]), now_ms=NOW)
    return expected


def test_aborted_transactions_overlapping_any_range_across_segments(open_log, log_dir):
    log = open_log(SMALL_SEGMENTS)
    expected = build_aborts_across_segments(log)
    assert len(list(log_dir.glob("*.log"))) >= 4
    end = log.log_end_offset
    for start in range(end):
        for upper in range(start + 1, end + 2):
            overlapping = [(p, first) for p, first, last in expected if last >= start and first < upper]
            assert sorted(log.aborted_transactions(start, upper)) == sorted(overlapping), (start, upper)


def test_the_abort_is_indexed_in_the_segment_of_its_marker(open_log, log_dir):
    log = open_log(SMALL_SEGMENTS)
    expected = build_aborts_across_segments(log)
    a_marker = expected[-1][2]
    holder = max(p for p in log_dir.glob("*.log") if int(p.name[:20]) <= a_marker)
    entries = list(struct.iter_unpack(">hqqqq", holder.with_suffix(".txnindex").read_bytes()))
    assert entries[-1][1:4] == (A, 0, a_marker)


def test_read_committed_stops_before_the_first_open_transaction(open_log):
    log = open_log()
    log.append(build_batch([b"a", b"b"]), now_ms=NOW)  # 0-1
    log.append(txn(A, 0, 2), now_ms=NOW)  # 2-3
    log.append(build_batch([b"c"]), now_ms=NOW)  # 4
    lso = log.last_stable_offset
    assert lso == 2
    assert offsets_of(log, 0, max_offset=lso) == [(0, 1)]
    assert offsets_of(log, 1, max_offset=lso) == [(0, 1)]
    assert offsets_of(log, 2, max_offset=lso) == []
    assert offsets_of(log, 4, max_offset=lso) == []
    assert offsets_of(log, 0, max_offset=lso, max_bytes=1) == [(0, 1)]  # min_one_batch, still below the LSO
    assert offsets_of(log, 0, max_offset=lso, max_bytes=1, min_one_batch=False) == []
    assert offsets_of(log, 0) == [(0, 1), (2, 3), (4, 4)]
    log.append_marker(A, 0, True, 0, now_ms=NOW)  # 5
    assert offsets_of(log, 0, max_offset=log.last_stable_offset) == [(0, 1), (2, 3), (4, 4), (5, 5)]


def test_read_committed_across_segments(open_log):
    log = open_log(SMALL_SEGMENTS)
    for _ in range(6):
        log.append(build_batch([b"x" * 40]), now_ms=NOW)
    log.append(txn(A, 0), now_ms=NOW)  # 6
    for _ in range(4):
        log.append(build_batch([b"x" * 40]), now_ms=NOW)
    lso = log.last_stable_offset
    assert lso == 6
    seen = []
    offset = 0
    while True:
        chunk = offsets_of(log, offset, max_offset=lso)
        if not chunk:
            break
        seen += chunk
        offset = chunk[-1][1] + 1
    assert seen == [(i, i) for i in range(6)]
    assert offsets_of(log, 8, max_offset=lso) == []
