"""The share coordinator on a single broker's storage: states written to __share_group_state and
read back by the next broker, superseded records pruned without losing a state, idle share
partitions snapshotted again."""

from __future__ import annotations

import uuid

import pytest

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.share.share_partition_key import SharePartitionKey
from odradek.server.share.share_state_shard import ShareStateError, StateWrite
from odradek.server.share.share_state_topic import SHARE_STATE_TOPIC
from odradek.server.share.state_batches import StateBatch
from odradek.wire import ErrorCode

TOPIC_ID = uuid.UUID(int=42)


@pytest.fixture
def open_broker(tmp_path):
    opened = []

    def open_one(*overrides: str) -> Broker:
        """A broker on the directory, the one before it closed (a restart)."""
        while opened:
            opened.pop().logs.close()
        broker = Broker(BrokerConfig.load(data_dir=str(tmp_path), overrides=[
            "share.coordinator.state.topic.num.partitions=1", *overrides]))
        broker.open_storage()
        broker.share_coordinator.adopt(broker.share_coordinator.load())
        opened.append(broker)
        return broker

    yield open_one
    for broker in opened:
        broker.logs.close()


def key(partition: int = 0) -> SharePartitionKey:
    return SharePartitionKey("g", TOPIC_ID, partition)


def accept(first: int, last: int, start: int) -> StateWrite:
    return StateWrite(0, 0, start, -1, (StateBatch(first, last, 2, 1),))


async def test_states_survive_a_restart(open_broker):
    coordinator = open_broker().share_coordinator
    await coordinator.initialize_state(key(), 0, -1)
    await coordinator.write_state(key(), accept(0, 4, 0))
    await coordinator.write_state(key(), StateWrite(0, 0, 5, 3, (StateBatch(5, 6, 0, 2),)))
    again = open_broker().share_coordinator
    state = await again.read_state(key(), 0)
    assert (state.start_offset, state.batches) == (5, (StateBatch(5, 6, 0, 2),))
    assert again.read_summary(key()).delivery_complete_count == 3


async def test_a_share_partition_never_initialized_is_refused(open_broker):
    coordinator = open_broker().share_coordinator
    with pytest.raises(ShareStateError) as refused:
        await coordinator.read_state(key(1), 0)
    assert refused.value.code == ErrorCode.INVALID_REQUEST
    assert coordinator.read_summary(key(1)).start_offset == -1
    await coordinator.delete_state(key(1))  # nothing to delete: fine


async def test_pruning_keeps_every_state(open_broker):
    broker = open_broker("share.coordinator.snapshot.update.records.per.snapshot=1")
    coordinator = broker.share_coordinator
    for partition in (0, 1):
        await coordinator.initialize_state(key(partition), 0, 0)
    for start in range(0, 10, 2):  # an update, then a snapshot, alternately
        await coordinator.write_state(key(0), accept(start, start + 1, start))
    await coordinator.write_state(key(1), accept(0, 0, 0))
    await coordinator.write_state(key(1), accept(1, 1, 1))
    log = broker.logs.partition(SHARE_STATE_TOPIC, 0)
    before = log.log_start_offset
    await coordinator.prune()
    assert log.log_start_offset > before
    await coordinator.delete_state(key(1))
    await coordinator.prune()
    again = open_broker().share_coordinator
    state = await again.read_state(key(0), 0)
    assert state.start_offset == 8 and state.batches == (StateBatch(8, 9, 2, 1),)
    with pytest.raises(ShareStateError):
        await again.read_state(key(1), 0)


async def test_idle_share_partitions_are_snapshotted_again(open_broker, autojump_clock):
    broker = open_broker("share.coordinator.cold.partition.snapshot.interval.ms=0")
    coordinator = broker.share_coordinator
    await coordinator.initialize_state(key(0), 0, 0)
    await coordinator.initialize_state(key(1), 0, 0)
    await coordinator.write_state(key(0), accept(0, 0, 0))  # key 0 busy, key 1 idle
    epochs = {k: coordinator._shards[0].states[k].snapshot_epoch for k in (key(0), key(1))}
    await coordinator.snapshot_cold_partitions()
    assert {k: coordinator._shards[0].states[k].snapshot_epoch for k in (key(0), key(1))} == \
        {k: epoch + 1 for k, epoch in epochs.items()}
