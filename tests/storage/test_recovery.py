import logging
import os
import struct

import pytest
from batch_builder import build_batch, split_batches
from conftest import NOW

CONFIG = {"internal.segment.bytes": "600", "index.interval.bytes": "150"}
BATCH = build_batch([b"r" * 20, b"s" * 20], timestamps=[1000, 1001])  # two records


@pytest.fixture
def caplog_storage(caplog):
    caplog.set_level(logging.INFO, logger="odradek.storage")
    return caplog


def populate(open_log, batches: int = 20):
    log = open_log(CONFIG)
    for i in range(batches):
        log.append(build_batch([b"r" * 20, b"s" * 20], timestamps=[1000 + i, 1001 + i]), now_ms=NOW)
    return log


def all_batches(log):
    batches = []
    offset = log.log_start_offset
    while offset < log.log_end_offset:
        chunk = split_batches(log.read(offset, 1 << 20).read())
        batches += chunk
        offset = chunk[-1].base_offset + chunk[-1].records_count
    return batches


def segments(log_dir, suffix=".log"):
    return sorted(p for p in log_dir.iterdir() if p.name.endswith(suffix))


def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_clean_restart_keeps_everything_and_logs_no_warning(open_log, log_dir, caplog_storage):
    log = populate(open_log)
    before = [b.raw for b in all_batches(log)]
    index_files = {p.name: p.read_bytes() for p in log_dir.iterdir()}
    log.close()
    reopened = open_log(CONFIG)
    assert reopened.log_end_offset == 40
    assert [b.raw for b in all_batches(reopened)] == before
    after = {p.name: p.read_bytes() for p in log_dir.iterdir()}
    assert after.pop("00000000000000000040.snapshot")  # the producer state, written by close
    assert after == index_files
    assert warnings_of(caplog_storage) == []
    assert reopened.append(BATCH, now_ms=NOW).first_offset == 40


def test_torn_tail_is_truncated(open_log, log_dir, caplog_storage):
    populate(open_log).close()
    active = segments(log_dir)[-1]
    size = active.stat().st_size
    os.truncate(active, size - 7)
    log = open_log(CONFIG)
    assert log.log_end_offset == 38
    assert active.stat().st_size == size - len(BATCH)
    assert any("Truncated" in m and active.name in m for m in warnings_of(caplog_storage))
    assert all(b.crc_ok for b in all_batches(log))
    assert log.append(BATCH, now_ms=NOW).first_offset == 38


@pytest.mark.parametrize("garbage", [b"\x00" * 100, os.urandom(3), os.urandom(500), b"\x00" * 8 + b"\x00\x00\x00\x50"])
def test_garbage_after_the_last_batch_is_truncated(open_log, log_dir, caplog_storage, garbage):
    populate(open_log).close()
    active = segments(log_dir)[-1]
    size = active.stat().st_size
    with open(active, "ab") as f:
        f.write(garbage)
    log = open_log(CONFIG)
    assert log.log_end_offset == 40
    assert active.stat().st_size == size
    assert any("Truncated" in m for m in warnings_of(caplog_storage))


def test_corrupt_crc_in_the_last_batch_drops_it(open_log, log_dir, caplog_storage):
    populate(open_log).close()
    active = segments(log_dir)[-1]
    data = bytearray(active.read_bytes())
    data[-3] ^= 0x01
    active.write_bytes(bytes(data))
    log = open_log(CONFIG)
    assert log.log_end_offset == 38
    assert any("crc" in m for m in warnings_of(caplog_storage))
    assert [b.base_offset for b in all_batches(log)] == list(range(0, 38, 2))


def test_crash_without_close_recovers_and_completes_the_time_index(open_log, log_dir, caplog_storage):
    crashed = populate(open_log)  # never closed: the active segment lacks its final time-index entry
    expected = [b.raw for b in all_batches(crashed)]
    log = open_log(CONFIG)
    assert [b.raw for b in all_batches(log)] == expected
    last_time_entry = segments(log_dir, ".timeindex")[-1].read_bytes()[-12:]
    assert struct.unpack(">qi", last_time_entry)[0] == 1020


@pytest.mark.parametrize("which", [0, -1])
@pytest.mark.parametrize("suffix", [".index", ".timeindex"])
def test_deleted_index_files_are_rebuilt_identically(open_log, log_dir, caplog_storage, which, suffix):
    populate(open_log).close()
    victim = segments(log_dir, suffix)[which]
    original = victim.read_bytes()
    assert original  # the test must delete real entries
    victim.unlink()
    log = open_log(CONFIG)
    assert victim.read_bytes() == original
    assert any("Rebuilt index" in m and victim.name in m for m in warnings_of(caplog_storage))
    assert log.log_end_offset == 40
    assert log.offset_for_timestamp(1010) == (19, 1010)


@pytest.mark.parametrize("damage", [
    lambda data: data + b"\x01\x02\x03",  # torn entry
    lambda data: data[:-8] + struct.pack(">ii", 1, 10**6),  # last entry past the end of the log
    lambda data: data[:-8] + struct.pack(">ii", 2, 5),  # last entry not at a batch boundary
    lambda data: data[:-8] + struct.pack(">ii", 500, 0),  # offset beyond the segment
])
def test_inconsistent_index_of_an_old_segment_is_rebuilt(open_log, log_dir, caplog_storage, damage):
    populate(open_log).close()
    victim = segments(log_dir, ".index")[0]
    original = victim.read_bytes()
    victim.write_bytes(damage(original))
    log = open_log(CONFIG)
    assert victim.read_bytes() == original
    assert log.log_end_offset == 40
    assert all(b.crc_ok for b in all_batches(log))


def test_time_index_missing_the_final_entry_of_an_old_segment_is_rebuilt(open_log, log_dir, caplog_storage):
    populate(open_log).close()
    victim = segments(log_dir, ".timeindex")[0]
    original = victim.read_bytes()
    victim.write_bytes(original[:-12])
    open_log(CONFIG)
    assert victim.read_bytes() == original


def test_bad_middle_index_entry_only_costs_a_full_scan(open_log, log_dir, caplog_storage):
    populate(open_log).close()
    victim = segments(log_dir, ".index")[0]
    entries = list(struct.iter_unpack(">ii", victim.read_bytes()))
    assert len(entries) >= 2
    entries[0] = (entries[0][0], entries[0][1] + 3)  # points inside a batch
    victim.write_bytes(b"".join(struct.pack(">ii", *e) for e in entries))
    log = open_log(CONFIG)
    assert warnings_of(caplog_storage) == []  # older segments only get a cheap check at startup
    target = entries[0][0]
    assert split_batches(log.read(target, 1).read())[0].base_offset == target - 1
    assert any("wrong position" in m for m in warnings_of(caplog_storage))


def test_old_segments_are_not_crc_scanned_at_startup(open_log, log_dir, caplog_storage):
    populate(open_log).close()
    first = segments(log_dir)[0]
    data = bytearray(first.read_bytes())
    data[70] ^= 0xFF  # inside the first batch, well before the last index entry
    first.write_bytes(bytes(data))
    log = open_log(CONFIG)
    assert warnings_of(caplog_storage) == []
    assert log.log_end_offset == 40


def test_damaged_tail_of_an_old_segment_ends_the_log_there(open_log, log_dir, caplog_storage):
    populate(open_log).close()
    logs = segments(log_dir)
    assert len(logs) >= 3
    second = logs[1]
    os.truncate(second, second.stat().st_size - 10)
    log = open_log(CONFIG)
    base = int(second.name[:20])
    batches_left = (second.stat().st_size) // len(BATCH)
    assert log.log_end_offset == base + 2 * batches_left
    assert segments(log_dir) == logs[:2]
    assert not any(p.name.startswith(logs[2].name[:20]) for p in log_dir.iterdir())
    errors = [r.getMessage() for r in caplog_storage.records if r.levelno >= logging.ERROR]
    assert errors and "Deleting" in errors[0]
    assert log.append(BATCH, now_ms=NOW).first_offset == log.log_end_offset - 2


def test_leftover_files_are_removed(open_log, log_dir, caplog_storage):
    populate(open_log).close()
    (log_dir / "00000000000000099999.index").write_bytes(b"")
    (log_dir / "00000000000000099999.timeindex").write_bytes(b"")
    (log_dir / "00000000000000000000.index.tmp").write_bytes(b"junk")
    (log_dir / "unrelated.file").write_bytes(b"kept")
    open_log(CONFIG)
    names = {p.name for p in log_dir.iterdir()}
    assert "00000000000000099999.index" not in names and "00000000000000000000.index.tmp" not in names
    assert "unrelated.file" in names


def test_empty_active_segment_with_stale_indexes(open_log, log_dir):
    populate(open_log).close()
    active = segments(log_dir)[-1]
    base = int(active.name[:20])
    os.truncate(active, 0)
    log = open_log(CONFIG)
    assert log.log_end_offset == base
    assert segments(log_dir, ".index")[-1].read_bytes() == b""
    assert log.append(BATCH, now_ms=NOW).first_offset == base


def test_missing_log_files_start_an_empty_log(open_log, log_dir):
    populate(open_log).close()
    for path in segments(log_dir):
        path.unlink()
    log = open_log(CONFIG)
    assert (log.log_start_offset, log.log_end_offset) == (0, 0)
