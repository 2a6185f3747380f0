"""Resetting a group's committed offsets as ``kafka-consumer-groups --reset-offsets`` does: plan
the new offsets (its ``--dry-run``), then commit them (its ``--execute``), only while the group has
no members, for the partitions the group has offsets for (its ``--all-topics``).

New offsets are clamped into the partition's log (log start to high watermark), as Kafka's tool
clamps them. They are committed through the group coordinator's ``check_commit`` and
``commit_offsets``, the path OffsetCommit takes for a commit from outside the group (generation
-1): stored in ``__consumer_offsets``, replicated, then published.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from odradek.wire import ErrorCode

from ...groups.group_error import GroupError
from ...groups.offsets_records import OffsetCommit
from .forms import FormError

STRATEGIES = {
    "to-earliest": "to the earliest offset",
    "to-latest": "to the latest offset",
    "to-offset": "to an offset",
    "shift-by": "shift by",
    "to-datetime": "to a time",
}


@dataclass(frozen=True)
class PlannedOffset:
    topic: str
    partition: int
    current: int
    new: int


class OffsetReset:
    def __init__(self, broker):
        self.broker = broker

    def plan(self, group_id: str, strategy: str, value: int | None) -> list[PlannedOffset]:
        """The new offset of each partition the group has an offset for; FormError if one cannot be told."""
        if strategy not in STRATEGIES:
            raise FormError(f"Unknown reset strategy {strategy!r}.")
        if strategy in ("to-offset", "shift-by", "to-datetime") and value is None:
            raise FormError(f"Resetting {STRATEGIES[strategy]} needs a value.")
        planned = []
        for (topic, partition), commit in sorted(self.broker.groups.offsets.of_group(group_id).items()):
            log, code = self.broker.replicas.leader_log(topic, partition)
            if log is None or code != ErrorCode.NONE:
                raise FormError(f"{topic}-{partition} is not led by this broker ({ErrorCode(code).name}); "
                                "reset its offsets with kafka-consumer-groups.")
            start, end = log.log_start_offset, log.high_watermark
            if strategy == "to-earliest":
                new = start
            elif strategy == "to-latest":
                new = end
            elif strategy == "to-offset":
                new = value
            elif strategy == "shift-by":
                new = commit.offset + value
            else:
                found = log.offset_for_timestamp(value)
                new = end if found is None else found[0]
            planned.append(PlannedOffset(topic, partition, commit.offset, min(max(new, start), end)))
        if not planned:
            raise FormError(f"Group {group_id!r} has no committed offsets to reset.")
        return planned

    async def execute(self, group_id: str, planned: list[PlannedOffset]) -> None:
        group = self.broker.groups.groups.get(group_id)
        if group is not None and group.members:
            raise FormError(f"Offsets can only be reset while group {group_id!r} is inactive, but its state is "
                            f"{group.state.value}.")
        groups = self.broker.groups
        try:
            groups.check_commit(group_id, -1, "", None)
        except GroupError as exc:
            raise FormError(f"{exc.code.name}: the group's offsets cannot be reset now.") from None
        now = int(time.time() * 1000)
        commits = [OffsetCommit(group=group_id, topic=p.topic, partition=p.partition, offset=p.new, leader_epoch=-1,
                                metadata="", commit_timestamp_ms=now) for p in planned]
        code = await groups.commit_offsets(group_id, commits)
        if code != ErrorCode.NONE:
            raise FormError(f"{ErrorCode(code).name}: the new offsets could not be stored.")
