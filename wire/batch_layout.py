"""The fixed 61-byte header of a v2 record batch: Kafka's layout, shared by the record codec and
by storage, which reads nothing but this header on its hot paths.

Layout (big-endian): baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8,
crc uint32, attributes int16, lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64,
producerId int64, producerEpoch int16, baseSequence int32, recordsCount int32. ``batchLength``
counts the bytes after itself; the CRC-32C covers everything from ``attributes`` to the batch's
end, so a broker may rewrite ``baseOffset`` (and ``partitionLeaderEpoch``) freely.
"""

from __future__ import annotations

import struct

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
