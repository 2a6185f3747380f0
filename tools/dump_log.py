"""``odradek dump-log FILE...``: print segment files as Kafka's kafka-dump-log.sh does.

``.log`` files print one line per batch (offsets, producer, sequence, timestamps, codec, size,
CRC check) and with ``--print-data-log`` one line per record.  ``--offsets-decoder``,
``--transaction-log-decoder`` and ``--share-group-state-decoder`` print the records of
``__consumer_offsets``, ``__transaction_state`` and ``__share_group_state`` decoded, as JSON (see
``record_parsers``).  Keys, values and header keys
never reach the terminal raw: what is not printable is escaped (see ``printable``).  ``.index``
and ``.timeindex`` files print their entries, then every entry that does not match the ``.log``
beside them.  ``.txnindex`` and ``.snapshot`` files print their entries.  It reads files only,
so it is safe to run against a live broker's data directory, and it stops quietly when the
reader of its output does (``| head``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from odradek.storage.batch_header import (
    ATTRIBUTES_OFFSET, DELETE_HORIZON_BIT, BatchHeader, batch_size_at, read_header,
)
from odradek.storage.errors import StorageError
from odradek.storage.offset_index import OffsetIndex
from odradek.storage.producer_snapshot import CorruptSnapshotError, decode_snapshot
from odradek.storage.segment import INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX
from odradek.storage.time_index import TimeIndex
from odradek.storage.transaction_index import TransactionIndex
from odradek.storage.transaction_marker import read_marker
from odradek.wire.checksum import crc32c
from odradek.wire.compression import COMPRESSION_TYPES
from odradek.wire.errors import DecodeError
from odradek.wire.records import read_batches

from . import record_parsers
from .closed_pipe import exit_quietly_when_stdout_closes
from .printable import printable_text
from .record_parsers import Parser

HELP = "print the batches, records and index entries of segment files, like kafka-dump-log.sh"
SNAPSHOT_SUFFIX = ".snapshot"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help=".log, .index, .timeindex, .txnindex or .snapshot")
    parser.add_argument("--print-data-log", action="store_true", help="also print each record, key and value")
    decoder = parser.add_mutually_exclusive_group()
    decoder.add_argument("--offsets-decoder", action="store_true",
                         help="decode the records as __consumer_offsets records (implies --print-data-log)")
    decoder.add_argument("--transaction-log-decoder", action="store_true",
                         help="decode the records as __transaction_state records (implies --print-data-log)")
    decoder.add_argument("--share-group-state-decoder", action="store_true",
                         help="decode the records as __share_group_state records (implies --print-data-log)")


def run(args: argparse.Namespace) -> int:
    parser = (record_parsers.offsets if args.offsets_decoder
              else record_parsers.transaction_log if args.transaction_log_decoder
              else record_parsers.share_group_state if args.share_group_state_decoder else record_parsers.plain)
    print_data = args.print_data_log or parser is not record_parsers.plain
    failed = False
    with exit_quietly_when_stdout_closes():
        for name in args.files:
            failed |= not dump(Path(name), sys.stdout, print_data, parser)
    return 1 if failed else 0


def dump(path: Path, out: TextIO, print_data: bool = False, parser: Parser = record_parsers.plain) -> bool:
    """Print one file; False if it cannot be read or is not a segment file.  ``parser`` turns
    each record's key and value into text (see ``record_parsers``)."""
    print(f"Dumping {path}", file=out)
    dumpers = {LOG_SUFFIX: _dump_log, INDEX_SUFFIX: _dump_offset_index, TIME_INDEX_SUFFIX: _dump_time_index,
               TXN_INDEX_SUFFIX: _dump_txn_index, SNAPSHOT_SUFFIX: _dump_snapshot}
    dumper = dumpers.get(path.suffix)
    if dumper is None:
        print(f"Ignoring unknown file {path}", file=out)
        return False
    try:
        dumper(path, out, parser if print_data else None)
    except BrokenPipeError:
        raise  # the reader went away (``| head``): not a problem with the file
    except OSError as exc:
        print(f"Cannot read {path}: {exc}", file=out)
        return False
    return True


# --- .log ------------------------------------------------------------------------------------


def _batches(data: bytes):
    """(position, header, crc valid, bytes) of each batch; stops at the first that does not parse."""
    position = 0
    while position < len(data):
        try:
            size = batch_size_at(data, position, len(data))
        except StorageError as exc:
            yield position, None, str(exc), b""
            return
        header = read_header(data, position)
        raw = data[position : position + size]
        yield position, header, crc32c(raw[ATTRIBUTES_OFFSET:]) == header.crc, raw
        position += size


def _dump_log(path: Path, out: TextIO, parser: Parser | None) -> None:
    """Every batch; with a ``parser`` every record too."""
    data = path.read_bytes()
    print(f"Log starting offset: {int(path.stem)}", file=out)
    for position, header, valid, raw in _batches(data):
        if header is None:
            print(f"Found {len(data) - position} invalid bytes at position {position}: {valid}", file=out)
            return
        print(_batch_line(position, header, valid), file=out)
        if parser is not None:
            _print_records(header, raw, out, parser)


def _batch_line(position: int, h: BatchHeader, valid: bool) -> str:
    last_sequence = -1 if h.base_sequence < 0 else (h.base_sequence + h.last_offset_delta) % (1 << 31)
    time_type = "LogAppendTime" if h.log_append_time else "CreateTime"
    codec = COMPRESSION_TYPES[h.compression] if h.compression < len(COMPRESSION_TYPES) else f"unknown({h.compression})"
    # a compacted batch whose tombstones have a delete horizon keeps it in its base timestamp
    horizon = f"OptionalLong[{h.base_timestamp}]" if h.attributes & DELETE_HORIZON_BIT else "OptionalLong.empty"
    return (f"baseOffset: {h.base_offset} lastOffset: {h.last_offset} count: {h.records_count} "
            f"baseSequence: {h.base_sequence} lastSequence: {last_sequence} producerId: {h.producer_id} "
            f"producerEpoch: {h.producer_epoch} partitionLeaderEpoch: {h.partition_leader_epoch} "
            f"isTransactional: {_bool(h.is_transactional)} isControl: {_bool(h.is_control)} "
            f"deleteHorizonMs: {horizon} position: {position} "
            f"{time_type}: {h.max_timestamp} size: {h.size} magic: {h.magic} compresscodec: {codec} "
            f"crc: {h.crc} isvalid: {_bool(valid)}")


def _print_records(header: BatchHeader, raw: bytes, out: TextIO, parser: Parser) -> None:
    """One line per record: its metadata, then the end-transaction marker of a control batch or
    the key and value (each left out when the parser gives None) of any other."""
    try:
        batch = next(read_batches(raw))
    except (DecodeError, StopIteration) as exc:
        print(f"| cannot decode the records: {exc}", file=out)
        return
    time_type = "LogAppendTime" if header.log_append_time else "CreateTime"
    marker = read_marker(raw) if header.is_control else None
    for index, record in enumerate(batch.records):
        offset = batch.base_offset + record.offset_delta
        timestamp = header.max_timestamp if header.log_append_time else batch.base_timestamp + record.timestamp_delta
        sequence = -1 if header.base_sequence < 0 else (header.base_sequence + index) % (1 << 31)
        header_keys = ",".join(printable_text(key) for key, _ in record.headers)
        line = (f"| offset: {offset} {time_type}: {timestamp} keySize: {_size(record.key)} "
                f"valueSize: {_size(record.value)} sequence: {sequence} headerKeys: [{header_keys}]")
        if header.is_control:
            line += (" endTxnMarker: unknown" if marker is None else
                     f" endTxnMarker: {'COMMIT' if marker.commit else 'ABORT'} "
                     f"coordinatorEpoch: {marker.coordinator_epoch}")
        else:
            key, value = parser(offset, record.key, record.value)
            line += ("" if key is None else f" key: {key}") + ("" if value is None else f" payload: {value}")
        print(line, file=out)


# --- indexes ---------------------------------------------------------------------------------


def _log_beside(path: Path) -> bytes | None:
    log = path.with_suffix(LOG_SUFFIX)
    return log.read_bytes() if log.exists() else None


def _headers_by_position(data: bytes) -> dict[int, BatchHeader]:
    return {position: header for position, header, _, _ in _batches(data) if header is not None}


def _dump_offset_index(path: Path, out: TextIO, parser: Parser | None) -> None:
    base = int(path.stem)
    entries = list(OffsetIndex.ENTRY.iter_unpack(_whole_entries(path, OffsetIndex.ENTRY.size)))
    for relative, position in entries:
        print(f"offset: {base + relative} position: {position}", file=out)
    data = _log_beside(path)
    if data is None:
        print(f"No {LOG_SUFFIX} file beside {path.name}: entries not checked", file=out)
        return
    headers = _headers_by_position(data)
    mismatches = []
    previous = None
    for relative, position in entries:
        header = headers.get(position)
        if header is None:
            mismatches.append(f"  Index offset: {base + relative}, position {position} is not the start of a batch")
        elif header.last_offset != base + relative:
            mismatches.append(f"  Index offset: {base + relative}, log offset: {header.last_offset}")
        if previous is not None and (relative, position) <= previous:
            mismatches.append(f"  Index entry ({base + relative}, {position}) is not after the one before it")
        previous = relative, position
    _report(path, mismatches, out)


def _dump_time_index(path: Path, out: TextIO, parser: Parser | None) -> None:
    base = int(path.stem)
    entries = list(TimeIndex.ENTRY.iter_unpack(_whole_entries(path, TimeIndex.ENTRY.size)))
    for timestamp, relative in entries:
        print(f"timestamp: {timestamp} offset: {base + relative}", file=out)
    data = _log_beside(path)
    if data is None:
        print(f"No {LOG_SUFFIX} file beside {path.name}: entries not checked", file=out)
        return
    ending_at = {header.last_offset: header for header in _headers_by_position(data).values()}
    mismatches = []
    previous = None
    for timestamp, relative in entries:
        header = ending_at.get(base + relative)
        if header is None:
            mismatches.append(f"  Index offset: {base + relative} is not the last offset of a batch")
        elif header.max_timestamp != timestamp:
            mismatches.append(f"  Index timestamp: {timestamp}, log timestamp: {header.max_timestamp} "
                              f"(offset {base + relative})")
        if previous is not None and timestamp <= previous:
            mismatches.append(f"  Index timestamp: {timestamp} is not after the previous one, {previous}")
        previous = timestamp
    _report(path, mismatches, out)


def _report(path: Path, mismatches: list[str], out: TextIO) -> None:
    if mismatches:
        print(f"Mismatches in {path}:", file=out)
        for line in mismatches:
            print(line, file=out)
    else:
        print(f"All entries of {path.name} match the log", file=out)


def _whole_entries(path: Path, entry_size: int) -> bytes:
    data = path.read_bytes()
    return data[: len(data) - len(data) % entry_size]


# --- transaction index and producer snapshots -------------------------------------------------


def _dump_txn_index(path: Path, out: TextIO, parser: Parser | None) -> None:
    for version, producer_id, first, last, stable in TransactionIndex.ENTRY.iter_unpack(
        _whole_entries(path, TransactionIndex.ENTRY.size)
    ):
        print(f"version: {version} producerId: {producer_id} firstOffset: {first} lastOffset: {last} "
              f"lastStableOffset: {stable}", file=out)


def _dump_snapshot(path: Path, out: TextIO, parser: Parser | None) -> None:
    try:
        entries = decode_snapshot(path.read_bytes())
    except CorruptSnapshotError as exc:
        print(f"Corrupt snapshot: {exc}", file=out)
        return
    for entry in entries:
        info = entry.info()
        print(f"producerId: {info.producer_id} producerEpoch: {info.producer_epoch} "
              f"coordinatorEpoch: {info.coordinator_epoch} currentTxnFirstOffset: {info.current_txn_start_offset} "
              f"lastTimestamp: {info.last_timestamp} lastSequence: {info.last_sequence}", file=out)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _size(data: bytes | None) -> int:
    return -1 if data is None else len(data)
