"""``odradek dump-log``: batches, records, index entries and mismatches, from real segment files."""

from __future__ import annotations

import io
import struct

from odradek.storage.log_config import LogConfig
from odradek.storage.partition_log import PartitionLog
from odradek.tools.cli import main
from odradek.tools.dump_log import dump
from odradek.wire.records import Record, build_batch

NOW = 10_000


def keyed(*pairs, base_timestamp=5_000, **options) -> bytes:
    records = [Record(offset_delta=i, timestamp_delta=i, key=k, value=v) for i, (k, v) in enumerate(pairs)]
    return build_batch(records, base_timestamp=base_timestamp, **options)


def make_log(tmp_path, overrides=None):
    config = LogConfig.from_props({}, {"index.interval.bytes": "50", **(overrides or {})})
    log = PartitionLog.open(tmp_path / "t-0", "t", 0, config, now_ms=NOW)
    log.append(keyed((b"a", b"one"), (None, b"two")), now_ms=NOW)
    log.append(keyed((b"b", None), compression="gzip", producer_id=4, producer_epoch=1, base_sequence=0,
                     transactional=True), now_ms=NOW)
    log.append_marker(4, 1, commit=True, coordinator_epoch=3, now_ms=NOW)
    log.append(keyed((b"c", b"three"), base_timestamp=6_000), now_ms=NOW)
    log.close()
    return tmp_path / "t-0" / f"{0:020d}"


def dumped(path, print_data=False) -> str:
    out = io.StringIO()
    assert dump(path, out, print_data)
    return out.getvalue()


def test_batches_and_records(tmp_path):
    base = make_log(tmp_path)
    text = dumped(base.with_suffix(".log"), print_data=True)
    lines = text.splitlines()
    assert lines[:2] == [f"Dumping {base}.log", "Log starting offset: 0"]
    batches = [line for line in lines if line.startswith("baseOffset")]
    assert len(batches) == 4
    assert batches[0].startswith("baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 "
                                 "producerId: -1")
    assert "compresscodec: none" in batches[0] and "isvalid: true" in batches[0] and "position: 0 " in batches[0]
    assert ("baseOffset: 2 lastOffset: 2 count: 1 baseSequence: 0 lastSequence: 0 producerId: 4 producerEpoch: 1"
            in batches[1])
    assert "isTransactional: true isControl: false" in batches[1] and "compresscodec: gzip" in batches[1]
    assert "isControl: true" in batches[2]
    assert "| offset: 0 CreateTime: 5000 keySize: 1 valueSize: 3 sequence: -1 headerKeys: [] key: a payload: one" in lines
    assert any(line.startswith("| offset: 1 ") and "keySize: -1" in line and "key: null" in line for line in lines)
    assert "| offset: 2 CreateTime: 5000 keySize: 1 valueSize: -1 sequence: 0 headerKeys: [] key: b payload: null" in lines
    assert "| offset: 3 endTxnMarker: COMMIT coordinatorEpoch: 3" in lines
    assert "| offset" not in dumped(base.with_suffix(".log"))


def test_a_corrupt_batch_and_a_torn_tail_are_reported(tmp_path):
    base = make_log(tmp_path)
    log_file = base.with_suffix(".log")
    data = bytearray(log_file.read_bytes())
    data[70] ^= 0xFF  # inside the first batch's records
    log_file.write_bytes(bytes(data) + b"\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00")
    text = dumped(log_file)
    first = next(line for line in text.splitlines() if line.startswith("baseOffset: 0 "))
    assert first.endswith("isvalid: false")
    assert f"Found 10 invalid bytes at position {len(data)}" in text


def test_index_entries_are_printed_and_checked_against_the_log(tmp_path):
    base = make_log(tmp_path)
    index = base.with_suffix(".index")
    text = dumped(index)
    entries = [line for line in text.splitlines() if line.startswith("offset:")]
    assert entries and f"All entries of {index.name} match the log" in text
    relative, position = struct.unpack(">ii", index.read_bytes()[:8])
    index.write_bytes(struct.pack(">ii", relative + 1, position) + index.read_bytes()[8:])
    text = dumped(index)
    assert f"Mismatches in {index}:" in text
    assert f"  Index offset: {relative + 1}, log offset: {relative}" in text


def test_time_index_entries_are_checked(tmp_path):
    base = make_log(tmp_path)
    timeindex = base.with_suffix(".timeindex")
    text = dumped(timeindex)
    assert "timestamp: 10000 offset: 3" in text and "match the log" in text  # the marker, written at NOW
    timeindex.write_bytes(timeindex.read_bytes() + struct.pack(">qi", 9_000, 4))
    text = dumped(timeindex)
    assert "Index timestamp: 9000, log timestamp: 6000 (offset 4)" in text
    assert "Index timestamp: 9000 is not after the previous one, 10000" in text


def test_snapshots_and_the_command_line(tmp_path, capsys):
    base = make_log(tmp_path)
    snapshot = base.with_name(f"{5:020d}.snapshot")
    assert main(["dump-log", str(snapshot), str(base.with_suffix(".txnindex"))]) == 1  # no txnindex: no abort
    out = capsys.readouterr().out
    assert "producerId: 4 producerEpoch: 1 coordinatorEpoch: 3 currentTxnFirstOffset: -1" in out
    assert main(["dump-log", str(base.with_suffix(".log"))]) == 0
