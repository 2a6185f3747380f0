"""Durability: flush.messages / flush.ms say when to fsync; a clean shutdown spares the next start a replay."""

from batch_builder import build_batch

from odradek.storage.log_manager import CLEAN_SHUTDOWN_FILE

NOW = 10_000


def records(count: int) -> bytes:
    return build_batch([b"v"] * count, timestamps=[5_000] * count)


def test_flush_messages_counts_records_since_the_last_flush(open_log):
    log = open_log({"flush.messages": "3"})
    log.append(records(2), now_ms=NOW)
    assert not log.take_flush(NOW)
    log.append(records(1), now_ms=NOW)
    assert log.take_flush(NOW)
    assert not log.take_flush(NOW)  # counting starts again
    log.append(records(5), now_ms=NOW)
    assert log.take_flush(NOW)


def test_flush_ms_is_time_since_the_last_flush_with_something_to_flush(open_log):
    log = open_log({"flush.ms": "1000"}, now_ms=NOW)
    assert not log.take_flush(NOW + 5_000)  # nothing appended
    log.append(records(1), now_ms=NOW)
    assert not log.take_flush(NOW + 999)
    assert log.take_flush(NOW + 1_000)
    log.append(records(1), now_ms=NOW)
    assert not log.take_flush(NOW + 1_500)


def test_by_default_nothing_is_due(open_log):
    log = open_log()
    log.append(records(1000), now_ms=NOW)
    assert not log.take_flush(NOW + 10**9)


def test_a_clean_shutdown_spares_the_active_segment_its_replay(open_manager, tmp_path, replays):
    manager = open_manager({"log.index.interval.bytes": "100"})
    manager.create_topic("t", 1)
    for _ in range(20):
        manager.partition("t", 0).append(records(3), now_ms=NOW)
    manager.close()
    marker = tmp_path / "data" / CLEAN_SHUTDOWN_FILE
    assert marker.exists()

    restarted = open_manager({"log.index.interval.bytes": "100"})
    assert replays == [] and not marker.exists()
    log = restarted.partition("t", 0)
    assert log.log_end_offset == 60
    assert log.append(records(1), now_ms=NOW).first_offset == 60
    restarted.close()

    marker.unlink()  # as after a crash
    again = open_manager({"log.index.interval.bytes": "100"})
    assert replays == [0] and again.partition("t", 0).log_end_offset == 61


def test_a_damaged_tail_is_found_even_after_a_clean_shutdown(open_manager, tmp_path, replays):
    manager = open_manager()
    manager.create_topic("t", 1)
    for _ in range(5):
        manager.partition("t", 0).append(records(2), now_ms=NOW)
    manager.close()
    with open(tmp_path / "data" / "t-0" / f"{0:020d}.log", "ab") as segment:
        segment.write(b"\x00" * 30)
    restarted = open_manager()
    assert replays == [0]
    assert restarted.partition("t", 0).log_end_offset == 10
    assert restarted.partition("t", 0).append(records(1), now_ms=NOW).first_offset == 10
