"""A consumer group coordinator (KIP-848) to drive in unit tests, on trio's virtual clock.

``Client`` plays a well-behaved consumer: it takes what a response assigns, gives up what the
response leaves out, and reports what it owns in every heartbeat. The coordinator's log is a
list (``Harness.written``): each batch of records it stored.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from odradek.server.groups.classic_coordinator import ClassicCoordinator
from odradek.server.groups.classic_group_records import group_to_record
from odradek.server.groups.consumer_coordinator import ConsumerCoordinator
from odradek.server.groups.consumer_group import ConsumerGroup
from odradek.server.groups.consumer_group_config import ConsumerGroupConfig
from odradek.server.groups.group_config import GroupConfig
from odradek.server.groups.group_error import GroupError
from odradek.server.groups.scheduler import Scheduler
from odradek.storage.topic_metadata import TopicInfo
from odradek.wire import ErrorCode

SESSION_S = 45
REBALANCE_MS = 60_000


class Topics:
    """Stands in for the metadata (LocalMetadata, MetadataCache)."""

    def __init__(self):
        self.by_name: dict[str, TopicInfo] = {}

    def create(self, name: str, partitions: int) -> uuid.UUID:
        self.by_name[name] = TopicInfo(name, uuid.uuid4(), partitions)
        return self.by_name[name].topic_id

    def grow(self, name: str, partitions: int) -> None:
        old = self.by_name[name]
        self.by_name[name] = TopicInfo(name, old.topic_id, partitions)

    def topics(self):
        return list(self.by_name.values())

    def topic(self, name):
        return self.by_name.get(name)

    def topic_by_id(self, topic_id):
        return next((t for t in self.by_name.values() if t.topic_id == topic_id), None)


class Harness:
    """The coordinator with a log that is a list: ``written`` holds each batch it stored, and a
    test may make the next writes fail with ``refuse``."""

    def __init__(self, nursery, **config):
        self.scheduler = Scheduler()
        nursery.start_soon(self.scheduler.run)
        self.groups: dict = {}
        self.topics = Topics()
        self.written: list[list] = []
        self.refuse: ErrorCode | None = None
        # A new target at every change unless a test sets an interval: the interval is timed on
        # the wall clock (as Kafka's), which trio's virtual clock does not move.
        config.setdefault("assignment_interval_ms", 0)
        self.coordinator = ConsumerCoordinator(self.groups, ConsumerGroupConfig(**config), self.scheduler,
                                               self.topics, self._store)
        # the classic coordinator beside it, for groups that change protocol
        self.classic = ClassicCoordinator(self.groups, GroupConfig(initial_rebalance_delay_ms=1000), self.scheduler,
                                          self._store_classic, consumer=self.coordinator)
        self.coordinator.classic = self.classic

    def _store_classic(self, group):
        return self._store(group.group_id, [group_to_record(group)])

    def _store(self, group_id, records):
        if self.refuse is not None:
            raise GroupError(self.refuse)
        self.written.append(list(records))

        async def replicated():
            return ErrorCode.NONE
        return replicated

    def group(self, group_id="g") -> ConsumerGroup:
        return self.groups[group_id]

    async def heartbeat(self, member_id, epoch, *, version=1, group_id="g", names=None, regex=None, owned=None,
                  instance_id=None, assignor=None, rebalance_ms=-1):
        request = SimpleNamespace(
            group_id=group_id, member_id=member_id, member_epoch=epoch, instance_id=instance_id, rack_id=None,
            rebalance_timeout_ms=rebalance_ms, subscribed_topic_names=names, subscribed_topic_regex=regex,
            server_assignor=assignor,
            topic_partitions=None if owned is None else [
                SimpleNamespace(topic_id=t, partitions=sorted(ps)) for t, ps in owned.items()])
        return await self.coordinator.heartbeat(request, version, "client", "/127.0.0.1")

    async def client(self, member_id, names=("t",), **kwargs) -> "Client":
        return await Client.join(self, member_id, list(names), **kwargs)


class Client:
    def __init__(self, harness, member_id, instance_id=None):
        self.h, self.member_id, self.instance_id = harness, member_id, instance_id
        self.epoch = 0
        self.owned: dict[uuid.UUID, frozenset[int]] = {}

    @classmethod
    async def join(cls, harness, member_id, names, instance_id=None, assignor=None, regex=None) -> "Client":
        client = cls(harness, member_id, instance_id)
        response = await harness.heartbeat(member_id, 0, names=names, regex=regex, owned={}, instance_id=instance_id,
                                           assignor=assignor, rebalance_ms=REBALANCE_MS)
        client._apply(response)
        return client

    async def beat(self, **changes) -> dict:
        response = await self.h.heartbeat(self.member_id, self.epoch, owned=self.owned, instance_id=self.instance_id,
                                          **changes)
        self._apply(response)
        return response

    def _apply(self, response) -> None:
        assert response["error_code"] == ErrorCode.NONE, response
        self.epoch = response["member_epoch"]
        if response["assignment"] is not None:
            self.owned = {tp["topic_id"]: frozenset(tp["partitions"])
                          for tp in response["assignment"]["topic_partitions"]}

    def partitions(self) -> set[tuple[uuid.UUID, int]]:
        return {(t, p) for t, ps in self.owned.items() for p in ps}


async def settle(*clients, rounds=5):
    """Heartbeat every client in turn, a few rounds: enough for any handover to complete."""
    for _ in range(rounds):
        for client in clients:
            await client.beat()
            owned = [c.partitions() for c in clients]
            assert sum(map(len, owned)) == len(set().union(*owned)), "a partition has two owners"
