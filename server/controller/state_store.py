"""The controller's reads and writes of cluster state in ZooKeeper.

Becoming controller is one atomic step, as in Kafka: create the ephemeral ``/controller`` and bump
``/controller_epoch`` (conditionally on the epoch just read) in a single transaction. Every later
write checks that ``/controller_epoch`` still has the version this controller gave it, in the
same transaction: a controller that lost its tenure (a new one bumped the epoch) fails its
writes with ``ControllerMoved`` instead of overwriting newer decisions. Partition states are
also written conditionally on their own version, so a leader's concurrent ISR change is never
lost either.
"""

from __future__ import annotations

import logging

import trio

from ..cluster import zk_data
from ..cluster.zk_client import BadVersionError, NodeExistsError, NoNodeError, ZkClient
from ..cluster.zk_data import BrokerRegistration, PartitionState, TopicAssignment
from .context import ControllerContext, TopicPartition

log = logging.getLogger("odradek.controller")

CONCURRENT_WRITES = 64


class ControllerMoved(Exception):
    """Another broker became controller: this one must stop acting as one."""


class ControllerStore:
    def __init__(self, zk: ZkClient, context: ControllerContext):
        self.zk = zk
        self.context = context

    # --- tenure --------------------------------------------------------------------------------

    async def try_to_become_controller(self) -> bool:
        """Create /controller and bump the epoch atomically; False if another broker holds it."""
        found = await self.zk.get(zk_data.CONTROLLER_EPOCH)
        if found is None:
            try:
                await self.zk.create(zk_data.CONTROLLER_EPOCH, zk_data.encode_controller_epoch(0))
            except NodeExistsError:
                pass
            found = await self.zk.get(zk_data.CONTROLLER_EPOCH)
        data, version = found
        epoch = zk_data.decode_controller_epoch(data) + 1
        mine = self.context.broker_id

        def build(t) -> None:
            t.create(zk_data.CONTROLLER, zk_data.encode_controller(mine), ephemeral=True)
            t.set_data(zk_data.CONTROLLER_EPOCH, zk_data.encode_controller_epoch(epoch), version)

        try:
            await self.zk.transaction(build)
        except (NodeExistsError, BadVersionError):
            return False
        self.context.epoch = epoch
        self.context.epoch_version = version + 1
        return True

    # --- reads ---------------------------------------------------------------------------------

    async def read_brokers(self, watch) -> dict[int, BrokerRegistration]:
        brokers = {}
        for child in await self.zk.children(zk_data.BROKER_IDS, watch=watch):
            path = zk_data.broker_path(int(child))
            found = await self.zk.get(path)
            stat = await self.zk.stat(path)
            if found is not None and stat is not None:
                brokers[int(child)] = zk_data.decode_broker(int(child), found[0], stat.czxid)
        return brokers

    async def read_topic_names(self, watch) -> list[str]:
        return await self.zk.children(zk_data.TOPICS, watch=watch)

    async def read_assignment(self, topic: str, watch=None) -> TopicAssignment | None:
        found = await self.zk.get(zk_data.topic_path(topic), watch=watch)
        return None if found is None else zk_data.decode_topic(found[0])

    async def read_state(self, tp: TopicPartition) -> PartitionState | None:
        found = await self.zk.get(zk_data.partition_state_path(*tp))
        return None if found is None else zk_data.decode_partition_state(*found)

    async def read_states(self, partitions: list[TopicPartition]) -> dict[TopicPartition, PartitionState]:
        found: dict[TopicPartition, PartitionState] = {}
        limit = trio.CapacityLimiter(CONCURRENT_WRITES)

        async def one(tp: TopicPartition) -> None:
            async with limit:
                state = await self.read_state(tp)
            if state is not None:
                found[tp] = state

        async with trio.open_nursery() as nursery:
            for tp in partitions:
                nursery.start_soon(one, tp)
        return found

    async def read_topics_to_delete(self, watch) -> list[str]:
        return await self.zk.children(zk_data.DELETE_TOPICS, watch=watch)

    # --- epoch-checked writes ------------------------------------------------------------------

    async def _checked(self, build) -> None:
        context = self.context

        def with_check(t) -> None:
            t.check(zk_data.CONTROLLER_EPOCH, context.epoch_version)
            build(t)

        try:
            await self.zk.transaction(with_check)
        except BadVersionError:
            # The epoch check or the write's own version failed: find out which.
            stat = await self.zk.stat(zk_data.CONTROLLER_EPOCH)
            if stat is None or stat.version != context.epoch_version:
                raise ControllerMoved(f"the controller epoch moved past {context.epoch}") from None
            raise

    async def create_states(self, states: dict[TopicPartition, PartitionState]) -> dict[TopicPartition, PartitionState]:
        """Create new partitions' state znodes; the states written (versions 0). A partition whose
        state already exists (a previous controller got that far) keeps the stored one."""
        written: dict[TopicPartition, PartitionState] = {}

        async def one(tp: TopicPartition, state: PartitionState) -> None:
            path = zk_data.partition_state_path(*tp)
            await self.zk.ensure_path(path.rsplit("/", 1)[0])
            try:
                await self._checked(lambda t: t.create(path, zk_data.encode_partition_state(state)))
                written[tp] = PartitionState(state.leader, state.leader_epoch, state.isr, state.controller_epoch, 0)
            except NodeExistsError:
                existing = await self.read_state(tp)
                if existing is not None:
                    written[tp] = existing

        await self._concurrently(one, states)
        return written

    async def update_states(self, states: dict[TopicPartition, PartitionState]) -> dict[TopicPartition, PartitionState]:
        """Write new states conditionally on the versions they replace (``state.version`` is the
        version read); the states written, with their new versions. A partition whose znode
        changed meanwhile is left out (the caller reads it again and decides again)."""
        written: dict[TopicPartition, PartitionState] = {}

        async def one(tp: TopicPartition, state: PartitionState) -> None:
            path = zk_data.partition_state_path(*tp)
            try:
                await self._checked(lambda t: t.set_data(path, zk_data.encode_partition_state(state), state.version))
            except (BadVersionError, NoNodeError):
                log.info("State of %s-%d changed while the controller updated it; it will be read again", *tp)
                return
            written[tp] = PartitionState(state.leader, state.leader_epoch, state.isr, state.controller_epoch,
                                         state.version + 1)

        await self._concurrently(one, states)
        return written

    async def write_assignment(self, topic: str, assignment: TopicAssignment, version: int = -1) -> None:
        await self._checked(lambda t: t.set_data(zk_data.topic_path(topic), zk_data.encode_topic(assignment), version))

    async def delete_topic_znodes(self, topic: str) -> None:
        """A deleted topic's znodes: its assignment and states, its config, its deletion mark."""
        await self.zk.delete(zk_data.topic_path(topic), recursive=True)
        await self.zk.delete(zk_data.topic_config_path(topic))
        await self.zk.delete(f"{zk_data.DELETE_TOPICS}/{topic}")

    async def _concurrently(self, one, items: dict) -> None:
        limit = trio.CapacityLimiter(CONCURRENT_WRITES)

        async def limited(key, value) -> None:
            async with limit:
                await one(key, value)

        async with trio.open_nursery() as nursery:
            for key, value in items.items():
                nursery.start_soon(limited, key, value)
