"""Reading a partition for a share fetch: batch offsets from headers, the LSO bound and aborted
transactions for read_committed, and the slice handed out for what was acquired."""

import pytest

from odradek.server.share.acquired_records import AcquiredRecords
from odradek.server.share.share_log_read import read_for_share, records_for
from odradek.storage.log_config import LogConfig
from odradek.storage.partition_log import PartitionLog
from odradek.storage.producer_state_config import ProducerStateConfig
from odradek.wire.records import Record, build_batch, read_batches

NOW = 10_000


@pytest.fixture
def log(tmp_path):
    opened = PartitionLog.open(tmp_path / "topic-0", "topic", 0, LogConfig.from_props({}, {}),
                               ProducerStateConfig(), now_ms=NOW)
    yield opened
    opened.close()


def append(log, count, producer_id=-1, sequence=-1, transactional=False):
    records = [Record(i, 0, None, b"v") for i in range(count)]
    log.append(build_batch(records, base_timestamp=NOW, producer_id=producer_id, producer_epoch=0,
                           base_sequence=sequence, transactional=transactional), now_ms=NOW)


def test_batches_are_read_from_their_headers(log):
    append(log, 3)
    append(log, 2)
    read = read_for_share(log, 1, 1 << 20, read_committed=False)
    assert [(b.base_offset, b.last_offset) for b in read.batches] == [(0, 2), (3, 4)]
    assert read.size == sum(b.size for b in read.batches)
    assert read.aborted == []


def test_the_handed_out_slice_covers_the_batches_of_the_acquired_records(log):
    for _ in range(4):
        append(log, 2)
    read = read_for_share(log, 0, 1 << 20, read_committed=False)
    sliced = records_for(read, [AcquiredRecords(3, 3, 1), AcquiredRecords(4, 5, 1)])
    assert [b.base_offset for b in read_batches(sliced.read())] == [2, 4]
    assert records_for(read, [AcquiredRecords(0, 7, 1)]) is read.log_slice


def test_read_committed_stops_at_the_last_stable_offset_and_finds_aborted_batches(log):
    append(log, 2)                                                  # 0-1
    append(log, 2, producer_id=7, sequence=0, transactional=True)   # 2-3, aborted below
    log.append_marker(7, 0, commit=False, coordinator_epoch=0, now_ms=NOW)  # 4
    append(log, 1, producer_id=8, sequence=0, transactional=True)   # 5, committed below
    log.append_marker(8, 0, commit=True, coordinator_epoch=0, now_ms=NOW)   # 6
    append(log, 1, producer_id=9, sequence=0, transactional=True)   # 7, still open
    read = read_for_share(log, 0, 1 << 20, read_committed=True)
    assert [(b.base_offset, b.last_offset) for b in read.batches] == [(0, 1), (2, 3), (4, 4), (5, 5), (6, 6)]
    assert read.aborted == [(2, 3)]
    uncommitted = read_for_share(log, 0, 1 << 20, read_committed=False)
    assert uncommitted.batches[-1].base_offset == 7 and uncommitted.aborted == []
