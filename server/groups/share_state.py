"""What the group coordinator asks of the share-partition state store (Kafka's ``Persister``).

A share group only consumes partitions whose state (start offset, in-flight records) the share
coordinator holds in ``__share_group_state``. The group coordinator asks it to *initialize*
that state when members first subscribe to a topic (at the group's epoch, with start offset -1:
the first fetch decides, by ``share.auto.offset.reset``) or when an admin sets the group's start
offsets (AlterShareGroupOffsets), to *delete* it when the group or its offsets for a topic are
deleted (both answer NONE, or the first partition's error), and for a *summary* of it (start
offset and how many records past it are done) to describe the group's offsets.
``server/broker.py`` passes the share coordinator in; ``UnkeptShareState`` stands in where none is
wired, and keeps nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from odradek.wire import ErrorCode

Partitions = Mapping[uuid.UUID, frozenset[int]]  # topic id -> partitions

UNKNOWN_START_OFFSET = -1  # the share coordinator picks the start offset at the first fetch
UNKNOWN_COUNT = -1  # Kafka's UNINITIALIZED_DELIVERY_COMPLETE_COUNT


@dataclass(frozen=True)
class PartitionSummary:
    """ReadShareGroupStateSummary's answer for one share-partition (uninitialized by default)."""

    error_code: ErrorCode = ErrorCode.NONE
    start_offset: int = UNKNOWN_START_OFFSET
    leader_epoch: int = 0
    delivery_complete_count: int = UNKNOWN_COUNT  # records past the start offset already done


class ShareStatePersister(Protocol):
    async def initialize(self, group_id: str, state_epoch: int, partitions: Partitions,
                         start_offset: int = UNKNOWN_START_OFFSET) -> ErrorCode:
        """Create the state of ``partitions`` for the group, starting at ``start_offset``."""

    async def delete(self, group_id: str, partitions: Partitions) -> ErrorCode:
        """Drop the state of ``partitions`` for the group (a no-op for those that have none)."""

    async def summary(self, group_id: str, partitions: Partitions) -> dict[tuple[uuid.UUID, int], PartitionSummary]:
        """Each partition's summary, by (topic id, partition)."""


class UnkeptShareState:
    """Answers every request NONE: for a broker, or a test, without a share coordinator."""

    async def initialize(self, group_id: str, state_epoch: int, partitions: Partitions,
                         start_offset: int = UNKNOWN_START_OFFSET) -> ErrorCode:
        return ErrorCode.NONE

    async def delete(self, group_id: str, partitions: Partitions) -> ErrorCode:
        return ErrorCode.NONE

    async def summary(self, group_id: str, partitions: Partitions) -> dict[tuple[uuid.UUID, int], PartitionSummary]:
        return {(t, p): PartitionSummary() for t, ps in partitions.items() for p in ps}
