"""What the share coordinator keeps of each share partition, and which record each request
writes (Kafka's ShareCoordinatorShard): updates between snapshots, leader and state epoch fencing,
initialization, deletion, and which records newer snapshots make redundant."""

import uuid

import pytest

from odradek.server.share.share_partition_key import SharePartitionKey
from odradek.server.share.share_state import ShareState, ShareUpdate
from odradek.server.share.share_state_records import decode, snapshot_record, tombstone_record, update_record
from odradek.server.share.share_state_shard import ShareStateError, ShareStateShard, StateWrite
from odradek.server.share.state_batches import StateBatch
from odradek.wire import ErrorCode

KEY = SharePartitionKey("group", uuid.UUID(int=7), 0)
OTHER = SharePartitionKey("group", uuid.UUID(int=7), 1)
NOW = 1_700_000_000_000


def write(start, *batches, state_epoch=0, leader_epoch=0):
    return StateWrite(state_epoch, leader_epoch, start, -1, tuple(StateBatch(*b) for b in batches))


def initialized(updates_per_snapshot=2) -> ShareStateShard:
    shard = ShareStateShard(updates_per_snapshot)
    shard.replay(KEY, shard.record_for_initialize(KEY, 0, -1, NOW), 0)
    return shard


def test_a_share_partition_must_be_initialized_first():
    shard = ShareStateShard(500)
    with pytest.raises(ShareStateError) as refused:
        shard.read(KEY, 0, NOW)
    assert (refused.value.code, refused.value.message) == (
        ErrorCode.INVALID_REQUEST, "Read operation on uninitialized share partition not allowed.")
    with pytest.raises(ShareStateError) as refused:
        shard.record_for_write(KEY, write(0), NOW)
    assert refused.value.code == ErrorCode.INVALID_REQUEST


def test_initialization_is_a_snapshot_without_start_offset():
    shard = initialized()
    state, record = shard.read(KEY, 0, NOW)
    assert record is None
    assert (state.snapshot_epoch, state.state_epoch, state.start_offset, state.delivery_complete_count,
            state.batches) == (0, 0, -1, -1, ())


def test_writes_are_updates_then_a_snapshot_every_so_many():
    shard = initialized(updates_per_snapshot=2)
    offset = 1
    kinds = []
    for start, batch in ((0, (0, 4, 2, 1)), (5, (5, 6, 0, 1)), (5, (5, 6, 2, 2)), (7, (7, 9, 4, 1))):
        record = shard.record_for_write(KEY, write(start, batch), NOW)
        kinds.append(type(record).__name__)
        shard.replay(KEY, record, offset)
        offset += 1
    assert kinds == ["ShareUpdate", "ShareUpdate", "ShareState", "ShareUpdate"]
    state, _ = shard.read(KEY, 0, NOW)
    assert state.start_offset == 7
    assert state.batches == (StateBatch(7, 9, 4, 1),)
    assert state.snapshot_epoch == 1


def test_a_reader_at_a_newer_leader_epoch_is_recorded_and_fences_older_ones():
    shard = initialized()
    _state, record = shard.read(KEY, 3, NOW)
    assert isinstance(record, ShareUpdate) and record.leader_epoch == 3
    shard.replay(KEY, record, 1)
    with pytest.raises(ShareStateError) as refused:
        shard.read(KEY, 2, NOW)
    assert refused.value.code == ErrorCode.FENCED_LEADER_EPOCH
    with pytest.raises(ShareStateError) as refused:
        shard.record_for_write(KEY, write(0, leader_epoch=2), NOW)
    assert refused.value.code == ErrorCode.FENCED_LEADER_EPOCH


def test_a_reinitialized_state_fences_writes_of_the_older_state_epoch():
    shard = initialized()
    shard.replay(KEY, shard.record_for_initialize(KEY, 4, 10, NOW), 1)
    with pytest.raises(ShareStateError) as refused:
        shard.record_for_write(KEY, write(10, state_epoch=3), NOW)
    assert refused.value.code == ErrorCode.FENCED_STATE_EPOCH
    assert shard.states[KEY].snapshot_epoch == 1 and shard.states[KEY].delivery_complete_count == 0


def test_records_before_every_share_partition_s_last_snapshot_are_redundant():
    shard = ShareStateShard(0)  # every write a snapshot
    shard.replay(KEY, shard.record_for_initialize(KEY, 0, 0, NOW), 10)
    shard.replay(OTHER, shard.record_for_initialize(OTHER, 0, 0, NOW), 11)
    shard.replay(KEY, shard.record_for_write(KEY, write(1, (0, 0, 2, 1)), NOW), 12)
    assert shard.redundant_offset == 11
    shard.replay(OTHER, None, 13)  # deleted
    assert OTHER not in shard.states
    assert shard.redundant_offset == 12


def test_records_are_kafkas_bytes_both_ways():
    state = ShareState(1, 2, 3, 4, 5, NOW, NOW + 1, (StateBatch(4, 9, 2, 1),))
    update = ShareUpdate(1, 3, -1, 6, (StateBatch(10, 12, 0, 2),))
    assert decode(*snapshot_record(KEY, state)) == (KEY, state)
    assert decode(*update_record(KEY, update)) == (KEY, update)
    assert decode(*tombstone_record(KEY)) == (KEY, None)
