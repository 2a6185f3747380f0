"""Transactional offset commits: pending until their transaction's marker, durable as the producer's
transactional batches in ``__consumer_offsets``, and replayed by marker at start-up."""

from __future__ import annotations

import pytest

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.groups.classic_group import ClassicGroup, ClassicMember, GroupState
from odradek.server.groups.group_error import GroupError
from odradek.server.groups.offsets_records import OffsetCommit
from odradek.server.groups.offsets_topic import OFFSETS_TOPIC, partition_for
from odradek.wire import ErrorCode

PARTITIONS = 3


@pytest.fixture
def open_groups(tmp_path):
    """Opens the group coordinator of a broker on the test's data directory; opening again is a restart."""
    opened = []

    def open_one():
        for broker in opened:
            broker.logs.close()
        config = BrokerConfig.load(data_dir=str(tmp_path), overrides=[f"offsets.topic.num.partitions={PARTITIONS}"])
        broker = Broker(config)
        broker.open_storage()
        broker.groups.adopt(broker.groups.load())
        broker.groups.ensure_topic()
        opened.append(broker)
        return broker

    yield open_one
    for broker in opened:
        broker.logs.close()


def commit(group: str, offset: int, partition: int = 0) -> OffsetCommit:
    return OffsetCommit(group=group, topic="t", partition=partition, offset=offset, leader_epoch=-1, metadata="",
                        commit_timestamp_ms=1_000)


def stable_group(group_id: str) -> ClassicGroup:
    """A group at generation 3 with one member, m-1."""
    group = ClassicGroup(group_id, state=GroupState.STABLE, generation=3, protocol_type="consumer",
                         protocol_name="range")
    group.add(ClassicMember("m-1", None, "c", "/h", 10_000, 30_000, "consumer", [("range", b"")]))
    return group


def end_transaction(broker, group: str, producer_id: int, epoch: int, commit: bool) -> None:
    """What the transaction coordinator does for the group's offsets partition."""
    home = partition_for(group, PARTITIONS)
    broker.logs.partition(OFFSETS_TOPIC, home).append_marker(producer_id, epoch, commit, 0)
    broker.groups.complete_transaction(home, producer_id, commit)


async def test_offsets_are_pending_until_the_commit_marker(open_groups):
    broker = open_groups()
    groups, offsets = broker.groups, broker.groups.offsets
    await groups.commit_offsets("g", [commit("g", 3)])
    await groups.commit_offsets("g", [commit("g", 9), commit("g", 4, partition=1)], producer=(7, 0))
    assert offsets.get("g", "t", 0).offset == 3
    assert offsets.is_pending("g", "t", 0) and offsets.is_pending("g", "t", 1)
    assert not offsets.is_pending("g", "t", 2) and not offsets.is_pending("other", "t", 0)

    offsets.complete_transaction(partition_for("g", PARTITIONS) + 1, 7, True)  # another partition's marker
    assert offsets.is_pending("g", "t", 0)
    end_transaction(broker, "g", 7, 0, commit=True)
    assert (offsets.get("g", "t", 0).offset, offsets.get("g", "t", 1).offset) == (9, 4)
    assert not offsets.is_pending("g", "t", 0)

    # the same producer's next transaction continues its sequence in the partition; this one aborts
    await groups.commit_offsets("g", [commit("g", 12)], producer=(7, 0))
    end_transaction(broker, "g", 7, 0, commit=False)
    assert offsets.get("g", "t", 0).offset == 9 and not offsets.is_pending("g", "t", 0)


async def test_replay_applies_committed_drops_aborted_and_keeps_open_transactions_pending(open_groups):
    broker = open_groups()
    groups = broker.groups
    await groups.commit_offsets("g", [commit("g", 10)], producer=(1, 0))
    await groups.commit_offsets("g", [commit("g", 20, partition=1)], producer=(2, 0))
    await groups.commit_offsets("g", [commit("g", 30, partition=2)], producer=(3, 0))
    end_transaction(broker, "g", 2, 0, commit=False)
    end_transaction(broker, "g", 1, 0, commit=True)
    await groups.commit_offsets("g", [commit("g", 40, partition=1)])  # a plain commit is never held back

    again = open_groups()
    offsets = again.groups.offsets
    assert offsets.get("g", "t", 0).offset == 10
    assert offsets.get("g", "t", 1).offset == 40
    assert offsets.get("g", "t", 2) is None and offsets.is_pending("g", "t", 2)
    end_transaction(again, "g", 3, 0, commit=True)  # the coordinator finishes it after the restart
    assert offsets.get("g", "t", 2).offset == 30


def test_transactional_commits_need_no_member_and_ignore_rebalances(open_groups):
    groups = open_groups().groups
    groups.groups["g"] = stable_group("g")
    groups.check_commit("g", -1, "", None, transactional=True)  # versions before 3 name no member
    with pytest.raises(GroupError) as refused:
        groups.check_commit("g", -1, "", None)
    assert refused.value.code == ErrorCode.UNKNOWN_MEMBER_ID
    with pytest.raises(GroupError) as stale:
        groups.check_commit("g", 2, "m-1", None, transactional=True)
    assert stale.value.code == ErrorCode.ILLEGAL_GENERATION
    groups.groups["g"].state = GroupState.COMPLETING_REBALANCE
    groups.check_commit("g", 3, "m-1", None, transactional=True)
    with pytest.raises(GroupError) as rebalancing:
        groups.check_commit("g", 3, "m-1", None)
    assert rebalancing.value.code == ErrorCode.REBALANCE_IN_PROGRESS


async def test_a_plain_commit_written_while_the_transaction_is_open_wins_over_it(open_groups):
    """Kafka keeps whichever commit is later in __consumer_offsets: the transaction's offset
    replaces only commits written before its own record."""
    broker = open_groups()
    groups, offsets = broker.groups, broker.groups.offsets
    await groups.commit_offsets("g", [commit("g", 1), commit("g", 1, partition=1)])
    await groups.commit_offsets("g", [commit("g", 10), commit("g", 11, partition=1)], producer=(7, 0))
    await groups.commit_offsets("g", [commit("g", 5)])  # after the transaction's record, before its marker
    assert offsets.get("g", "t", 0).offset == 5
    end_transaction(broker, "g", 7, 0, commit=True)
    assert offsets.get("g", "t", 0).offset == 5  # written later: kept
    assert offsets.get("g", "t", 1).offset == 11  # the plain commit there came before the transaction's
    assert not offsets.is_pending("g", "t", 0)


async def test_replay_keeps_a_plain_commit_written_while_the_transaction_was_open(open_groups):
    broker = open_groups()
    groups = broker.groups
    await groups.commit_offsets("g", [commit("g", 1), commit("g", 1, partition=1)])
    await groups.commit_offsets("g", [commit("g", 10), commit("g", 11, partition=1)], producer=(7, 0))
    await groups.commit_offsets("g", [commit("g", 5)])
    end_transaction(broker, "g", 7, 0, commit=True)
    await groups.commit_offsets("g", [commit("g", 20, partition=2)], producer=(8, 0))
    await groups.commit_offsets("g", [commit("g", 6, partition=2)])  # the transaction of producer 8 is open

    again = open_groups()
    offsets = again.groups.offsets
    assert (offsets.get("g", "t", 0).offset, offsets.get("g", "t", 1).offset) == (5, 11)
    assert offsets.get("g", "t", 2).offset == 6 and offsets.is_pending("g", "t", 2)
    end_transaction(again, "g", 8, 0, commit=True)  # finished after the restart: still older than the plain one
    assert offsets.get("g", "t", 2).offset == 6

    # and a commit after the marker replaces the transaction's offset, live and replayed
    await again.groups.commit_offsets("g", [commit("g", 30, partition=1)])
    assert open_groups().groups.offsets.get("g", "t", 1).offset == 30
