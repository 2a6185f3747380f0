"""Records inside v2 record batches (Kafka's message format "magic 2"), for writing and reading.

Storage only ever looks at batch headers; the records within belong to the protocol.  The
broker writes batches of its own (``__consumer_offsets``, later transaction markers) and tools
read records back, so both directions live here.

Batch layout (big-endian): baseOffset int64, batchLength int32 (bytes after itself),
partitionLeaderEpoch int32, magic int8, crc uint32 (CRC-32C of everything from attributes to
the end), attributes int16 (bits 0-2 compression, 3 LogAppendTime, 4 transactional, 5 control),
lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64, producerId int64,
producerEpoch int16, baseSequence int32, recordsCount int32, then the (possibly compressed)
records.  A record is: length varint, attributes int8 (unused), timestampDelta varlong,
offsetDelta varint, key and value (varint length, -1 for null, then bytes), a varint header
count and per header a key (varint length, UTF-8) and a value (like the record's).  Varints
are zigzag-encoded.

Compressed records are written as Kafka's Java client writes them, so every client can read
our batches: gzip; snappy in xerial's framing (a magic header, then length-prefixed blocks of
32 KiB of input); LZ4 frames with independent blocks (Java decompresses block by block);
zstd frames.  Reading also accepts a single raw snappy block, which librdkafka sends.

Two paths skip the per-record objects, for tools that move records by the million (``odradek
perf``): ``build_uniform_batch`` writes keyless records whose values all have one size from
precomputed record heads, and ``batch_summaries`` reads only the batch headers.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .checksum import crc32c

from .batch_layout import (
    ATTRIBUTES_OFFSET, COMPRESSION_MASK, CONTROL_BIT, CRC_OFFSET, HEADER, HEADER_SIZE, LOG_OVERHEAD, MAGIC,
    TIMESTAMP_TYPE_BIT, TRANSACTIONAL_BIT, BatchHeader, read_header,
)
from .compression import COMPRESSION_TYPES, compress, decompress
from .errors import DecodeError, EncodeError
from .types import INT8, VARINT, VARLONG, read_exactly

_CRC = struct.Struct(">I")
_NO_HEADERS = b"\x00"  # a record's header count, 0: the last byte of every uniform record
_NULL_KEY = VARINT.build(-1)
_uniform_head_cache: dict[int, list[bytes]] = {}  # value size -> record heads by offset delta


@dataclass(frozen=True, slots=True)
class Record:
    """One record; its offset and timestamp are deltas from the batch's base values."""

    offset_delta: int
    timestamp_delta: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RecordBatch:
    """A decoded batch: the header's fields and the decompressed records."""

    base_offset: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records: list[Record]

    @property
    def compression(self) -> str:
        return COMPRESSION_TYPES[self.attributes & COMPRESSION_MASK]

    @property
    def timestamp_type(self) -> int:
        """0 for CreateTime, 1 for LogAppendTime (then every record's time is ``max_timestamp``)."""
        return 1 if self.attributes & TIMESTAMP_TYPE_BIT else 0

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & TRANSACTIONAL_BIT)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & CONTROL_BIT)

    @property
    def next_offset(self) -> int:
        """The offset after this batch's last one (where reading the log continues)."""
        return self.base_offset + self.last_offset_delta + 1


def build_batch(
    records: Sequence[Record],
    *,
    base_timestamp: int,
    base_offset: int = 0,
    compression: str = "none",
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    transactional: bool = False,
    control: bool = False,
    partition_leader_epoch: int = -1,
    timestamp_type: int = 0,
) -> bytes:
    """One complete batch holding ``records`` (at least one), with a valid CRC.

    ``lastOffsetDelta`` is the last record's offset delta and ``maxTimestamp`` the largest
    record timestamp.  Raises ``ValueError`` for an unknown compression or timestamp type and
    ``EncodeError`` for a field that does not fit its wire type.
    """
    if not records:
        raise ValueError("a record batch needs at least one record")
    if compression not in COMPRESSION_TYPES:
        raise ValueError(f"unknown compression {compression!r} (known: {', '.join(COMPRESSION_TYPES)})")
    if timestamp_type not in (0, 1):
        raise ValueError(f"timestamp type must be 0 (CreateTime) or 1 (LogAppendTime), not {timestamp_type!r}")
    stream = io.BytesIO()
    for record in records:
        _write_record(record, stream)
    attributes = (
        COMPRESSION_TYPES.index(compression)
        | (TIMESTAMP_TYPE_BIT if timestamp_type else 0)
        | (TRANSACTIONAL_BIT if transactional else 0)
        | (CONTROL_BIT if control else 0)
    )
    return _seal(compress(compression, stream.getvalue()), attributes, len(records), records[-1].offset_delta,
                 base_timestamp, max(base_timestamp + record.timestamp_delta for record in records),
                 base_offset, partition_leader_epoch, producer_id, producer_epoch, base_sequence)


def build_uniform_batch(
    values: Sequence[bytes],
    *,
    base_timestamp: int,
    base_offset: int = 0,
    compression: str = "none",
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    partition_leader_epoch: int = -1,
) -> bytes:
    """One batch of keyless, headerless records holding ``values`` (at least one), which must all
    have the same size; every record is stamped ``base_timestamp`` (timestamp delta 0).

    The same bytes ``build_batch`` writes for those records, built in bulk: with one value size,
    a record's bytes before its value depend only on its offset delta, so they are computed once
    per size and offset delta (``_uniform_heads``) and the records section is one ``bytes.join``
    of heads and values, without a Python object or a varint encoding per record.
    """
    if not values:
        raise ValueError("a record batch needs at least one record")
    if compression not in COMPRESSION_TYPES:
        raise ValueError(f"unknown compression {compression!r} (known: {', '.join(COMPRESSION_TYPES)})")
    sizes = set(map(len, values))
    if len(sizes) != 1:
        raise ValueError(f"build_uniform_batch needs values of one size, got sizes {sorted(sizes)[:5]}")
    count = len(values)
    parts = [b""] * (2 * count + 1)
    parts[0:2 * count:2] = _uniform_heads(sizes.pop(), count)
    parts[1:2 * count:2] = values
    parts[-1] = _NO_HEADERS
    return _seal(compress(compression, b"".join(parts)), COMPRESSION_TYPES.index(compression), count, count - 1,
                 base_timestamp, base_timestamp, base_offset, partition_leader_epoch, producer_id, producer_epoch,
                 base_sequence)


def _uniform_heads(value_size: int, count: int) -> list[bytes]:
    """For records with a ``value_size``-byte value, null key, no headers and timestamp delta 0:
    the bytes before the value of the records with offset deltas 0 to ``count - 1``, each but the
    first led by the previous record's header count, so heads and values simply alternate.

    Kept per value size and grown on demand: a perf run uses one size and one batch length."""
    heads = _uniform_head_cache.get(value_size, [])
    if len(heads) < count:
        value_length = VARINT.build(value_size)
        grown = list(heads)
        for offset_delta in range(len(heads), count):
            # attributes 0, timestamp delta 0, offset delta, null key, value length
            fields = b"\x00\x00" + VARINT.build(offset_delta) + _NULL_KEY + value_length
            head = VARINT.build(len(fields) + value_size + len(_NO_HEADERS)) + fields
            grown.append(_NO_HEADERS + head if offset_delta else head)
        _uniform_head_cache[value_size] = heads = grown  # replaced whole, never seen half-grown
    return heads[:count]


def _seal(payload: bytes, attributes: int, count: int, last_offset_delta: int, base_timestamp: int,
          max_timestamp: int, base_offset: int, partition_leader_epoch: int, producer_id: int,
          producer_epoch: int, base_sequence: int) -> bytes:
    """The batch header in front of ``payload`` (the records, compressed if they are), with its CRC."""
    try:
        header = HEADER.pack(
            base_offset, HEADER_SIZE - LOG_OVERHEAD + len(payload), partition_leader_epoch, MAGIC, 0,
            attributes, last_offset_delta, base_timestamp, max_timestamp,
            producer_id, producer_epoch, base_sequence, count,
        )
    except struct.error as exc:
        raise EncodeError(f"record batch header field out of range: {exc}") from None
    crc = crc32c(payload, crc32c(header[ATTRIBUTES_OFFSET:]))
    return b"".join((header[:CRC_OFFSET], _CRC.pack(crc), header[ATTRIBUTES_OFFSET:], payload))


def read_batches(data: bytes | bytearray | memoryview) -> Iterator[RecordBatch]:
    """Decode the batches in ``data`` one by one, decompressing their records.

    A partial batch at the end is ignored, as clients do with a Fetch that stops mid-batch.
    Raises ``DecodeError`` for anything else that is not a well-formed v2 batch, including a
    CRC mismatch.
    """
    for position, batch in _whole_batches(data):
        yield _decode_batch(batch, position)


def batch_summaries(data: bytes | bytearray | memoryview) -> Iterator[BatchHeader]:
    """The headers of the batches in ``data``, each CRC-checked (as a consumer's ``check.crcs``
    does) but neither decompressed nor decoded into records.

    A partial batch at the end is ignored, as ``read_batches`` does; a malformed header or a CRC
    mismatch raises ``DecodeError``.
    """
    for position, batch in _whole_batches(data):
        yield _checked_header(batch, position)


def _whole_batches(data: bytes | bytearray | memoryview) -> Iterator[tuple[int, memoryview]]:
    """Each whole batch in ``data`` (as its length field says) with the byte it starts at; a
    partial batch at the end is left out, a length shorter than a header raises ``DecodeError``."""
    view = memoryview(data).cast("B")
    position = 0
    while len(view) - position >= LOG_OVERHEAD:
        (batch_length,) = struct.unpack_from(">i", view, position + 8)
        if batch_length < HEADER_SIZE - LOG_OVERHEAD:
            raise DecodeError(f"record batch at byte {position} has invalid length {batch_length}")
        end = position + LOG_OVERHEAD + batch_length
        if end > len(view):
            return
        yield position, view[position:end]
        position = end


def _checked_header(batch: memoryview, position: int) -> BatchHeader:
    """The header of a whole batch (found at byte ``position``), its magic and CRC checked."""
    header = read_header(batch)
    if header.magic != MAGIC:
        raise DecodeError(f"record batch at byte {position} has magic {header.magic}; only magic 2 is supported")
    if crc32c(batch[ATTRIBUTES_OFFSET:]) != header.crc:
        raise DecodeError(f"record batch at byte {position} is corrupt (CRC mismatch)")
    return header


def _decode_batch(batch: memoryview, position: int) -> RecordBatch:
    (base_offset, _, leader_epoch, magic, crc, attributes, last_offset_delta, base_timestamp,
     max_timestamp, producer_id, producer_epoch, base_sequence, count) = _checked_header(batch, position)
    codec = attributes & COMPRESSION_MASK
    if codec >= len(COMPRESSION_TYPES):
        raise DecodeError(f"record batch at byte {position} uses unknown compression codec {codec}")
    if count < 0:
        raise DecodeError(f"record batch at byte {position} has negative record count {count}")
    body = decompress(codec, batch[HEADER_SIZE:])
    stream = io.BytesIO(body)
    records = []
    for index in range(count):
        try:
            records.append(_read_record(stream))
        except DecodeError as error:
            raise DecodeError(f"record batch at byte {position}, record {index}: {error}") from None
    if stream.tell() != len(body):
        raise DecodeError(f"record batch at byte {position} has {len(body) - stream.tell()} bytes "
                          f"after its {count} records")
    return RecordBatch(base_offset, leader_epoch, magic, crc, attributes, last_offset_delta, base_timestamp,
                       max_timestamp, producer_id, producer_epoch, base_sequence, records)


def _write_record(record: Record, stream: io.BytesIO) -> None:
    body = io.BytesIO()
    body.write(b"\x00")  # record attributes: none are defined
    VARLONG._build(record.timestamp_delta, body, None, "")
    VARINT._build(record.offset_delta, body, None, "")
    _write_varint_bytes(record.key, body)
    _write_varint_bytes(record.value, body)
    VARINT._build(len(record.headers), body, None, "")
    for key, value in record.headers:
        if not isinstance(key, str):
            raise EncodeError(f"record header key {key!r} is not a str")
        _write_varint_bytes(key.encode("utf-8", "surrogateescape"), body)
        _write_varint_bytes(value, body)
    data = body.getvalue()
    VARINT._build(len(data), stream, None, "")
    stream.write(data)


def _write_varint_bytes(data: bytes | None, stream: io.BytesIO) -> None:
    if data is None:
        VARINT._build(-1, stream, None, "")
        return
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise EncodeError(f"{type(data).__name__} is not bytes")
    VARINT._build(len(data), stream, None, "")
    stream.write(data)


def _read_record(stream: io.BytesIO) -> Record:
    length = VARINT._parse(stream, None, "")
    if length < 0:
        raise DecodeError(f"negative record length {length}")
    body = io.BytesIO(read_exactly(stream, length))
    INT8._parse(body, None, "")  # record attributes: none are defined
    timestamp_delta = VARLONG._parse(body, None, "")
    offset_delta = VARINT._parse(body, None, "")
    key = _read_varint_bytes(body)
    value = _read_varint_bytes(body)
    header_count = VARINT._parse(body, None, "")
    if header_count < 0:
        raise DecodeError(f"negative record header count {header_count}")
    headers = []
    for _ in range(header_count):
        header_key = _read_varint_bytes(body)
        if header_key is None:
            raise DecodeError("null record header key")
        headers.append((header_key.decode("utf-8", "surrogateescape"), _read_varint_bytes(body)))
    if body.tell() != length:
        raise DecodeError(f"record of {length} bytes has {length - body.tell()} bytes after its fields")
    return Record(offset_delta, timestamp_delta, key, value, headers)


def _read_varint_bytes(stream: io.BytesIO) -> bytes | None:
    length = VARINT._parse(stream, None, "")
    if length < 0:
        if length == -1:
            return None
        raise DecodeError(f"negative length {length}")
    return read_exactly(stream, length)
