"""A partition's records for the message browser, read through the log's own read path.

Reading is bounded: at most ``limit`` records (``MAX_LIMIT`` at most), from at most
``MAX_READS`` slices of at most ``READ_BYTES`` each, planned on the event loop by
``PartitionLog.read`` as Fetch plans them, then copied, decompressed and decoded in a worker
thread; only the batches read are decoded. Records are read up to the high watermark (what a consumer may
see), from the partition's leader: in cluster mode a broker that does not lead it says which
broker does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import trio

from odradek.storage.errors import OffsetOutOfRangeError, StorageError
from odradek.wire import ErrorCode
from odradek.wire.errors import DecodeError
from odradek.wire.records import read_batches

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
READ_BYTES = 1 << 20
MAX_READS = 8


class BrowseError(Exception):
    """Why the records cannot be shown: one line for the page."""


@dataclass(frozen=True)
class BrowsedRecord:
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]


@dataclass
class Browsed:
    start: int  # the offset asked for (after a timestamp lookup)
    log_start: int
    high_watermark: int
    records: list[BrowsedRecord] = field(default_factory=list)

    @property
    def next_offset(self) -> int | None:
        if not self.records:
            return None
        following = self.records[-1].offset + 1
        return following if following < self.high_watermark else None


class RecordBrowser:
    def __init__(self, broker):
        self.broker = broker

    def _log(self, topic: str, partition: int):
        log, code, _ = self.broker.replicas.consumer_log(topic, partition, -1, "")
        if log is not None and code == ErrorCode.NONE:
            return log
        if code == ErrorCode.NOT_LEADER_OR_FOLLOWER:
            found = self.broker.metadata.partition(topic, partition)
            leader = found.leader if found is not None else -1
            raise BrowseError(f"Broker {self.broker.config.node_id} does not lead {topic}-{partition}: "
                              f"open the console of broker {leader}, its leader.")
        raise BrowseError(f"{topic}-{partition} cannot be read here: {ErrorCode(code).name}.")

    def offset_for_timestamp(self, topic: str, partition: int, timestamp_ms: int) -> int:
        """The first offset whose record is at or after ``timestamp_ms`` (the high watermark if none)."""
        log = self._log(topic, partition)
        found = log.offset_for_timestamp(timestamp_ms)
        return log.high_watermark if found is None or found[0] >= log.high_watermark else found[0]

    async def read(self, topic: str, partition: int, offset: int | None, limit: int) -> Browsed:
        log = self._log(topic, partition)
        limit = min(max(limit, 1), MAX_LIMIT)
        hw = log.high_watermark
        if offset is None:  # the latest records
            offset = max(log.log_start_offset, hw - limit)
        offset = min(max(offset, log.log_start_offset), hw)
        browsed = Browsed(offset, log.log_start_offset, hw)
        position = offset
        for _ in range(MAX_READS):
            if position >= hw or len(browsed.records) >= limit:
                break
            try:
                log_slice = log.read(position, READ_BYTES, min_one_batch=True, max_offset=hw)
            except OffsetOutOfRangeError:  # retention moved the log start meanwhile
                position = log.log_start_offset
                continue
            except StorageError as exc:
                raise BrowseError(f"{topic}-{partition} cannot be read: {exc}") from None
            if log_slice.size == 0:
                break
            position = await trio.to_thread.run_sync(self._take, log_slice, offset, limit, browsed, position)
        return browsed

    @staticmethod
    def _take(log_slice, offset: int, limit: int, browsed: Browsed, position: int) -> int:
        """Copy the slice and decode its records into ``browsed`` (in a worker thread: decompressing
        a megabyte of batches is no work for the event loop); the offset to read from next."""
        try:
            for batch in read_batches(log_slice.read()):
                position = batch.next_offset
                if batch.is_control:  # transaction markers: not records a consumer sees
                    continue
                for record in batch.records:
                    record_offset = batch.base_offset + record.offset_delta
                    if record_offset < offset or record_offset >= browsed.high_watermark:
                        continue
                    if len(browsed.records) >= limit:
                        return position
                    timestamp = batch.max_timestamp if batch.timestamp_type == 1 else \
                        batch.base_timestamp + record.timestamp_delta
                    browsed.records.append(BrowsedRecord(record_offset, timestamp, record.key, record.value,
                                                         list(record.headers)))
        except DecodeError as exc:
            raise BrowseError(f"A record batch at offset {position} cannot be decoded: {exc}") from None
        return position
