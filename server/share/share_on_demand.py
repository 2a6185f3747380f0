"""When this broker builds its share data path (``share_data_path``): at start-up only if it has
share state to load or leadership news to follow, otherwise on first use.

Most brokers never serve a share group, and importing the share coordinator, the share partitions
and what they import made up a twentieth of ``odradek serve``'s start-up. So a single broker
builds the data path as it starts only when ``__share_group_state`` exists (its states are
replayed then, as before); a broker in a cluster builds it at once, since the replica manager's
leadership news must reach it from the start. Otherwise the first request that needs it builds it
(ShareFetch, ShareAcknowledge, the share-state APIs, FindCoordinator for a share partition, or the
group coordinator initializing a share group's state), and its background work starts then.

This module imports none of the data path until it is built; it also stands in for it as the
group coordinator's ``ShareStatePersister``.
"""

from __future__ import annotations

import trio

from . import SHARE_STATE_TOPIC


class ShareOnDemand:
    def __init__(self, broker):
        self._broker = broker
        self._path = None  # the ShareDataPath, once built
        self._nursery: trio.Nursery | None = None  # where its background work runs, once serving

    @property
    def built(self) -> bool:
        return self._path is not None

    @property
    def path(self):
        """The share data path, built (and its background work started, if serving) now if need be."""
        if self._path is None:
            from .share_data_path import ShareDataPath  # imported on first use: see the docstring

            self._path = ShareDataPath(self._broker)
            if self._broker.cluster is None:  # a single broker coordinates every share partition
                self._path.coordinator.adopt({})
            if self._nursery is not None:
                self._nursery.start_soon(self._path.run)
        return self._path

    async def load_kept_state(self) -> None:
        """A single broker's start-up: replay ``__share_group_state`` if it exists (in a worker
        thread: it may read a lot of disk)."""
        if self._broker.logs.get_topic(SHARE_STATE_TOPIC) is None:
            return
        from .share_data_path import ShareDataPath

        self._path = ShareDataPath(self._broker)
        coordinator = self._path.coordinator
        coordinator.adopt(await trio.to_thread.run_sync(coordinator.load))

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """The data path's background work, from now if it is built, else from when it is."""
        async with trio.open_nursery() as nursery:
            if self._path is not None:
                await nursery.start(self._path.run)
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    async def aclose(self) -> None:
        if self._path is not None:
            await self._path.aclose()

    def connection_closed(self, connection_id: str) -> None:
        """A client connection ended: a share session it opened ends with it."""
        if self._path is not None:
            self._path.partitions.connection_closed(connection_id)

    # -- the group coordinator's ShareStatePersister -------------------------------------------

    async def initialize(self, *args, **kwargs):
        return await self.path.group_state.initialize(*args, **kwargs)

    async def delete(self, *args, **kwargs):
        return await self.path.group_state.delete(*args, **kwargs)

    async def summary(self, *args, **kwargs):
        return await self.path.group_state.summary(*args, **kwargs)
