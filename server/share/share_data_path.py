"""This broker's part of the share groups' data path, wired together.

The share coordinator keeps share partitions' state in ``__share_group_state`` (``coordinator``,
read and written through ``persister``, locally or at the broker that coordinates it); share
partitions live on their partition's leader (``partitions``), with each group's share settings
from its group configs; the group coordinator initializes and deletes share partitions' state
through ``group_state``. ``share_on_demand`` decides when it is built.
"""

from __future__ import annotations

import trio

from .group_share_state import GroupShareState
from .share_coordinator import ShareCoordinator
from .share_group_view import GroupConfigShareView
from .share_partition_manager import SharePartitionManager
from .share_persister import SharePersister

DEFAULT_MAX_SHARE_SESSIONS = 2000  # group.share.max.share.sessions, Kafka's default


class ShareDataPath:
    def __init__(self, broker):
        self.coordinator = ShareCoordinator(broker)
        self.persister = SharePersister(broker, self.coordinator)
        self.partitions = SharePartitionManager(
            broker, self.persister, GroupConfigShareView(broker.group_configs),
            broker.config.get_int("group.share.max.share.sessions", DEFAULT_MAX_SHARE_SESSIONS))
        self.group_state = GroupShareState(self.persister, self.partitions)

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """The coordinator's and the share partitions' background work (pruning, snapshots of cold
        partitions, expiring acquisition locks)."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self.coordinator.run)
            await nursery.start(self.partitions.run)
            task_status.started()

    async def aclose(self) -> None:
        await self.persister.aclose()
