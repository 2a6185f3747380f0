"""A leader's bookkeeping of its followers: the high watermark, and who joins or leaves the ISR."""

from __future__ import annotations

import pytest
import trio

from odradek.storage.log_config import LogConfig
from odradek.storage.partition_log import PartitionLog
from odradek.server.replication.partition import Partition
from odradek.wire.records import Record, build_batch

LAG_MS = 1000


@pytest.fixture
def leader(tmp_path):
    log = PartitionLog.open(tmp_path / "t-0", "t", 0, LogConfig.from_props({}, {}))
    log.replicated = True
    partition = Partition("t", 0, log)
    partition.become_leader(1, leader_epoch=3, partition_epoch=0, replicas=(1, 2, 3), isr=(1, 2, 3), now_ms=0)
    yield partition
    log.close()


def append(partition: Partition, count: int) -> int:
    batch = build_batch([Record(i, 0, None, b"v") for i in range(count)], base_timestamp=1)
    return partition.log.append(batch, leader_epoch=partition.leader_epoch).last_offset + 1


def test_the_high_watermark_is_the_smallest_log_end_in_the_isr(leader):
    end = append(leader, 10)
    assert leader.log.high_watermark == 0
    assert not leader.record_fetch(2, end, now_ms=10)
    assert leader.log.high_watermark == 0  # follower 3 has nothing yet
    assert leader.record_fetch(3, 4, now_ms=10)
    assert leader.log.high_watermark == 4
    assert leader.record_fetch(3, end, now_ms=10)
    assert leader.log.high_watermark == end


def test_batches_are_stamped_with_the_leader_epoch(leader):
    append(leader, 2)
    assert leader.log.end_offset_for_epoch(3) == (3, 2)


def test_a_follower_behind_for_the_lag_time_leaves_and_one_caught_up_joins(leader):
    end = append(leader, 5)
    leader.record_fetch(2, end, now_ms=100)
    leader.record_fetch(3, 0, now_ms=100)
    leader.record_fetch(2, end, now_ms=100 + LAG_MS)  # caught-up followers keep fetching
    assert leader.followers_to_remove(now_ms=100 + LAG_MS + 1, lag_ms=LAG_MS) == [3]
    leader.update_isr((1, 2), partition_epoch=1)
    assert leader.maybe_advance_high_watermark()  # the laggard no longer holds it back
    assert leader.log.high_watermark == end
    assert leader.followers_to_add() == []
    leader.record_fetch(3, end, now_ms=200)
    assert leader.followers_to_add() == [3]


def test_a_proposed_member_counts_for_the_high_watermark_until_the_controller_decides(leader):
    """Kafka's maximal ISR: while an ISR change is pending, the replicas it would remove still
    hold the high watermark back, so nothing is acknowledged on fewer replicas than it may hold."""
    end = append(leader, 5)
    leader.update_isr((1, 2), partition_epoch=1)
    leader.pending_isr = (1, 2, 3)
    leader.record_fetch(2, end, now_ms=10)
    assert leader.log.high_watermark == 0  # 3 is counted, and has fetched nothing
    leader.record_fetch(3, end, now_ms=10)
    assert leader.log.high_watermark == end


async def test_acks_all_waiters_wake_when_the_high_watermark_passes_them(leader):
    end = append(leader, 3)
    woke = []

    async def waiter():
        await leader.wait_for_high_watermark(end)
        woke.append(leader.log.high_watermark)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await trio.testing.wait_all_tasks_blocked()
        leader.record_fetch(2, end, now_ms=1)
        await trio.testing.wait_all_tasks_blocked()
        assert woke == []
        leader.record_fetch(3, end, now_ms=1)
    assert woke == [end]


async def test_losing_leadership_releases_the_waiters(leader):
    end = append(leader, 1)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(leader.wait_for_high_watermark, end)
        await trio.testing.wait_all_tasks_blocked()
        leader.fence()
    assert not leader.is_leader and leader.partition_epoch == -1
