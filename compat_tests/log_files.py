"""Read the broker's segment files the way Kafka's own tools would, independently of odradek.

Only the record batch v2 header is decoded (Kafka's on-disk format): enough to prove that a
batch is stored as the client sent it, e.g. with its compression codec.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

# baseOffset, batchLength, partitionLeaderEpoch, magic, crc, attributes, lastOffsetDelta,
# baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence, recordCount
BATCH_HEADER = struct.Struct(">qiibIhiqqqhii")
LOG_OVERHEAD = 12  # baseOffset + batchLength precede the length-counted part
CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


@dataclass(frozen=True)
class StoredBatch:
    base_offset: int
    magic: int
    codec: str
    last_offset_delta: int
    producer_id: int
    base_sequence: int
    record_count: int


def segment_files(data_dir: Path, topic: str, partition: int, suffix: str = ".log") -> list[Path]:
    return sorted((Path(data_dir) / f"{topic}-{partition}").glob(f"*{suffix}"))


def read_batches(log_file: Path) -> list[StoredBatch]:
    data = Path(log_file).read_bytes()
    batches, position = [], 0
    while position + BATCH_HEADER.size <= len(data):
        (base_offset, length, _epoch, magic, _crc, attributes, last_delta,
         _base_ts, _max_ts, producer_id, _producer_epoch, base_sequence, count) = BATCH_HEADER.unpack_from(data, position)
        if length <= 0 or position + LOG_OVERHEAD + length > len(data):
            break  # preallocated or torn tail: not a batch
        batches.append(StoredBatch(base_offset, magic, CODECS.get(attributes & 0x7, "?"), last_delta,
                                   producer_id, base_sequence, count))
        position += LOG_OVERHEAD + length
    return batches


def partition_batches(data_dir: Path, topic: str, partition: int) -> list[StoredBatch]:
    return [batch for log in segment_files(data_dir, topic, partition) for batch in read_batches(log)]
