"""A share group's offsets for admins (Describe/Alter/DeleteShareGroupOffsets) over the share
group coordinator of ``share_harness``, with partitions' latest offsets made up by the test."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from odradek.server.groups.share_group_offsets import NO_TOPIC_ID, ShareGroupOffsets
from odradek.wire import ErrorCode

from share_harness import Harness, Member


@pytest.fixture
def clock():
    return trio.testing.MockClock(autojump_threshold=0)


class EndOffsets:
    def __init__(self):
        self.latest_offsets: dict[tuple[str, int], int] = {}

    async def latest(self, partitions):
        return {tp: (ErrorCode.NONE, self.latest_offsets[tp]) if tp in self.latest_offsets
                else (ErrorCode.NOT_LEADER_OR_FOLLOWER, -1) for tp in partitions}


def setup(nursery):
    h = Harness(nursery)
    ends = EndOffsets()
    return h, ends, ShareGroupOffsets(h.coordinator, ends)


def offsets(answer) -> dict:
    return {(t["topic_name"], p["partition_index"]): (p["start_offset"], p["lag"], p["error_code"])
            for t in answer["topics"] for p in t["partitions"]}


async def test_altered_offsets_are_described_with_their_lag(clock):
    async with trio.open_nursery() as nursery:
        h, ends, admin = setup(nursery)
        topic_id = h.topics.create("t", 2)
        ends.latest_offsets.update({("t", 0): 10, ("t", 1): 4})
        answer = await admin.alter("g", [("t", [(0, 3), (1, 0), (5, 1)]), ("nosuch", [(0, 1)])])
        assert answer["error_code"] == ErrorCode.NONE
        assert [(t["topic_name"], t["topic_id"], [(p["partition_index"], p["error_code"]) for p in t["partitions"]])
                for t in answer["responses"]] == [
            ("nosuch", NO_TOPIC_ID, [(0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)]),
            ("t", topic_id, [(0, ErrorCode.NONE), (1, ErrorCode.NONE), (5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)])]
        assert h.group().partitions.initialized_partitions() == {topic_id: frozenset({0, 1})}  # a new, empty group
        every = await admin.describe("g", None)
        assert offsets(every) == {("t", 0): (3, 7, 0), ("t", 1): (0, 4, 0)}
        some = await admin.describe("g", [("t", [1]), ("nosuch", [2])])
        assert offsets(some) == {("t", 1): (0, 4, 0), ("nosuch", 2): (-1, -1, 0)}
        nursery.cancel_scope.cancel()


async def test_offsets_are_changed_only_while_the_group_is_empty(clock):
    async with trio.open_nursery() as nursery:
        h, ends, admin = setup(nursery)
        h.topics.create("t", 1)
        m = Member(h, "m")
        await m.beat()
        refused = await admin.alter("g", [("t", [(0, 0)])])
        assert (refused["error_code"], refused["error_message"]) == (ErrorCode.NON_EMPTY_GROUP, "The group is not empty.")
        refused = await admin.delete("g", ["t"])
        assert refused["error_code"] == ErrorCode.NON_EMPTY_GROUP
        assert (await admin.delete("other", ["t"]))["error_message"] == "Group other not found."
        nursery.cancel_scope.cancel()


async def test_deleted_offsets_leave_the_group_without_state_for_the_topic(clock):
    async with trio.open_nursery() as nursery:
        h, ends, admin = setup(nursery)
        topic_id = h.topics.create("t", 2)
        h.topics.create("u", 1)
        await admin.alter("g", [("t", [(0, 1), (1, 1)])])
        answer = await admin.delete("g", ["t", "u", "nosuch"])
        assert [(t["topic_name"], t["error_code"], t["error_message"]) for t in answer["responses"]] == [
            ("t", ErrorCode.NONE, None),
            ("u", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "There is no offset information to delete."),
            ("nosuch", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition.")]
        assert h.state.deleted == [("g", {topic_id: {0, 1}})]
        partitions = h.group().partitions
        assert (partitions.initialized, partitions.deleting) == ({}, {})
        assert (await admin.describe("g", None))["topics"] == []
        nursery.cancel_scope.cancel()


async def test_a_partition_whose_latest_offset_is_unknown_is_answered_with_the_error(clock):
    async with trio.open_nursery() as nursery:
        h, ends, admin = setup(nursery)
        h.topics.create("t", 1)
        await admin.alter("g", [("t", [(0, 0)])])
        [topic] = (await admin.describe("g", None))["topics"]
        [partition] = topic["partitions"]
        assert partition["error_code"] == ErrorCode.NOT_LEADER_OR_FOLLOWER
        assert partition["error_message"].startswith("For requests intended only for the leader")
        nursery.cancel_scope.cancel()
