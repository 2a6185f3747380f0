"""Coordinators taking partitions of their internal topic over and handing them on, as the replica
manager's leadership news makes them do in a cluster (``on_leadership``); here on one broker's
storage, which serves the partition logs just as a leader's would (leader epoch 0)."""

from __future__ import annotations

import pytest
import trio

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.coordinator_partitions import CoordinatorPartitions
from odradek.server.groups.classic_group import ClassicGroup, ClassicMember, GroupState
from odradek.server.groups.offsets_records import OffsetCommit
from odradek.server.groups.offsets_topic import partition_for
from odradek.server.transactions.txn_state import TxnState
from odradek.storage.partition_log import wall_clock_ms
from odradek.wire import ErrorCode

PARTITIONS = 3


@pytest.fixture
def open_broker(tmp_path):
    """open_broker(owns_all) -> a broker on the test's data directory (opening another is a restart);
    with ``owns_all`` its coordinators take the whole of their topics, as a single broker does."""
    opened = []

    def open_one(owns_all: bool) -> Broker:
        for broker in opened:
            broker.logs.close()
        broker = Broker(BrokerConfig.load(data_dir=str(tmp_path), overrides=[
            f"offsets.topic.num.partitions={PARTITIONS}", f"transaction.state.log.num.partitions={PARTITIONS}"]))
        broker.open_storage()
        if owns_all:
            broker.groups.adopt(broker.groups.load())
            broker.transactions.adopt(broker.transactions.load())
        opened.append(broker)
        return broker

    yield open_one
    for broker in opened:
        broker.logs.close()


def other_group(group: str) -> str:
    """A group id living in another partition than ``group``."""
    return next(g for g in (f"other-{i}" for i in range(100))
                if partition_for(g, PARTITIONS) != partition_for(group, PARTITIONS))


async def until(predicate, what: str) -> None:
    with trio.move_on_after(10):
        while not predicate():
            await trio.sleep(0.01)
        return
    raise AssertionError(f"timed out waiting for {what}")


def test_ownership_follows_leadership():
    partitions = CoordinatorPartitions()
    assert partitions.error(0) == ErrorCode.NOT_COORDINATOR and partitions.epoch(0) is None
    assert partitions.elected(0, 4)  # a load starts
    assert partitions.error(0) == ErrorCode.COORDINATOR_LOAD_IN_PROGRESS and partitions.is_loading()
    assert not partitions.elected(0, 5)  # already loading: it will be owned at the newer epoch
    assert partitions.loaded(0) == 5 and partitions.epoch(0) == 5 and partitions.error(0) == ErrorCode.NONE
    assert not partitions.elected(0, 6) and partitions.epoch(0) == 6  # still leading: only the epoch moves
    assert partitions.resigned(0) and partitions.error(0) == ErrorCode.NOT_COORDINATOR
    assert not partitions.resigned(0)
    assert partitions.elected(1, 0) and partitions.resigned(1) and partitions.loaded(1) is None
    partitions.own_all()
    assert (partitions.error(7), partitions.epoch(7), partitions.owns_all) == (ErrorCode.NONE, 0, True)


async def test_the_groups_of_a_partition_load_when_it_is_led_and_go_when_it_is_not(open_broker):
    first = open_broker(owns_all=True)
    commit = OffsetCommit("g", "t", 0, 42, -1, "meta", wall_clock_ms())
    assert await first.groups.commit_offsets("g", [commit]) == ErrorCode.NONE
    group = ClassicGroup("g", state=GroupState.STABLE, generation=3, protocol_type="consumer", protocol_name="range")
    group.add(ClassicMember("m-1", None, "c", "/h", 10_000, 30_000, "consumer", [("range", b"")]))
    assert await first.groups._store_group(group)() == ErrorCode.NONE

    groups = open_broker(owns_all=False).groups
    home = partition_for("g", PARTITIONS)
    async with trio.open_nursery() as nursery:
        await nursery.start(groups.run)
        assert groups.coordinator_error("g") == ErrorCode.NOT_COORDINATOR
        groups.on_leadership(home, 0, True)
        assert groups.coordinator_error("g") == ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        await until(lambda: groups.coordinator_error("g") == ErrorCode.NONE, "the partition loaded")
        assert groups.offsets.get("g", "t", 0).offset == 42
        assert groups.groups["g"].generation == 3 and "m-1" in groups.groups["g"].members
        assert groups.coordinator_error(other_group("g")) == ErrorCode.NOT_COORDINATOR
        assert await groups.commit_offsets(other_group("g"), [commit]) == ErrorCode.NOT_COORDINATOR

        loaded = groups.groups["g"]
        groups.on_leadership(home, 1, False)
        assert groups.coordinator_error("g") == ErrorCode.NOT_COORDINATOR
        assert "g" not in groups.groups and loaded.state == GroupState.DEAD
        assert groups.offsets.get("g", "t", 0) is None
        nursery.cancel_scope.cancel()


async def test_the_new_coordinator_finishes_a_transaction_whose_outcome_was_decided(open_broker):
    first = open_broker(owns_all=True)
    first.logs.create_topic("t", 2)
    _, pid, epoch = await first.transactions.init_producer_id("app", 60_000)
    assert await first.transactions.add_partitions("app", pid, epoch, [("t", 0), ("t", 1)]) == ErrorCode.NONE
    decided = first.transactions.get("app").preparing(commit=True, now_ms=wall_clock_ms())
    first.transactions.topic.write(decided)  # then its broker died, before any marker

    restarted = open_broker(owns_all=False)
    transactions = restarted.transactions
    home = transactions.topic.partition_for("app")
    async with trio.open_nursery() as nursery:
        await nursery.start(transactions.run)
        assert (await transactions.init_producer_id("app", 60_000))[0] == ErrorCode.NOT_COORDINATOR
        transactions.on_leadership(home, 0, True)
        await until(lambda: (m := transactions.get("app")) is not None and m.state == TxnState.COMPLETE_COMMIT,
                    "the commit finished")
        logs = restarted.logs
        assert all(logs.partition("t", p).last_stable_offset == 1 for p in (0, 1))  # the markers are in
        transactions.on_leadership(home, 1, False)
        assert transactions.get("app") is None
        assert transactions.describe("app") == (ErrorCode.NOT_COORDINATOR, None)
        nursery.cancel_scope.cancel()
