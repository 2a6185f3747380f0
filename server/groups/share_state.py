"""What the group coordinator asks of the share-partition state store (Kafka's ``Persister``).

A share group only consumes partitions whose state (start offset, in-flight records) the share
coordinator holds in ``__share_group_state``. The group coordinator asks it to *initialize*
that state when members first subscribe to a topic (at the group's epoch, with start offset -1:
the first fetch decides, by ``share.auto.offset.reset``), and to *delete* it when the group is
deleted. Both answer NONE, or the first partition's error. ``server/broker.py`` passes the share
coordinator in; ``UnkeptShareState`` stands in where none is wired, and keeps nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Protocol

from odradek.wire import ErrorCode

Partitions = Mapping[uuid.UUID, frozenset[int]]  # topic id -> partitions

UNKNOWN_START_OFFSET = -1  # the share coordinator picks the start offset at the first fetch


class ShareStatePersister(Protocol):
    async def initialize(self, group_id: str, state_epoch: int, partitions: Partitions) -> ErrorCode:
        """Create the state of ``partitions`` for the group (a no-op for those that have one)."""

    async def delete(self, group_id: str, partitions: Partitions) -> ErrorCode:
        """Drop the state of ``partitions`` for the group (a no-op for those that have none)."""


class UnkeptShareState:
    """Answers every request NONE: for a broker, or a test, without a share coordinator."""

    async def initialize(self, group_id: str, state_epoch: int, partitions: Partitions) -> ErrorCode:
        return ErrorCode.NONE

    async def delete(self, group_id: str, partitions: Partitions) -> ErrorCode:
        return ErrorCode.NONE
