"""End-of-transaction markers: the control batches that commit or abort a producer's transaction.

A marker is a control batch (attributes: transactional + control) holding one record
whose key is int16 version (0) + int16 type (0 abort, 1 commit) and whose value is
int16 version (0) + int32 coordinator epoch; the header carries the producer's id and
epoch and no sequence (-1). Storage writes them for the transaction coordinator and
reads them back only when rebuilding producer state, so they are the one kind of batch
whose records storage builds and opens.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from odradek.wire.errors import DecodeError
from odradek.wire.records import Record, build_batch, read_batches

ABORT = 0
COMMIT = 1
_KEY = struct.Struct(">hh")
_VALUE = struct.Struct(">hi")


class TxnMarker(NamedTuple):
    commit: bool
    coordinator_epoch: int


def marker_batch(producer_id: int, producer_epoch: int, marker: TxnMarker, timestamp: int) -> bytes:
    """The control batch that writes ``marker`` for the producer (base offset 0, to be assigned)."""
    record = Record(
        offset_delta=0,
        timestamp_delta=0,
        key=_KEY.pack(0, COMMIT if marker.commit else ABORT),
        value=_VALUE.pack(0, marker.coordinator_epoch),
    )
    return build_batch(
        [record], base_timestamp=timestamp, control=True, transactional=True,
        producer_id=producer_id, producer_epoch=producer_epoch,
    )


def read_marker(batch: bytes) -> TxnMarker | None:
    """The marker in a control batch, or None if it holds none: no record (Kafka's cleaner leaves
    such batches), another control type, or a malformed key or value."""
    try:
        records = next(read_batches(batch)).records
    except (DecodeError, StopIteration):
        return None
    if not records or records[0].key is None or records[0].value is None:
        return None
    key, value = records[0].key, records[0].value
    if len(key) < _KEY.size or len(value) < _VALUE.size:
        return None
    key_version, marker_type = _KEY.unpack_from(key)
    value_version, coordinator_epoch = _VALUE.unpack_from(value)
    if key_version < 0 or value_version < 0 or marker_type not in (ABORT, COMMIT):
        return None
    return TxnMarker(marker_type == COMMIT, coordinator_epoch)
