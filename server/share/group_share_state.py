"""The share coordinator as the group coordinator sees it (the ``share-groups`` part's
``ShareStatePersister``: Kafka's group coordinator calls the same Persister the share partitions
use).

When a share group is first assigned a topic's partitions, their state is *initialized* at the
group's epoch with start offset -1 (the first fetch then starts where
``share.auto.offset.reset`` says), or at the offset an admin sets; when the group (or its offsets
for a topic) is deleted, it is *deleted*. Each answers NONE, or the first partition's error. A
*summary* (start offset, records done past it) describes the group's offsets.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from odradek.wire import ErrorCode

from ..groups.share_state import PartitionSummary
from .share_partition_key import SharePartitionKey
from .share_persister import SharePersister
from .share_state import UNINITIALIZED_START_OFFSET
from .share_state_shard import ShareStateError

Partitions = Mapping[uuid.UUID, frozenset[int]]  # topic id -> partitions


class GroupShareState:
    def __init__(self, persister: SharePersister, shares=None):
        self._persister = persister
        self._shares = shares  # the share partition manager: forgets what it cached of a deleted state

    async def initialize(self, group_id: str, state_epoch: int, partitions: Partitions,
                         start_offset: int = UNINITIALIZED_START_OFFSET) -> ErrorCode:
        async def initialize(key):
            await self._persister.initialize(key, state_epoch, start_offset)
        return await self._each(group_id, partitions, initialize)

    async def delete(self, group_id: str, partitions: Partitions) -> ErrorCode:
        code = await self._each(group_id, partitions, self._persister.delete)
        if self._shares is not None:
            self._shares.forget_group(group_id)
        return code

    async def summary(self, group_id: str, partitions: Partitions) -> dict[tuple[uuid.UUID, int], PartitionSummary]:
        found = {}
        for topic_id, indexes in partitions.items():
            for index in sorted(indexes):
                try:
                    state = await self._persister.summary(SharePartitionKey(group_id, topic_id, index))
                except ShareStateError as exc:
                    found[(topic_id, index)] = PartitionSummary(exc.code)
                else:
                    found[(topic_id, index)] = PartitionSummary(ErrorCode.NONE, state.start_offset, state.leader_epoch,
                                                                state.delivery_complete_count)
        return found

    async def _each(self, group_id: str, partitions: Partitions, action) -> ErrorCode:
        first_error = ErrorCode.NONE
        for topic_id, indexes in partitions.items():
            for index in sorted(indexes):
                try:
                    await action(SharePartitionKey(group_id, topic_id, index))
                except ShareStateError as exc:
                    if first_error == ErrorCode.NONE:
                        first_error = exc.code
        return first_error
