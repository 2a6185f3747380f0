"""Which partitions of its internal topic a coordinator serves, and at which coordinator epoch.

A group lives in one partition of ``__consumer_offsets``, a transactional id in one partition of
``__transaction_state``; its coordinator is the broker that leads that partition (Kafka's
GroupMetadataManager and TransactionStateManager keep the same books). Becoming leader starts a
load: the partition is replayed in a worker thread, and requests for its groups or ids are
answered COORDINATOR_LOAD_IN_PROGRESS meanwhile. Once loaded, the partition is owned at the
leader epoch it was won with, the *coordinator epoch*: the coordinator's writes name it to the
replica manager, so a coordinator that was deposed meanwhile has its writes refused, and
transaction markers carry it. Leading at a newer epoch (the controller bumps it when a follower
leaves the ISR) only moves the epoch on; following, or the replica stopping, drops the partition
and its requests get NOT_COORDINATOR.

A single broker leads every partition: it replays the whole topic at start-up and then owns all
of it, at epoch 0 (``own_all``), including partitions of a topic not created yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import trio

from odradek.wire import ErrorCode

log = logging.getLogger("odradek.server")
Loaded = TypeVar("Loaded")

SINGLE_BROKER_EPOCH = 0


class CoordinatorPartitions:
    def __init__(self) -> None:
        self._all = False
        self._owned: dict[int, int] = {}  # partition -> coordinator epoch
        self._loading: dict[int, int] = {}  # partition -> the epoch it is being loaded for

    def own_all(self) -> None:
        self._all = True

    @property
    def owns_all(self) -> bool:
        """A single broker's coordinator: it may create its topic alone, before its first write."""
        return self._all

    # --- questions -----------------------------------------------------------------------------

    def error(self, partition: int) -> ErrorCode:
        """NONE if this coordinator serves the partition, else the error that says why not."""
        if self._all or partition in self._owned:
            return ErrorCode.NONE
        if partition in self._loading:
            return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        return ErrorCode.NOT_COORDINATOR

    def epoch(self, partition: int) -> int | None:
        """The coordinator epoch the partition is owned at; None unless owned."""
        if self._all:
            return SINGLE_BROKER_EPOCH
        return self._owned.get(partition)

    def owns(self, partition: int) -> bool:
        return self.epoch(partition) is not None

    def is_loading(self, partition: int | None = None) -> bool:
        """Whether the partition (or, without one, any partition) is being loaded."""
        return bool(self._loading) if partition is None else partition in self._loading

    # --- leadership ----------------------------------------------------------------------------

    def elected(self, partition: int, epoch: int) -> bool:
        """This broker leads the partition at ``epoch``; True if a load must start."""
        if partition in self._owned:
            self._owned[partition] = epoch
            return False
        fresh = partition not in self._loading
        self._loading[partition] = epoch
        return fresh

    def loaded(self, partition: int) -> int | None:
        """The load finished: owned from now on. The epoch, or None if leadership went meanwhile."""
        epoch = self._loading.pop(partition, None)
        if epoch is not None:
            self._owned[partition] = epoch
        return epoch

    def resigned(self, partition: int) -> bool:
        """This broker no longer leads the partition; True if it was owned or loading."""
        owned = self._owned.pop(partition, None) is not None
        return self._loading.pop(partition, None) is not None or owned

    async def load(self, partition: int, replay: Callable[[int], Loaded], what: str) -> tuple[Loaded, int] | None:
        """Replay a partition just won (``replay`` runs in a worker thread) and own it: what was
        replayed and the coordinator epoch, or None if the replay failed (logged; the partition is
        given up, as Kafka does, until the next election) or leadership went elsewhere meanwhile.
        ``what`` names the partition's contents in the log ("the groups of __consumer_offsets")."""
        log.info("Loading %s-%d", what, partition)
        try:
            loaded = await trio.to_thread.run_sync(replay, partition)
        except Exception:
            log.exception("Could not load %s-%d", what, partition)
            if self.is_loading(partition):
                self.resigned(partition)
            return None
        epoch = self.loaded(partition)
        return None if epoch is None else (loaded, epoch)
