"""A share group coordinator on trio's virtual clock, for unit tests: topics, a log that keeps
the records written (or refuses them), a share-state store that remembers what it was asked,
and members that heartbeat as a well-behaved share consumer does."""

from __future__ import annotations

import uuid
from dataclasses import replace
from types import SimpleNamespace

import trio
import trio.testing

from odradek.server.groups.group_error import GroupError
from odradek.server.groups.scheduler import Scheduler
from odradek.server.groups.share_group import ShareGroup
from odradek.server.groups.share_group_config import ShareGroupConfig
from odradek.server.groups.share_group_coordinator import ShareGroupCoordinator
from odradek.server.groups.share_group_records import replay
from odradek.server.groups.share_state import PartitionSummary
from odradek.storage.topic_metadata import TopicInfo
from odradek.wire import ErrorCode


class Topics:
    def __init__(self):
        self.by_name: dict[str, TopicInfo] = {}

    def create(self, name: str, partitions: int) -> uuid.UUID:
        self.by_name[name] = TopicInfo(name, uuid.uuid4(), partitions)
        return self.by_name[name].topic_id

    def grow(self, name: str, partitions: int) -> None:
        self.by_name[name] = replace(self.by_name[name], num_partitions=partitions)

    def delete(self, name: str) -> None:
        del self.by_name[name]

    def topic(self, name):
        return self.by_name.get(name)

    def topic_by_id(self, topic_id):
        return next((t for t in self.by_name.values() if t.topic_id == topic_id), None)


class Log:
    """Stands in for ``__consumer_offsets``: keeps what is stored, or refuses it (``refuse``), or
    takes it and then answers that the replicas did not get it (``unreplicated``)."""

    def __init__(self):
        self.entries = []
        self.refuse = ErrorCode.NONE
        self.unreplicated = ErrorCode.NONE

    def store(self, group_id, entries):
        if self.refuse != ErrorCode.NONE:
            raise GroupError(self.refuse)
        self.entries.extend(entries)
        outcome = self.unreplicated

        async def replicated():
            return outcome
        return replicated


class State:
    """The share coordinator's side: each group's share-partitions with state, and their start
    offsets and done records (``done``)."""

    def __init__(self):
        self.initialized: dict[str, set] = {}
        self.start_offsets: dict[tuple, int] = {}  # (group, topic id, partition) -> start offset
        self.done: dict[tuple, int] = {}  # (group, topic id, partition) -> records done past the start
        self.deleted: list = []
        self.refuse = ErrorCode.NONE

    async def initialize(self, group_id, state_epoch, partitions, start_offset=-1):
        if self.refuse != ErrorCode.NONE:
            return self.refuse
        for t, ps in partitions.items():
            for p in ps:
                self.initialized.setdefault(group_id, set()).add((t, p))
                self.start_offsets[(group_id, t, p)] = start_offset
                self.done[(group_id, t, p)] = 0 if start_offset >= 0 else -1
        return ErrorCode.NONE

    async def delete(self, group_id, partitions):
        self.deleted.append((group_id, {t: set(ps) for t, ps in partitions.items()}))
        for t, ps in partitions.items():
            for p in ps:
                self.initialized.get(group_id, set()).discard((t, p))
                self.start_offsets.pop((group_id, t, p), None)
        return ErrorCode.NONE

    async def summary(self, group_id, partitions):
        return {(t, p): PartitionSummary(ErrorCode.NONE, self.start_offsets.get((group_id, t, p), -1), 0,
                                         self.done.get((group_id, t, p), -1))
                for t, ps in partitions.items() for p in ps}


class Harness:
    def __init__(self, nursery, **config):
        self.scheduler = Scheduler()
        nursery.start_soon(self.scheduler.run)
        self.groups: dict = {}
        self.topics = Topics()
        self.log = Log()
        self.state = State()
        self.coordinator = ShareGroupCoordinator(
            self.groups, ShareGroupConfig(**config), self.scheduler, self.topics, self.log.store, self.state,
            nursery.start_soon, now_ms=lambda: 1_000_000 + int(trio.current_time() * 1000))

    def group(self, group_id="g") -> ShareGroup:
        return self.groups[group_id]

    async def heartbeat(self, member_id, epoch, names=None, group_id="g", rack_id=None):
        request = SimpleNamespace(group_id=group_id, member_id=member_id, member_epoch=epoch, rack_id=rack_id,
                                  subscribed_topic_names=names)
        answer = await self.coordinator.heartbeat(request, "client", "/127.0.0.1")
        await trio.testing.wait_all_tasks_blocked()  # the share state's initialization, if one started
        return answer

    def replayed(self) -> dict:
        groups: dict = {}
        for entry in self.log.entries:
            replay(groups, entry)
        return groups


class Member:
    """A well-behaved share consumer: it heartbeats with the epoch it was last given."""

    def __init__(self, harness, member_id, names=("t",)):
        self.h, self.member_id, self.names = harness, member_id, list(names)
        self.epoch = 0
        self.assigned: dict[uuid.UUID, set[int]] = {}

    async def beat(self, names=None):
        answer = await self.h.heartbeat(self.member_id, self.epoch,
                                        names=self.names if self.epoch == 0 else names)
        assert answer["error_code"] == ErrorCode.NONE, answer
        self.epoch = answer["member_epoch"]
        if answer["assignment"] is not None:
            self.assigned = {tp["topic_id"]: set(tp["partitions"]) for tp in answer["assignment"]["topic_partitions"]}
        return answer

    async def leave(self):
        return await self.h.heartbeat(self.member_id, -1)
