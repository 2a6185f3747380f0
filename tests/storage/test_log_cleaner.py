"""Compaction: the newest record per key survives with its offset; tombstones, transactions, restarts."""

import pytest
from batch_builder import build_batch, split_batches

from odradek.storage.errors import InvalidRecordError
from odradek.storage.log_cleaner import clean
from odradek.storage.log_manager import LogManager
from odradek.wire.records import read_batches

COMPACT = {"cleanup.policy": "compact", "internal.segment.bytes": "600", "index.interval.bytes": "100",
           "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "1000", "segment.ms": "604800000"}
NOW = 10_000


def put(log, key: bytes, value: bytes | None, timestamp: int = 5_000):
    return log.append(build_batch([value], keys=[key], timestamps=[timestamp]), now_ms=NOW).first_offset


def contents(log) -> list[tuple[int, bytes, bytes | None]]:
    """(offset, key, value) of every record from the log start, across segments."""
    found, offset = [], log.log_start_offset
    while offset < log.log_end_offset:
        data = log.read(offset, 1 << 20).read()
        if not data:
            break
        for batch in read_batches(data):
            found += [(batch.base_offset + r.offset_delta, r.key, r.value) for r in batch.records
                      if batch.base_offset + r.offset_delta >= offset]
            offset = batch.next_offset
    return found


def compact(log, now_ms=NOW):
    plan = log.cleaning_plan(now_ms)
    assert plan is not None
    LogManager.remove_files(log.install_cleaned(plan, clean(plan)))
    return plan


def test_only_the_newest_record_of_each_key_survives_with_its_offset(open_log, log_dir):
    log = open_log(COMPACT)
    written = [(put(log, b"k%d" % (i % 3), b"v%d" % i), b"k%d" % (i % 3), b"v%d" % i) for i in range(30)]
    active_base = log._segments[-1].base_offset
    assert active_base > 0
    plan = compact(log)
    assert plan.first_uncleanable == active_base
    newest_below = {key: (offset, key, value) for offset, key, value in written if offset < active_base}
    expected = sorted(newest_below.values()) + [w for w in written if w[0] >= active_base]
    assert contents(log) == expected
    assert log.first_dirty_offset == active_base
    assert not list(log_dir.glob("*.cleaned"))
    assert log.cleaning_plan(NOW) is None  # nothing dirty left

    log.close()
    reopened = open_log(COMPACT)
    assert contents(reopened) == expected
    assert reopened.log_end_offset == 30


def test_a_later_pass_drops_records_the_new_dirty_part_supersedes(open_log):
    log = open_log(COMPACT)
    for i in range(20):
        put(log, b"a", b"old %d" % i)
    compact(log)
    for i in range(20):
        put(log, b"b", b"x %d" % i)
    put(log, b"a", b"newest")
    for i in range(20):
        put(log, b"b", b"y %d" % i)
    compact(log)
    values = [(key, value) for _, key, value in contents(log)]
    assert (b"a", b"newest") in values and not any(v.startswith(b"old") for k, v in values if k == b"a")


def test_tombstones_are_kept_once_then_dropped_after_delete_retention(open_log):
    log = open_log({**COMPACT, "delete.retention.ms": "5000"})
    for i in range(10):
        put(log, b"gone", b"v%d" % i)
    tombstone = put(log, b"gone", None)
    for i in range(30):
        put(log, b"other", b"o%d" % i)
    compact(log)
    assert (tombstone, b"gone", None) in contents(log)  # first pass: consumers must still see it
    for i in range(30):
        put(log, b"other", b"p%d" % i)
    compact(log, now_ms=NOW)  # within delete.retention.ms of the tombstone's segment's time (5_000): kept
    assert (tombstone, b"gone", None) in contents(log)
    for i in range(30):
        put(log, b"other", b"q%d" % i)
    compact(log, now_ms=NOW + 10_000)
    assert all(key != b"gone" for _, key, _ in contents(log))


def test_the_dirty_ratio_and_compaction_lag_hold_cleaning_back(open_log):
    log = open_log({**COMPACT, "min.cleanable.dirty.ratio": "0.99"})
    for i in range(20):
        put(log, b"k", b"v%d" % i)
    assert log.cleaning_plan(NOW) is not None  # all of it dirty: ratio 1
    compact(log)
    put(log, b"k", b"more")
    assert log.cleaning_plan(NOW) is None
    lagging = open_log({**COMPACT, "min.compaction.lag.ms": "60000"})
    assert lagging.cleaning_plan(NOW) is None


def test_delete_policy_topics_are_not_compacted(open_log):
    log = open_log({**COMPACT, "cleanup.policy": "delete"})
    for i in range(20):
        put(log, b"k", b"v%d" % i)
    assert log.cleaning_plan(NOW) is None


def test_compacted_topics_refuse_records_without_a_key(open_log):
    log = open_log(COMPACT)
    with pytest.raises(InvalidRecordError, match="without key"):
        log.append(build_batch([b"v"]), now_ms=NOW)
    log.append(build_batch([b"v"], keys=[b"k"]), now_ms=NOW)


def test_a_segment_retention_dropped_while_cleaning_is_left_alone(open_log, log_dir):
    log = open_log({**COMPACT, "cleanup.policy": "compact,delete", "retention.ms": "1000"})
    for i in range(20):
        put(log, b"k%d" % (i % 2), b"v%d" % i)
    plan = log.cleaning_plan(NOW)
    cleaned = clean(plan)
    LogManager.remove_files(log.delete_old_segments(now_ms=NOW))
    LogManager.remove_files(log.install_cleaned(plan, cleaned))
    assert not list(log_dir.glob("*.cleaned")) and not list(log_dir.glob("*.deleted"))
    assert log.log_start_offset == log.log_end_offset == 20


def test_aborted_transactions_are_dropped_and_markers_kept(open_log):
    log = open_log(COMPACT)
    txn = build_batch([b"aborted"], keys=[b"t"], timestamps=[5_000], producer_id=7, producer_epoch=0,
                      base_sequence=0, extra_attributes=0x10)
    first = log.append(txn, now_ms=NOW).first_offset
    marker = log.append_marker(7, 0, commit=False, coordinator_epoch=0, now_ms=NOW)
    log.append(build_batch([b"committed"], keys=[b"t"], timestamps=[5_000], producer_id=7, producer_epoch=0,
                           base_sequence=1, extra_attributes=0x10), now_ms=NOW)  # the producer's last batch
    log.append_marker(7, 0, commit=True, coordinator_epoch=0, now_ms=NOW)
    for i in range(30):
        put(log, b"k%d" % i, b"v")
    compact(log)
    offsets = [offset for offset, _, _ in contents(log)]
    assert first not in offsets
    batches = split_batches(log.read(log.log_start_offset, 1 << 20).read())
    assert any(b.base_offset == marker and b.attributes & 0x20 for b in batches)


def test_small_cleaned_segments_are_merged_and_survive_a_restart(open_log, log_dir):
    overrides = {**COMPACT, "internal.segment.bytes": "400"}
    log = open_log(overrides)
    written = [(put(log, b"k%d" % (i // 3), b"v%d" % i), b"k%d" % (i // 3), b"v%d" % i) for i in range(60)]
    compact(log)  # each key three times in a row: cleaned segments shrink
    written += [(put(log, b"j", b"w%d" % i), b"j", b"w%d" % i) for i in range(20)]
    segments_before = len(log._segments)
    active = log._segments[-1].base_offset
    plan = compact(log)
    assert any(len(group) > 1 for group in plan.groups)
    assert len(log._segments) < segments_before
    assert sorted(int(p.name[:20]) for p in log_dir.glob("*.log")) == [s.base_offset for s in log._segments]
    assert all(s.size <= 400 for s in log._segments)
    newest_below = sorted({key: (offset, key, value) for offset, key, value in written if offset < active}.values())
    expected = newest_below + [w for w in written if w[0] >= active]
    assert contents(log) == expected
    log.close()
    assert contents(open_log(overrides)) == expected


def test_max_compaction_lag_forces_a_pass_below_the_dirty_ratio(open_log):
    log = open_log({**COMPACT, "min.cleanable.dirty.ratio": "0.99", "max.compaction.lag.ms": "1000"})
    for i in range(20):
        put(log, b"k", b"v%d" % i, timestamp=NOW)
    compact(log)
    for i in range(20):
        put(log, b"k", b"w%d" % i, timestamp=NOW)
    assert log.cleaning_plan(NOW + 500) is None
    assert log.cleaning_plan(NOW + 2_000) is not None


def test_a_remembered_producers_last_batch_is_kept_whole(open_log):
    log = open_log(COMPACT)
    for sequence in range(3):
        log.append(build_batch([b"idempotent %d" % sequence], keys=[b"k"], timestamps=[5_000], producer_id=9,
                               producer_epoch=0, base_sequence=sequence), now_ms=NOW)
    for i in range(30):
        put(log, b"k", b"plain %d" % i)
    compact(log)
    assert (2, b"k", b"idempotent 2") in contents(log)  # superseded, but the producer's last batch
    assert (1, b"k", b"idempotent 1") not in contents(log)
    log.close()
    reopened = open_log(COMPACT)
    assert [p.last_sequence for p in reopened.active_producers() if p.producer_id == 9] == [2]


def test_a_swap_cut_short_by_a_crash_is_finished_at_startup(open_log, log_dir):
    overrides = {**COMPACT, "internal.segment.bytes": "400"}
    log = open_log(overrides)
    for i in range(60):
        put(log, b"k%d" % (i // 3), b"v%d" % i)  # each key three times in a row: cleaned segments shrink
    compact(log)
    for i in range(20):
        put(log, b"j", b"w%d" % i)
    plan = log.cleaning_plan(NOW)
    cleaned = clean(plan)
    merged = next(result for result in cleaned if len(result.originals) > 1)
    old_files = {path.name: path.read_bytes() for segment in merged.originals
                 for path in log_dir.glob(f"{segment.base_offset:020d}.*")}
    LogManager.remove_files(log.install_cleaned(plan, cleaned))
    expected = contents(log)
    log.close()
    # The crash: the replaced segments still in place, the cleaned log only renamed to .swap.
    base = merged.originals[0].base_offset
    (log_dir / f"{base:020d}.log").rename(log_dir / f"{base:020d}.log.swap")
    for name, data in old_files.items():
        (log_dir / name).write_bytes(data)
    assert contents(open_log(overrides)) == expected
    assert not list(log_dir.glob("*.swap"))
