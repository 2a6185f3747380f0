"""The fixed 61-byte header of a v2 record batch: Kafka's layout and its fields by name
(``BatchHeader``, read with one precompiled ``struct`` call), shared by the record codec and by
storage, which reads nothing but this header on its hot paths.

Layout (big-endian): baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8,
crc uint32, attributes int16, lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64,
producerId int64, producerEpoch int16, baseSequence int32, recordsCount int32. ``batchLength``
counts the bytes after itself; the CRC-32C covers everything from ``attributes`` to the batch's
end, so a broker may rewrite ``baseOffset`` (and ``partitionLeaderEpoch``) freely.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

HEADER = struct.Struct(">qiibIhiqqqhii")
HEADER_SIZE = HEADER.size  # 61
LOG_OVERHEAD = 12  # baseOffset + batchLength: the bytes batchLength does not count
MAGIC = 2
MAGIC_OFFSET = 16
CRC_OFFSET = 17
ATTRIBUTES_OFFSET = 21  # the CRC covers [ATTRIBUTES_OFFSET, end)
MAX_TIMESTAMP_OFFSET = 35

# attributes
COMPRESSION_MASK = 0x07  # the codec id, an index into compression.COMPRESSION_TYPES
TIMESTAMP_TYPE_BIT = 0x08  # set: LogAppendTime, clear: CreateTime
TRANSACTIONAL_BIT = 0x10
CONTROL_BIT = 0x20
DELETE_HORIZON_BIT = 0x40  # set by compaction: baseTimestamp then holds the tombstones' delete horizon

NO_TIMESTAMP = -1


class BatchHeader(NamedTuple):
    base_offset: int
    batch_length: int
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
    records_count: int

    @property
    def size(self) -> int:
        """Bytes the whole batch occupies in the log."""
        return self.batch_length + LOG_OVERHEAD

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def compression(self) -> int:
        return self.attributes & COMPRESSION_MASK

    @property
    def log_append_time(self) -> bool:
        return bool(self.attributes & TIMESTAMP_TYPE_BIT)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & TRANSACTIONAL_BIT)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & CONTROL_BIT)


def read_header(buf, position: int = 0) -> BatchHeader:
    """Unpack a header without any checks; ``buf`` must hold HEADER_SIZE bytes at ``position``."""
    return BatchHeader._make(HEADER.unpack_from(buf, position))
