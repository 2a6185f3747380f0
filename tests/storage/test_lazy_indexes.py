"""Lazy index files: a new segment's ``.index`` and ``.timeindex`` are made by its first entry, or
when it is sealed holding data, as Kafka's lazy indexes. A partition created but never written
has none, and must still start again after a kill -9 or a clean shutdown, without a replay
rewriting files for it."""

import logging
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from batch_builder import build_batch

from odradek.storage.log_config import LogConfig
from odradek.storage.log_manager import CLEAN_SHUTDOWN_FILE
from odradek.storage.segment import LogSegment

NOW = 10_000
INDEXES = (".index", ".timeindex")


def records(count: int, timestamp: int = 5_000) -> bytes:
    return build_batch([b"v" * 20] * count, timestamps=[timestamp] * count)


def index_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.suffix in INDEXES)


@pytest.fixture
def storage_warnings(caplog):
    caplog.set_level(logging.INFO, logger="odradek.storage")
    return lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


KILLED_CREATOR = """
import os, signal, sys
from odradek.storage.log_manager import LogManager
manager = LogManager(sys.argv[1], {})
manager.startup()
manager.create_topic("fresh", 3)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_topic_never_written_comes_back_after_a_kill_9(open_manager, tmp_path, replays, storage_warnings):
    data = tmp_path / "data"
    creator = subprocess.run([sys.executable, "-c", KILLED_CREATOR, str(data)])
    assert creator.returncode == -signal.SIGKILL
    for index in range(3):
        assert index_files(data / f"fresh-{index}") == []

    manager = open_manager()
    assert replays == [0, 0, 0]  # no clean shutdown: every active segment is replayed
    assert storage_warnings() == []  # nothing was missing that should have been there
    for index in range(3):
        log = manager.partition("fresh", index)
        assert (log.log_start_offset, log.log_end_offset) == (0, 0)
        assert index_files(data / f"fresh-{index}") == []  # recovery made none for an empty segment
    assert manager.partition("fresh", 1).append(records(2), now_ms=NOW).first_offset == 0
    manager.close()
    assert index_files(data / "fresh-1") == ["00000000000000000000.index", "00000000000000000000.timeindex"]
    assert index_files(data / "fresh-0") == []

    replays.clear()
    again = open_manager()
    assert replays == [] and storage_warnings() == []
    assert again.partition("fresh", 1).log_end_offset == 2
    assert again.partition("fresh", 0).log_end_offset == 0
    assert again.partition("fresh", 0).append(records(1), now_ms=NOW).first_offset == 0


def test_a_clean_shutdown_of_a_topic_never_written_makes_no_index_files(open_manager, tmp_path, replays,
                                                                       storage_warnings):
    manager = open_manager()
    manager.create_topic("idle", 2)
    manager.close()
    assert (tmp_path / "data" / CLEAN_SHUTDOWN_FILE).exists()
    assert index_files(tmp_path / "data" / "idle-0") == []

    restarted = open_manager()
    assert replays == [] and storage_warnings() == []  # the startup check takes a missing index as empty
    assert restarted.partition("idle", 0).log_end_offset == 0
    assert restarted.partition("idle", 0).offset_for_timestamp(0) is None


def test_the_first_index_entry_makes_the_files(open_log, log_dir):
    log = open_log({"index.interval.bytes": "100"})
    log.append(records(3, 1_000), now_ms=NOW)  # no entry yet: nothing written since the last one
    assert index_files(log_dir) == []
    log.append(records(3, 2_000), now_ms=NOW)
    log.append(records(3, 3_000), now_ms=NOW)  # more than 100 bytes since the last entry
    assert index_files(log_dir) == ["00000000000000000000.index", "00000000000000000000.timeindex"]
    assert (log_dir / "00000000000000000000.index").stat().st_size == 8 * len(log.segments[0].offset_index) > 0


def test_a_rolled_segment_without_entries_gets_its_files_and_no_replay(open_manager, tmp_path, replays,
                                                                       storage_warnings):
    manager = open_manager({"log.index.interval.bytes": "100000"})
    manager.create_topic("t", 1, {"internal.segment.bytes": "1000"})
    log = manager.partition("t", 0)
    for _ in range(30):
        log.append(records(5), now_ms=NOW)
    assert len(log.segments) >= 3
    sealed = log.segments[0]
    directory = tmp_path / "data" / "t-0"
    assert (directory / f"{sealed.base_offset:020d}.index").read_bytes() == b""  # made at the roll
    assert (directory / f"{sealed.base_offset:020d}.timeindex").stat().st_size == 12  # its final entry
    end = log.log_end_offset
    manager.close()

    (tmp_path / "data" / CLEAN_SHUTDOWN_FILE).unlink()  # as after a crash: only the active segment replays
    restarted = open_manager({"log.index.interval.bytes": "100000"})
    assert replays == [restarted.partition("t", 0).segments[-1].base_offset]
    assert storage_warnings() == []
    assert restarted.partition("t", 0).log_end_offset == end


def test_a_missing_index_of_a_segment_holding_data_is_still_rebuilt(open_log, log_dir, storage_warnings):
    log = open_log({"index.interval.bytes": "0"})
    for timestamp in (1_000, 2_000, 3_000):
        log.append(records(2, timestamp), now_ms=NOW)
    log.close()
    original = (log_dir / "00000000000000000000.timeindex").read_bytes()
    (log_dir / "00000000000000000000.timeindex").unlink()
    reopened = open_log({"index.interval.bytes": "0"})
    assert (log_dir / "00000000000000000000.timeindex").read_bytes() == original
    assert any("Rebuilt index" in message for message in storage_warnings())
    assert reopened.offset_for_timestamp(2_000) == (2, 2_000)


def test_a_new_segment_takes_no_stale_index_entries(tmp_path):
    """Made in a directory that may hold an earlier segment's files at the same base (a roll after
    a truncation), a segment removes them: its lazily made files must not start with old entries."""
    for suffix in (*INDEXES, ".txnindex"):
        (tmp_path / f"00000000000000000000{suffix}").write_bytes(b"\x00" * 24)
    segment = LogSegment.create(tmp_path, 0, LogConfig.from_props({}, {}), NOW)
    assert index_files(tmp_path) == [] and not (tmp_path / "00000000000000000000.txnindex").exists()
    assert len(segment.offset_index) == 0 and segment.time_index.last_entry() is None
    segment.close()
