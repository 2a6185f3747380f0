"""Deleting topics: marked under ``/admin/delete_topics``, finished by the controller.

As in Kafka, a topic marked for deletion first disappears from every broker's metadata (its
partitions are announced with the leader -2), then each replica is told to stop and delete its
log (StopReplica with delete). Only when every replica has answered are the topic's znodes
removed; a replica on a broker that is down is deleted when that broker comes back, and until
then the topic stays marked. With ``delete.topic.enable=false`` marks are removed and ignored.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from odradek.wire import ErrorCode

from ..cluster import zk_data
from .context import TopicPartition

if TYPE_CHECKING:
    from .controller import Controller

log = logging.getLogger("odradek.controller")


class TopicDeletion:
    def __init__(self, controller: "Controller"):
        self.controller = controller
        self._pending: dict[str, set[tuple[int, TopicPartition]]] = {}  # topic -> replicas not yet deleted

    async def on_marks_changed(self) -> None:
        controller = self.controller
        context = controller.context
        marked = await controller.store.read_topics_to_delete(controller._watch(self.on_marks_changed))
        for topic in marked:
            if not controller.config.delete_topic_enable:
                log.warning("Ignoring the deletion of topic %s: delete.topic.enable is false", topic)
                await controller.zk.delete(f"{zk_data.DELETE_TOPICS}/{topic}")
            elif topic not in context.assignments:
                await controller.zk.delete(f"{zk_data.DELETE_TOPICS}/{topic}")  # nothing to delete
            elif topic not in context.deleting:
                await self._start(topic)

    async def _start(self, topic: str) -> None:
        controller = self.controller
        context = controller.context
        context.deleting.add(topic)
        partitions = context.partitions_of(topic)
        for tp in partitions:
            controller.reassignments.forget(tp)
        await controller.reassignments.sync_znode()
        self._pending[topic] = {(r, tp) for tp in partitions for r in context.replicas(tp)}
        log.info("Deleting topic %s (%d replicas)", topic, len(self._pending[topic]))
        batch = controller.batch()
        batch.metadata(partitions)
        self._stop_replicas(batch, topic, context.live_ids())
        controller.send(batch)
        await self._maybe_finish(topic)

    def _stop_replicas(self, batch, topic: str, brokers: set[int]) -> None:
        batch.stop_replica_callback = self._on_stopped
        for broker, tp in sorted(self._pending.get(topic, ())):
            if broker in brokers:
                batch.stop_replica(broker, tp, delete=True)

    def _on_stopped(self, broker: int, response) -> None:
        """A StopReplica answer (in a sender task): queue the bookkeeping as an event."""
        done = [((broker, (e.topic_name, e.partition_index))) for e in response.partition_errors
                if e.error_code == ErrorCode.NONE]
        if response.error_code == ErrorCode.NONE:
            self.controller.queue(lambda: self._replicas_deleted(done))

    async def _replicas_deleted(self, done: list[tuple[int, TopicPartition]]) -> None:
        for topic in {tp[0] for _, tp in done}:
            self._pending.get(topic, set()).difference_update(done)
            await self._maybe_finish(topic)

    async def retry_on(self, brokers: set[int]) -> None:
        """Brokers came back: delete their replicas of topics being deleted."""
        batch = self.controller.batch()
        for topic in list(self._pending):
            self._stop_replicas(batch, topic, brokers)
        self.controller.send(batch)

    async def _maybe_finish(self, topic: str) -> None:
        if self._pending.get(topic):
            return
        controller = self.controller
        self._pending.pop(topic, None)
        await controller.store.delete_topic_znodes(topic)
        controller._forget_topic(topic)
        log.info("Deleted topic %s", topic)
