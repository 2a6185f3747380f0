"""Share group membership (ShareGroupHeartbeat) on trio's virtual clock, so deadlines are exact.

The coordinator's records are collected rather than written to a log, and replayed into a fresh
set of groups to check that they alone rebuild the state, as a restart would. The share-state
store is an in-memory one that remembers what it was asked.
"""

from __future__ import annotations

import pytest
import trio
import trio.testing

from odradek.server.groups.classic_group import ClassicGroup
from odradek.server.groups.share_group import ShareGroupState
from odradek.server.groups.share_group_records import ShareTombstone
from odradek.wire import ErrorCode

from share_harness import Harness, Member

SESSION_S = 45


@pytest.fixture
def clock():
    return trio.testing.MockClock(autojump_threshold=0)


async def test_a_first_member_gets_its_partitions_once_their_state_is_initialized(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        topic_id = h.topics.create("t", 3)
        member = Member(h, "m1")
        answer = await member.beat()
        assert (answer["member_epoch"], answer["assignment"]) == (2, {"topic_partitions": []})
        assert answer["heartbeat_interval_ms"] == 5000
        group = h.group()
        assert (group.group_epoch, group.assignment_epoch, group.state) == (2, 2, ShareGroupState.STABLE)
        assert h.state.initialized == {"g": {(topic_id, p) for p in range(3)}}
        assert group.partitions.initialized_partitions() == {topic_id: frozenset(range(3))}

        await trio.sleep(5)  # the heartbeat interval
        await member.beat()
        assert member.epoch == 3 and member.assigned == {topic_id: {0, 1, 2}}
        assert (group.group_epoch, group.assignment_epoch) == (3, 3)
        await member.beat()  # nothing changed: no new epoch, no assignment sent
        assert member.epoch == 3
        nursery.cancel_scope.cancel()


async def test_three_members_share_one_partition(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, assignment_interval_ms=0)
        topic_id = h.topics.create("t", 1)
        members = [Member(h, f"m{i}") for i in range(3)]
        for m in members:
            await m.beat()
        for _ in range(2):
            for m in members:
                await m.beat()
        assert [m.assigned for m in members] == [{topic_id: {0}}] * 3
        assert len({m.epoch for m in members}) == 1
        nursery.cancel_scope.cancel()


async def test_the_target_is_recomputed_at_most_every_assignment_interval(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        topic_id = h.topics.create("t", 2)
        first, second = Member(h, "a"), Member(h, "b")
        await first.beat()
        await trio.sleep(1)
        await first.beat()
        assert first.assigned == {topic_id: {0, 1}}
        await second.beat()  # within the interval: the group epoch moves, the target does not
        group = h.group()
        assert group.group_epoch > group.assignment_epoch and second.assigned == {}
        await trio.sleep(1)
        await second.beat()
        await first.beat()
        assert sorted(map(sorted, (first.assigned[topic_id], second.assigned[topic_id]))) == [[0], [1]]
        assert group.group_epoch == group.assignment_epoch == first.epoch == second.epoch
        nursery.cancel_scope.cancel()


async def test_a_leaving_member_bumps_the_epoch_and_the_others_take_its_partitions(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, assignment_interval_ms=0)
        topic_id = h.topics.create("t", 2)
        a, b = Member(h, "a"), Member(h, "b")
        for m in (a, b, a, b, a, b):
            await m.beat()
        assert a.assigned[topic_id] | b.assigned[topic_id] == {0, 1}
        epoch = h.group().group_epoch
        answer = await b.leave()
        assert (answer["error_code"], answer["member_epoch"], answer["member_id"]) == (ErrorCode.NONE, -1, "b")
        assert h.group().group_epoch == epoch + 1 and set(h.group().members) == {"a"}
        await a.beat()
        assert a.assigned == {topic_id: {0, 1}}
        await a.leave()
        assert h.group().state == ShareGroupState.EMPTY
        nursery.cancel_scope.cancel()


async def test_a_silent_member_is_removed_when_its_session_expires(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, assignment_interval_ms=0)
        h.topics.create("t", 1)
        a, b = Member(h, "a"), Member(h, "b")
        await a.beat()
        await b.beat()
        for _ in range(4):
            await trio.sleep(SESSION_S / 4)
            await a.beat()
        assert set(h.group().members) == {"a"}
        answer = await h.heartbeat("b", b.epoch)
        assert answer["error_code"] == ErrorCode.UNKNOWN_MEMBER_ID
        nursery.cancel_scope.cancel()


async def test_a_member_may_repeat_its_previous_epoch_but_no_other(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 1)
        m = Member(h, "m")
        await m.beat()
        await m.beat()  # epoch 2 -> 3
        assert (await h.heartbeat("m", 2))["error_code"] == ErrorCode.NONE  # the answer moving it on was lost
        for wrong in (1, 4):
            answer = await h.heartbeat("m", wrong)
            assert answer["error_code"] == ErrorCode.FENCED_MEMBER_EPOCH, answer
            assert answer["error_message"].startswith("The share group member has a")
        nursery.cancel_scope.cancel()


async def test_errors_are_kafkas(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, max_size=1, max_share_sessions=1)
        h.topics.create("t", 1)
        h.groups["classic"] = ClassicGroup("classic")

        async def code(member_id, epoch, names=None, group_id="g", rack_id=None):
            answer = await h.heartbeat(member_id, epoch, names, group_id, rack_id)
            return answer["error_code"], answer["error_message"]

        assert await code("m", 1) == (ErrorCode.GROUP_ID_NOT_FOUND, "Share group g not found.")
        assert await code("m", -1) == (ErrorCode.GROUP_ID_NOT_FOUND, "Group g not found.")
        assert await code("m", 0, ["t"], group_id="classic") == (ErrorCode.GROUP_ID_NOT_FOUND,
                                                                  "Group classic is not a share group.")
        assert await code("", 0, ["t"]) == (ErrorCode.INVALID_REQUEST, None)
        assert await code("x" * 37, 0, ["t"]) == (ErrorCode.INVALID_REQUEST, None)
        assert await code("m", 0, ["t"], group_id="") == (ErrorCode.INVALID_REQUEST, "GroupId can't be empty.")
        assert await code("m", 0, ["t"], rack_id="") == (ErrorCode.INVALID_REQUEST, "RackId can't be empty.")
        assert await code("m", 0, []) == (ErrorCode.INVALID_REQUEST, "SubscribedTopicNames must be set in first request.")
        assert await code("m", 0, None) == (ErrorCode.INVALID_REQUEST, "SubscribedTopicNames must be set in first request.")
        assert await code("m", -2) == (ErrorCode.INVALID_REQUEST, "MemberEpoch is invalid.")
        assert (await code("m", 0, ["t"]))[0] == ErrorCode.NONE
        assert await code("other", 0, ["t"]) == (ErrorCode.GROUP_MAX_SIZE_REACHED,
                                                 "The share group has reached its maximum capacity of 1 members.")
        assert await code("other", 1) == (ErrorCode.GROUP_MAX_SIZE_REACHED,
                                          "The share group has reached its maximum capacity of 1 members.")
        assert await code("other", -1) == (ErrorCode.UNKNOWN_MEMBER_ID, "Member other is not a member of group g.")
        nursery.cancel_scope.cancel()


async def test_a_change_that_cannot_be_written_does_not_happen(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 1)
        h.log.refuse = ErrorCode.NOT_COORDINATOR
        answer = await h.heartbeat("m", 0, ["t"])
        assert (answer["error_code"], answer["member_id"]) == (ErrorCode.NOT_COORDINATOR, None)
        assert "g" not in h.groups and h.state.initialized == {}
        h.log.refuse = ErrorCode.NONE
        m = Member(h, "m")
        await m.beat()
        h.log.refuse = ErrorCode.NOT_COORDINATOR
        assert (await m.leave())["error_code"] == ErrorCode.NOT_COORDINATOR
        assert set(h.group().members) == {"m"}  # still a member, with its session
        h.log.refuse = ErrorCode.NONE
        await trio.sleep(SESSION_S + 1)
        assert h.group().members == {}
        nursery.cancel_scope.cancel()


async def test_a_change_the_replicas_did_not_get_is_answered_with_the_coordinator_error(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 1)
        h.log.unreplicated = ErrorCode.COORDINATOR_NOT_AVAILABLE
        answer = await h.heartbeat("m", 0, ["t"])
        assert (answer["error_code"], answer["member_id"]) == (ErrorCode.COORDINATOR_NOT_AVAILABLE, None)
        nursery.cancel_scope.cancel()


async def test_a_changed_subscription_keeps_only_subscribed_topics_and_initializes_new_ones(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, assignment_interval_ms=0)
        t1, t2 = h.topics.create("t", 1), h.topics.create("u", 2)
        m = Member(h, "m")
        await m.beat()
        await m.beat()
        assert m.assigned == {t1: {0}}
        await m.beat(names=["u"])
        assert m.assigned == {}  # u's partitions are not initialized yet: nothing to fetch from
        assert h.state.initialized["g"] == {(t1, 0), (t2, 0), (t2, 1)}
        await m.beat()
        assert m.assigned == {t2: {0, 1}}
        nursery.cancel_scope.cancel()


async def test_new_partitions_of_a_subscribed_topic_are_initialized_then_assigned(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, assignment_interval_ms=0)
        topic_id = h.topics.create("t", 1)
        m = Member(h, "m")
        await m.beat()
        await m.beat()
        epoch = m.epoch
        h.topics.grow("t", 3)
        await m.beat()
        assert m.epoch == epoch + 1 and (topic_id, 2) in h.state.initialized["g"]
        await m.beat()
        assert m.assigned == {topic_id: {0, 1, 2}}
        nursery.cancel_scope.cancel()


async def test_a_deleted_topic_is_forgotten_and_a_new_one_of_its_name_initialized(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, assignment_interval_ms=0)
        old = h.topics.create("t", 1)
        m = Member(h, "m")
        await m.beat()
        await m.beat()
        h.topics.delete("t")
        await m.beat()
        assert m.assigned == {} and old not in h.group().partitions.topics()
        epoch = m.epoch
        await m.beat()
        assert m.epoch == epoch  # nothing left to change: no new epoch at every heartbeat
        new = h.topics.create("t", 2)
        await m.beat()
        await m.beat()
        assert m.assigned == {new: {0, 1}}
        nursery.cancel_scope.cancel()


async def test_a_refused_initialization_is_asked_again_after_the_retry_interval(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, assignment_interval_ms=0)
        topic_id = h.topics.create("t", 1)
        h.state.refuse = ErrorCode.COORDINATOR_NOT_AVAILABLE
        m = Member(h, "m")
        await m.beat()
        assert not h.group().partitions.initializing and not h.group().partitions.initialized
        h.state.refuse = ErrorCode.NONE
        await m.beat()
        await m.beat()
        assert m.assigned == {topic_id: {0}}
        nursery.cancel_scope.cancel()


async def test_the_records_alone_rebuild_the_groups(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, assignment_interval_ms=0)
        h.topics.create("t", 2)
        h.topics.create("u", 1)
        a, b, c = Member(h, "a"), Member(h, "b", names=("t", "u")), Member(h, "c")
        for m in (a, b, c, a, b, c):
            await m.beat()
        await c.leave()
        await b.beat(names=["u"])
        [group] = h.replayed().values()
        live = h.group()
        assert group.members == live.members and group.target == live.target
        assert (group.group_epoch, group.assignment_epoch, group.metadata_hash, group.partitions.initialized) == \
               (live.group_epoch, live.assignment_epoch, live.metadata_hash, live.partitions.initialized)
        nursery.cancel_scope.cancel()


async def test_an_empty_group_is_deleted_with_its_share_partition_state(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        topic_id = h.topics.create("t", 2)
        m = Member(h, "m")
        await m.beat()
        assert await h.coordinator.delete("g") == ErrorCode.NON_EMPTY_GROUP
        assert await h.coordinator.delete("nothing") is None
        await m.leave()
        assert await h.coordinator.delete("g") == ErrorCode.NONE
        assert "g" not in h.groups
        assert h.state.deleted == [("g", {topic_id: {0, 1}})]
        assert isinstance(h.log.entries[-1], ShareTombstone)
        assert h.replayed() == {}
        nursery.cancel_scope.cancel()
