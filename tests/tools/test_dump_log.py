"""``odradek dump-log``: batches, records, index entries and mismatches, from real segment files."""

from __future__ import annotations

import io
import struct
import subprocess
import sys

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
    assert all("deleteHorizonMs: OptionalLong.empty position: " in batch for batch in batches)
    # as Kafka's kafka-dump-log prints them: a null key or value is left out of the line
    assert "| offset: 0 CreateTime: 5000 keySize: 1 valueSize: 3 sequence: -1 headerKeys: [] key: a payload: one" in lines
    assert "| offset: 1 CreateTime: 5001 keySize: -1 valueSize: 3 sequence: -1 headerKeys: [] payload: two" in lines
    assert "| offset: 2 CreateTime: 5000 keySize: 1 valueSize: -1 sequence: 0 headerKeys: [] key: b" in lines
    assert ("| offset: 3 CreateTime: 10000 keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] "
            "endTxnMarker: COMMIT coordinatorEpoch: 3") in lines
    assert "| offset" not in dumped(base.with_suffix(".log"))


def test_keys_payloads_and_header_keys_never_reach_the_terminal_raw(tmp_path):
    config = LogConfig.from_props({}, {})
    log = PartitionLog.open(tmp_path / "t-0", "t", 0, config, now_ms=NOW)
    records = [Record(0, 0, b"k\x1b[2J", "caf\u00e9 \u2028\x00\tok\n".encode() + b"\xff\xfe",
                      headers=[("h\x07", b"v"), ("plain", None)])]
    log.append(build_batch(records, base_timestamp=5_000), now_ms=NOW)
    log.close()
    [line] = [line for line in dumped(tmp_path / "t-0" / f"{0:020d}.log", True).splitlines() if line.startswith("|")]
    assert line.endswith("headerKeys: [h\\x07,plain] key: k\\x1b[2J payload: caf\u00e9 \\u2028\\x00\\tok\\n\\xff\\xfe")
    assert line.isprintable()


def test_the_dump_stops_quietly_when_its_reader_goes_away(tmp_path):
    """``odradek dump-log ... | head -1``: no traceback, no "Exception ignored", SIGPIPE's exit status."""
    config = LogConfig.from_props({}, {})
    log = PartitionLog.open(tmp_path / "t-0", "t", 0, config, now_ms=NOW)
    for start in range(0, 4_000, 500):  # ~500 KB of output: far more than a pipe holds
        log.append(keyed(*[(b"key-%d" % i, b"value-%d" % i) for i in range(start, start + 500)]), now_ms=NOW)
    log.close()
    dump_log = subprocess.Popen([sys.executable, "-m", "odradek.tools.cli", "dump-log", "--print-data-log",
                                 str(tmp_path / "t-0" / f"{0:020d}.log")], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    assert dump_log.stdout.readline().startswith(b"Dumping ")
    dump_log.stdout.close()  # what ``head -1`` does once it has its line
    try:
        err = dump_log.stderr.read()
        code = dump_log.wait(30)
    finally:
        dump_log.kill()
        dump_log.stderr.close()
    assert (code, err) == (141, b"")


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


def test_decoders_print_coordinator_records_as_kafkas_json(tmp_path, capsys):
    """The broker's own record formats, written by its own encoders, decoded back by dump-log."""
    from odradek.server.groups import offsets_records as groups
    from odradek.server.transactions import txn_log_records as txns
    from odradek.server.transactions.txn_metadata import TxnMetadata
    from odradek.server.transactions.txn_state import TxnState

    subscription = b"\x00\x00" + b"\x00\x00\x00\x00" + b"\xff\xff\xff\xff"  # v0, no topics, null user data
    member = groups.MemberMetadata("m-1", None, "cli", "/10.0.0.1", 300, 100, subscription, b"")  # b"": undecodable
    entries = [groups.OffsetCommit("g\x1b", "t", 0, 42, 7, "meta\u00e9", 1_000),
               groups.GroupMetadata("g", "consumer", 3, "range", "m-1", 2_000, [member]),
               groups.Tombstone(groups.OffsetCommitKey("g", "t", 1))]
    pairs = [groups.encode_record(entry) for entry in entries] + [(b"\x00\x12\x00", b""), (None, b"x")]
    offsets_log = write_records(tmp_path / "__consumer_offsets-0", pairs)
    assert main(["dump-log", "--offsets-decoder", str(offsets_log)]) == 0
    lines = [line.split(" headerKeys: [] ")[1] for line in capsys.readouterr().out.splitlines()
             if line.startswith("|")]
    assert lines == [
        'key: {"type":"1","data":{"group":"g\\u001B","topic":"t","partition":0}} payload: {"version":"3","data":'
        '{"offset":42,"leaderEpoch":7,"metadata":"meta\u00e9","commitTimestamp":1000}}',
        'key: {"type":"2","data":{"group":"g"}} payload: {"version":"3","data":{"protocolType":"consumer",'
        '"generation":3,"protocol":"range","leader":"m-1","currentStateTimestamp":2000,"members":[{"memberId":"m-1",'
        '"groupInstanceId":null,"clientId":"cli","clientHost":"/10.0.0.1","rebalanceTimeout":300,'
        '"sessionTimeout":100,"subscription":{"topics":[],"userData":null},"assignment":""}]}}',
        'key: {"type":"1","data":{"group":"g","topic":"t","partition":1}} payload: <DELETE>',
        "key: Unknown record type 18 at offset 3, skipping.",
        "key: Error at offset 4, skipping. The record has no key."]

    txn = TxnMetadata("tx", 9, 1, 60_000, TxnState.ONGOING, frozenset({("t", 1), ("t", 0)}), 5, 6)
    txn_log = write_records(tmp_path / "__transaction_state-0", [
        (txns.encode_key("tx"), txns.encode_value(txn)), (txns.encode_key("tx"), None), (b"\x00\x00", b"")])
    assert main(["dump-log", "--transaction-log-decoder", str(txn_log)]) == 0
    lines = [line.split(" headerKeys: [] ")[1] for line in capsys.readouterr().out.splitlines()
             if line.startswith("|")]
    assert lines == [
        'key: {"type":"0","data":{"transactionalId":"tx"}} payload: {"version":"0","data":{"producerId":9,'
        '"producerEpoch":1,"transactionTimeoutMs":60000,"transactionStatus":1,"transactionPartitions":'
        '[{"topic":"t","partitionIds":[0,1]}],"transactionLastUpdateTimestampMs":6,"transactionStartTimestampMs":5}}',
        'key: {"type":"0","data":{"transactionalId":"tx"}} payload: <DELETE>',
        "key: Error at offset 2, skipping. transactional_id: truncated int16"]


def write_records(directory, pairs):
    config = LogConfig.from_props({}, {})
    log = PartitionLog.open(directory, directory.name.rsplit("-", 1)[0], 0, config, now_ms=NOW)
    log.append(build_batch([Record(i, 0, key, value) for i, (key, value) in enumerate(pairs)], base_timestamp=NOW),
               now_ms=NOW)
    log.close()
    return directory / f"{0:020d}.log"


def test_snapshots_and_the_command_line(tmp_path, capsys):
    base = make_log(tmp_path)
    snapshot = base.with_name(f"{5:020d}.snapshot")
    assert main(["dump-log", str(snapshot), str(base.with_suffix(".txnindex"))]) == 1  # no txnindex: no abort
    out = capsys.readouterr().out
    assert "producerId: 4 producerEpoch: 1 coordinatorEpoch: 3 currentTxnFirstOffset: -1" in out
    assert main(["dump-log", str(base.with_suffix(".log"))]) == 0
