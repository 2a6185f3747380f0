"""Groups as the console shows them: the groups this broker coordinates (``broker.groups``), with
their members and committed offsets, and each offset's lag (the partition's high watermark minus
the committed offset, as ``kafka-consumer-groups --describe`` and the lag metric compute it)."""

from __future__ import annotations

from dataclasses import dataclass

from odradek.wire import ErrorCode

from ...groups.consumer_group import ConsumerGroup
from ...groups.share_group import ShareGroup
from ...groups.streams_group import StreamsGroup, TaskSets


@dataclass(frozen=True)
class GroupRow:
    group_id: str
    type: str  # classic, consumer or share
    state: str
    members: int
    partitions: int  # with a committed offset
    lag: int | None  # summed over the partitions this broker can tell


@dataclass(frozen=True)
class MemberRow:
    member_id: str
    client_id: str
    client_host: str
    assigned: tuple[str, ...]  # "topic-partition"s, for consumer and share groups


@dataclass(frozen=True)
class OffsetRow:
    topic: str
    partition: int
    committed: int
    log_end: int | None  # the high watermark: where a consumer can read to
    lag: int | None
    metadata: str


def group_type(group) -> str:
    if isinstance(group, ConsumerGroup):
        return "consumer"
    if isinstance(group, ShareGroup):
        return "share"
    if isinstance(group, StreamsGroup):
        return "streams"
    return "classic"


class GroupView:
    def __init__(self, broker):
        self.broker = broker

    def ids(self, search: str = "") -> list[str]:
        search = search.strip().lower()
        groups = self.broker.groups
        return sorted(g for g in {*groups.groups, *groups.offsets.groups()} if search in g.lower())

    def row(self, group_id: str) -> GroupRow:
        group = self.broker.groups.groups.get(group_id)
        offsets = self.offsets(group_id)
        lags = [o.lag for o in offsets if o.lag is not None]
        if group is None:  # offsets committed by a consumer that never joined (assign + commit)
            return GroupRow(group_id, "classic", "Empty", 0, len(offsets), sum(lags) if lags else None)
        return GroupRow(group_id, group_type(group), group.state.value, len(group.members), len(offsets),
                        sum(lags) if lags else None)

    def exists(self, group_id: str) -> bool:
        groups = self.broker.groups
        return group_id in groups.groups or groups.offsets.has_offsets(group_id)

    def members(self, group_id: str) -> list[MemberRow]:
        group = self.broker.groups.groups.get(group_id)
        if group is None:
            return []
        rows = []
        for member in group.members.values():
            assigned = getattr(member, "assigned", None) or {}
            names = []
            if isinstance(assigned, TaskSets):  # a streams group member runs tasks: subtopology_partition
                names = [f"{s}_{p}" for s, parts in sorted(assigned.active.items()) for p in sorted(parts)]
                assigned = {}
            for topic_id, partitions in assigned.items():
                info = self.broker.metadata.topic_by_id(topic_id)
                name = info.name if info is not None else str(topic_id)
                names += [f"{name}-{p}" for p in sorted(partitions)]
            rows.append(MemberRow(member.member_id, member.client_id, member.client_host, tuple(names)))
        return sorted(rows, key=lambda m: m.member_id)

    def offsets(self, group_id: str) -> list[OffsetRow]:
        replicas = self.broker.replicas
        rows = []
        for (topic, partition), commit in sorted(self.broker.groups.offsets.of_group(group_id).items()):
            log, code = replicas.leader_log(topic, partition)
            end = log.high_watermark if log is not None and code == ErrorCode.NONE else None
            rows.append(OffsetRow(topic, partition, commit.offset, end,
                                  None if end is None else end - commit.offset, commit.metadata or ""))
        return rows
