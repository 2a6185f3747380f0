"""Producer state across restarts: snapshots (Kafka's format), replay after a crash, rebuilt transaction indexes."""

import logging
import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from batch_builder import build_batch, producer_batch
from conftest import NOW
from crc32c import crc32c

from odradek.storage.errors import InvalidConfigError, OutOfOrderSequenceError
from odradek.storage.producer_state_config import ProducerStateConfig

PID, OTHER = 1000, 2000
SMALL_SEGMENTS = {"internal.segment.bytes": "400"}
SNAPSHOT_HEAD = struct.Struct(">hIi")
SNAPSHOT_ENTRY = struct.Struct(">qhiqiqiq")


@pytest.fixture
def caplog_storage(caplog):
    caplog.set_level(logging.INFO, logger="odradek.storage")
    return caplog


def messages(caplog, level=logging.INFO):
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


def files(log_dir, suffix):
    return sorted(p.name for p in log_dir.iterdir() if p.name.endswith(suffix))


def decode_snapshot_file(path):
    data = path.read_bytes()
    version, crc, count = SNAPSHOT_HEAD.unpack_from(data)
    assert version == 1 and crc == crc32c(data[6:])
    assert len(data) == SNAPSHOT_HEAD.size + count * SNAPSHOT_ENTRY.size
    return list(SNAPSHOT_ENTRY.iter_unpack(data[SNAPSHOT_HEAD.size:]))


def five_batches(producer_id=PID):
    return [producer_batch(producer_id, 2 * i, 2) for i in range(5)]


def append_all(log, batches):
    return [log.append(batch, now_ms=NOW) for batch in batches]


def test_the_snapshot_at_a_roll_holds_the_state_at_the_new_segments_base(open_log, log_dir):
    log = open_log(SMALL_SEGMENTS)
    log.append(producer_batch(PID, 0, 3, timestamp=1_500), now_ms=NOW)
    log.append(producer_batch(OTHER, 0, transactional=True), now_ms=NOW)  # 3: open
    log.append_marker(PID, 0, True, 9, now_ms=NOW)  # 4
    while len(files(log_dir, ".log")) < 2:
        log.append(build_batch([b"x" * 50]), now_ms=NOW)
    base = int(files(log_dir, ".log")[1][:20])
    assert files(log_dir, ".snapshot") == [f"{base:020d}.snapshot"]
    assert decode_snapshot_file(log_dir / f"{base:020d}.snapshot") == [
        # producer, epoch, last seq, last offset, offset delta, timestamp, coordinator epoch, txn first offset
        (PID, 0, 2, 2, 2, NOW, 9, -1),  # the marker's time is the producer's last timestamp
        (OTHER, 0, 0, 3, 0, 1_000, -1, 3),
    ]


def test_a_clean_restart_loads_the_close_snapshot_and_replays_nothing(open_log, log_dir, caplog_storage):
    log = open_log()
    batches = five_batches()
    infos = append_all(log, batches)
    log.close()
    assert files(log_dir, ".snapshot") == ["00000000000000000010.snapshot"]
    log = open_log()
    assert not any("Rebuilding" in m for m in messages(caplog_storage))
    retry = log.append(batches[-1], now_ms=NOW)
    assert retry.duplicate and retry.first_offset == infos[-1].first_offset
    with pytest.raises(OutOfOrderSequenceError):  # a snapshot keeps only the last batch, as Kafka's does
        log.append(batches[-2], now_ms=NOW)


@pytest.mark.parametrize("which", range(5))
def test_after_a_crash_without_snapshots_the_log_is_replayed(open_log, log_dir, caplog_storage, which):
    log = open_log()
    batches = five_batches()
    infos = append_all(log, batches)
    assert files(log_dir, ".snapshot") == []
    log = open_log()  # the first one was never closed: a crash
    assert any("Rebuilding producer state" in m for m in messages(caplog_storage))
    retry = log.append(batches[which], now_ms=NOW)
    assert retry.duplicate and (retry.first_offset, retry.last_offset) == (infos[which].first_offset,
                                                                          infos[which].last_offset)
    assert files(log_dir, ".snapshot") == ["00000000000000000010.snapshot"]  # written after the replay


def test_after_a_crash_the_roll_snapshot_and_the_active_segment_are_replayed(open_log, log_dir):
    segments = {"internal.segment.bytes": "1000"}
    log = open_log(segments)
    log.append(producer_batch(PID, 0, 3), now_ms=NOW)
    while len(files(log_dir, ".log")) < 2:
        log.append(build_batch([b"x" * 300]), now_ms=NOW)
    batches = [producer_batch(PID, 3 + i) for i in range(5)]
    infos = append_all(log, batches)
    assert len(files(log_dir, ".log")) == 2 and len(files(log_dir, ".snapshot")) == 1
    log = open_log(segments)
    for batch, info in zip(batches, infos, strict=True):
        assert log.append(batch, now_ms=NOW).first_offset == info.first_offset
    assert log.append(producer_batch(PID, 8), now_ms=NOW).first_offset == log.log_end_offset - 1


def test_after_a_crash_a_stale_close_snapshot_is_completed_from_the_log(open_log):
    log = open_log()
    batches = five_batches() + [producer_batch(PID, 10 + i) for i in range(3)]
    append_all(log, batches[:4])
    log.close()
    log = open_log()
    infos = append_all(log, batches[4:])
    log = open_log()  # crash: the snapshot at 8 and the batches after it
    for batch, info in zip(batches[3:], [None] + infos, strict=True):
        retry = log.append(batch, now_ms=NOW)
        assert retry.duplicate and (info is None or retry.first_offset == info.first_offset)
    with pytest.raises(OutOfOrderSequenceError):
        log.append(batches[2], now_ms=NOW)


def test_a_batch_torn_off_by_a_crash_is_not_a_duplicate_when_retried(open_log, log_dir):
    log = open_log()
    batches = five_batches()
    infos = append_all(log, batches)
    active = log_dir / "00000000000000000000.log"
    os.truncate(active, active.stat().st_size - 5)
    log = open_log()
    assert log.log_end_offset == 8
    assert log.append(batches[3], now_ms=NOW).duplicate
    retried = log.append(batches[4], now_ms=NOW)
    assert not retried.duplicate and retried.first_offset == infos[4].first_offset


def test_a_snapshot_past_a_truncated_log_end_is_deleted(open_log, log_dir, caplog_storage):
    log = open_log()
    batches = five_batches()
    append_all(log, batches)
    log.close()
    active = log_dir / "00000000000000000000.log"
    os.truncate(active, active.stat().st_size - 5)
    log = open_log()
    assert files(log_dir, ".snapshot") == ["00000000000000000008.snapshot"]
    assert any("00000000000000000010.snapshot" in m for m in messages(caplog_storage))
    assert log.active_producers()[0].last_sequence == 7
    assert not log.append(batches[4], now_ms=NOW).duplicate


def test_an_unreadable_snapshot_is_deleted_and_the_log_replayed(open_log, log_dir, caplog_storage):
    log = open_log()
    batches = five_batches()
    append_all(log, batches)
    log.close()
    snapshot = log_dir / "00000000000000000010.snapshot"
    data = bytearray(snapshot.read_bytes())
    data[-1] ^= 1
    snapshot.write_bytes(bytes(data))
    log = open_log()
    assert any("unreadable producer snapshot" in m and "crc" in m for m in messages(caplog_storage, logging.WARNING))
    assert all(log.append(batch, now_ms=NOW).duplicate for batch in batches)


def test_snapshots_of_no_further_use_are_deleted(open_log, log_dir):
    log = open_log(SMALL_SEGMENTS)
    while len(files(log_dir, ".log")) < 3:
        log.append(build_batch([b"x" * 50]), now_ms=NOW)
    log.close()
    bases = [int(name[:20]) for name in files(log_dir, ".log")]
    kept = set(files(log_dir, ".snapshot"))  # at the later bases, and the close's at the log end
    assert len(kept) == len(bases)
    stray = bases[1] + 1  # e.g. left by a clean close long ago
    (log_dir / f"{stray:020d}.snapshot").write_bytes((log_dir / f"{bases[1]:020d}.snapshot").read_bytes())
    beyond = log_dir / f"{bases[-1] + 1000:020d}.snapshot"
    beyond.write_bytes(b"")
    open_log(SMALL_SEGMENTS)
    assert set(files(log_dir, ".snapshot")) == kept


def test_an_open_transaction_survives_a_restart(open_log, log_dir):
    log = open_log()
    log.append(build_batch([b"x"]), now_ms=NOW)
    log.append(producer_batch(PID, 0, 2, transactional=True), now_ms=NOW)  # 1-2
    log.close()
    log = open_log()
    assert log.last_stable_offset == 1
    log.append(producer_batch(PID, 2, transactional=True), now_ms=NOW)  # 3
    log = open_log()  # crash
    assert log.last_stable_offset == 1
    assert log.active_producers()[0].current_txn_start_offset == 1
    log.append_marker(PID, 0, False, 4, now_ms=NOW)
    assert log.last_stable_offset == log.high_watermark == 5
    assert log.aborted_transactions(0, 5) == [(PID, 1)]


def aborts_in_two_segments(log, log_dir):
    seq = 0
    while len(files(log_dir, ".log")) < 2 or seq < 12:
        log.append(producer_batch(PID, seq, 2, transactional=True), now_ms=NOW)
        log.append(producer_batch(OTHER, seq, 2, transactional=True), now_ms=NOW)
        log.append_marker(PID, 0, seq % 4 == 0, 0, now_ms=NOW)
        log.append_marker(OTHER, 0, False, 0, now_ms=NOW)
        seq += 2
    return {name: (log_dir / name).read_bytes() for name in files(log_dir, ".txnindex")}


def test_a_lost_transaction_index_of_the_active_segment_is_rebuilt_after_a_crash(open_log, log_dir, caplog_storage):
    log = open_log(SMALL_SEGMENTS)
    indexes = aborts_in_two_segments(log, log_dir)
    active = files(log_dir, ".txnindex")[-1]
    (log_dir / active).unlink()
    log = open_log(SMALL_SEGMENTS)
    assert {name: (log_dir / name).read_bytes() for name in files(log_dir, ".txnindex")} == indexes
    assert any("Rebuilt transaction index" in m and active in m for m in messages(caplog_storage, logging.WARNING))
    assert log.last_stable_offset == log.high_watermark


def test_without_snapshots_every_transaction_index_is_rebuilt(open_log, log_dir):
    log = open_log(SMALL_SEGMENTS)
    indexes = aborts_in_two_segments(log, log_dir)
    expected = log.aborted_transactions(0, log.log_end_offset)
    log.close()
    for name in files(log_dir, ".snapshot") + files(log_dir, ".txnindex"):
        (log_dir / name).unlink()
    log = open_log(SMALL_SEGMENTS)
    assert {name: (log_dir / name).read_bytes() for name in files(log_dir, ".txnindex")} == indexes
    assert log.aborted_transactions(0, log.log_end_offset) == expected


def test_an_abort_torn_off_the_log_leaves_the_transaction_index(open_log, log_dir):
    log = open_log()
    log.append(producer_batch(PID, 0, transactional=True), now_ms=NOW)
    log.append_marker(PID, 0, False, 0, now_ms=NOW)
    assert files(log_dir, ".txnindex") == ["00000000000000000000.txnindex"]
    active = log_dir / "00000000000000000000.log"
    os.truncate(active, active.stat().st_size - 3)
    log = open_log()
    assert log.log_end_offset == 1
    assert (log_dir / "00000000000000000000.txnindex").read_bytes() == b""
    assert log.aborted_transactions(0, 10) == []
    assert log.last_stable_offset == 0  # the transaction is open again


def test_replay_restores_what_markers_say(open_log):
    log = open_log()
    log.append(producer_batch(PID, 0, transactional=True), now_ms=NOW)
    log.append_marker(PID, 2, True, 11, now_ms=NOW + 7)
    log = open_log()  # crash, no snapshot
    (info,) = log.active_producers()
    assert (info.producer_epoch, info.coordinator_epoch, info.last_timestamp) == (2, 11, NOW + 7)
    assert (info.last_sequence, info.current_txn_start_offset) == (-1, -1)  # a new epoch forgets the batches


def test_producers_expired_by_the_time_of_a_restart_are_forgotten(open_log):
    config = ProducerStateConfig(producer_id_expiration_ms=60_000)
    log = open_log(producer=config)
    log.append(producer_batch(PID, 0, timestamp=1_000), now_ms=NOW)
    log.append(producer_batch(OTHER, 0, timestamp=50_000), now_ms=NOW)
    log.close()
    log = open_log(producer=config, now_ms=70_000)
    assert [p.producer_id for p in log.active_producers()] == [OTHER]


def test_the_log_manager_reads_producer_settings_from_broker_properties(open_manager):
    manager = open_manager({"producer.id.expiration.ms": "1234"})
    assert manager.producer_config == ProducerStateConfig(1234, 600_000)
    with pytest.raises(InvalidConfigError):
        open_manager({"producer.id.expiration.ms": "0"})


KILLED_WRITER = """
import os, signal, sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from batch_builder import producer_batch
from odradek.storage.log_config import LogConfig
from odradek.storage.partition_log import PartitionLog
log = PartitionLog.open(Path(sys.argv[1]), "topic", 0, LogConfig.from_props({}, {"internal.segment.bytes": "400"}),
                        now_ms=10_000)
for i in range(12):
    log.append(producer_batch(1000, 2 * i, 2, transactional=i >= 10), now_ms=10_000)
log.append_marker(1000, 0, False, 3, now_ms=10_000)
for i in range(12, 15):
    log.append(producer_batch(1000, 2 * i, 2), now_ms=10_000)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_duplicates_are_still_recognised_after_a_kill_9(open_log, log_dir):
    writer = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(log_dir), str(Path(__file__).parent)])
    assert writer.returncode == -signal.SIGKILL
    log = open_log(SMALL_SEGMENTS)
    assert log.log_end_offset == 31
    retry = log.append(producer_batch(PID, 28, 2), now_ms=NOW)
    assert retry.duplicate and (retry.first_offset, retry.last_offset) == (29, 30)
    assert log.aborted_transactions(0, 31) == [(PID, 20)]
    assert log.append(producer_batch(PID, 30), now_ms=NOW).first_offset == 31
