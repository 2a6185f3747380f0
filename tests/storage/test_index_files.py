import struct

from batch_builder import build_batch
from conftest import NOW


def one_record(timestamp: int) -> bytes:
    return build_batch([b"v" * 30], timestamps=[timestamp])


def test_known_sequence_produces_kafkas_index_bytes(open_log, log_dir):
    """index.interval.bytes=150 and five 98-byte batches: an entry whenever more than 150 bytes
    were written since the last one, keyed by the batch's last offset; the time index only
    grows when the max timestamp does."""
    assert len(one_record(0)) == 98
    log = open_log({"index.interval.bytes": "150"})
    for timestamp in (1000, 1005, 1003, 1010, 1010):
        log.append(one_record(timestamp), now_ms=NOW)
    log.close()
    index = (log_dir / "00000000000000000000.index").read_bytes()
    time_index = (log_dir / "00000000000000000000.timeindex").read_bytes()
    assert index == bytes.fromhex("00000002 000000c4 00000004 00000188")  # (2, 196), (4, 392)
    assert time_index == bytes.fromhex(
        "00000000000003ed 00000001"  # (1005, offset 1)
        "00000000000003f2 00000003"  # (1010, offset 3)
    )


def test_closing_adds_the_final_max_timestamp_to_the_time_index(open_log, log_dir):
    log = open_log({"index.interval.bytes": "100000"})
    for timestamp in (1000, 1007, 1003):
        log.append(one_record(timestamp), now_ms=NOW)
    assert not (log_dir / "00000000000000000000.timeindex").exists()  # no entry yet: made lazily
    log.close()
    assert (log_dir / "00000000000000000000.timeindex").read_bytes() == struct.pack(">qi", 1007, 1)
    assert (log_dir / "00000000000000000000.index").read_bytes() == b""  # exactly its entries, no zero tail


def test_rolled_segments_have_relative_entries_and_a_final_time_entry(open_log, log_dir):
    log = open_log({"internal.segment.bytes": "300", "index.interval.bytes": "0"})
    for offset in range(6):
        log.append(one_record(2000 + offset), now_ms=NOW)
    # three 98-byte batches per segment
    assert sorted(p.name for p in log_dir.iterdir() if p.suffix == ".log") == [
        "00000000000000000000.log", "00000000000000000003.log"]
    second_index = (log_dir / "00000000000000000003.index").read_bytes()
    assert list(struct.iter_unpack(">ii", second_index)) == [(1, 98), (2, 196)]
    first_time_index = (log_dir / "00000000000000000000.timeindex").read_bytes()
    assert list(struct.iter_unpack(">qi", first_time_index)) == [(2001, 1), (2002, 2)]


def test_index_files_are_named_like_kafkas(open_log, log_dir):
    log = open_log({"internal.segment.bytes": "100"})
    for _ in range(3):
        log.append(one_record(1000), now_ms=NOW)
    names = sorted(p.name for p in log_dir.iterdir())
    segment_files = [f"{base:020d}{suffix}" for base in range(3) for suffix in (".index", ".log", ".timeindex")]
    snapshots = [f"{base:020d}.snapshot" for base in (1, 2)]  # producer state, written at each roll
    # the active segment's indexes have no entry yet: made when it is sealed (rolled or closed)
    lazy = ["00000000000000000002.index", "00000000000000000002.timeindex"]
    assert names == sorted(set(segment_files + snapshots) - set(lazy))
    log.close()
    assert sorted(p.name for p in log_dir.iterdir()) == sorted(segment_files + snapshots + ["00000000000000000003.snapshot"])
