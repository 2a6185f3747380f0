"""Moving a partition's replicas to other brokers (KIP-455), without losing availability.

With ORS the original replicas and TRS the target ones, the controller:

1. writes the assignment as RS = TRS + (ORS - TRS), with ``adding_replicas`` AR = TRS - ORS and
   ``removing_replicas`` RR = ORS - TRS, in the topic's znode (so a new controller can resume),
   and tells every replica in RS its role: the new ones start following and catching up;
2. waits until every target replica is in the ISR (the leader adds them with AlterPartition as
   they catch up);
3. elects a leader among the targets if the current one is leaving, drops RR from the ISR, writes
   the final assignment (TRS, nothing adding or removing), and tells RR to stop and delete.

Cancelling (a target of None) makes the original replicas the target again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from odradek.wire import ErrorCode

from ..cluster.zk_data import TopicAssignment
from . import partition_changes as changes
from .context import TopicPartition

if TYPE_CHECKING:
    from .controller import Controller

log = logging.getLogger("odradek.controller")


class Reassignments:
    def __init__(self, controller: "Controller"):
        self.controller = controller

    async def start(self, targets: dict[TopicPartition, tuple[int, ...] | None]) -> dict[TopicPartition, tuple[int, str | None]]:
        """Begin (or cancel, for None) reassignments; (error, message) per partition."""
        context = self.controller.context
        results: dict[TopicPartition, tuple[int, str | None]] = {}
        for tp, target in targets.items():
            if tp not in context.states or tp[0] in context.deleting:
                results[tp] = (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The partition does not exist.")
                continue
            if target is None:
                if tp not in context.reassigning:
                    results[tp] = (ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
                                   f"No reassignment is in progress for topic {tp[0]} partition {tp[1]}")
                    continue
                assignment = context.assignments[tp[0]]
                original = tuple(r for r in assignment.partitions[tp[1]]
                                 if r not in assignment.adding.get(tp[1], ()))
                target = original
            elif not target or len(set(target)) != len(target):
                results[tp] = (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                               "The replica list is empty or has duplicate brokers.")
                continue
            elif any(r not in context.live for r in target):
                results[tp] = (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                               f"Unknown or offline broker in the target replicas {list(target)}.")
                continue
            await self._begin(tp, tuple(target))
            results[tp] = (ErrorCode.NONE, None)
        await self.maybe_complete(list(context.reassigning))
        return results

    async def _begin(self, tp: TopicPartition, target: tuple[int, ...]) -> None:
        controller = self.controller
        context = controller.context
        topic, index = tp
        assignment = context.assignments[topic]
        current = tuple(assignment.partitions[index])
        original = tuple(r for r in current if r not in assignment.adding.get(index, ()))
        everything = target + tuple(r for r in original if r not in target)
        adding = tuple(r for r in target if r not in original)
        removing = tuple(r for r in original if r not in target)
        context.reassigning[tp] = target
        await self._write(topic, index, everything, adding, removing)
        log.info("Reassigning %s-%d from %s to %s", topic, index, list(original), list(target))
        batch = controller.batch()
        state = context.states[tp]
        # the leader learns the new replica set with a new leader epoch, and new replicas follow
        await changes.change_states(controller.store, batch, [tp],
                                    lambda _tp, s: (s.leader, s.isr) if s.leader != -1 else None, "reassignment",
                                    bump=True)
        if context.states[tp] is state:  # nothing written (no leader): tell the replicas anyway
            batch.leader_and_isr(everything, tp)
        controller.send(batch)

    async def _write(self, topic: str, index: int, replicas, adding, removing) -> None:
        context = self.controller.context
        old = context.assignments[topic]

        def update(mapping, value):
            result = dict(mapping)
            if value:
                result[index] = tuple(value)
            else:
                result.pop(index, None)
            return result

        new = TopicAssignment(old.topic_id, {**old.partitions, index: tuple(replicas)},
                              update(old.adding, adding), update(old.removing, removing))
        await self.controller.store.write_assignment(topic, new)
        context.assignments[topic] = new

    async def resume(self) -> None:
        """Reassignments recorded in topic znodes (by a previous controller) continue."""
        context = self.controller.context
        for topic, assignment in context.assignments.items():
            for index in set(assignment.adding) | set(assignment.removing):
                tp = (topic, index)
                if tp not in context.reassigning:
                    removing = assignment.removing.get(index, ())
                    context.reassigning[tp] = tuple(r for r in assignment.partitions[index] if r not in removing)
        await self.maybe_complete(list(context.reassigning))

    async def maybe_complete(self, partitions: list[TopicPartition]) -> None:
        controller = self.controller
        context = controller.context
        for tp in partitions:
            target = context.reassigning.get(tp)
            state = context.states.get(tp)
            if target is None or state is None or not set(target) <= set(state.isr):
                continue
            topic, index = tp
            original = context.assignments[topic].partitions[index]
            removing = [r for r in original if r not in target]
            batch = controller.batch()
            await changes.change_states(controller.store, batch, [tp],
                                        changes.reassignment_strategy(controller.store, target),
                                        "reassignment completed", bump=True)
            await self._write(topic, index, target, (), ())
            for replica in removing:
                batch.stop_replica(replica, tp, delete=True)
            batch.leader_and_isr(target, tp)
            controller.send(batch)
            del context.reassigning[tp]
            log.info("Reassignment of %s-%d to %s completed", topic, index, list(target))

    def list(self, partitions: list[TopicPartition] | None) -> list[tuple[TopicPartition, tuple, tuple, tuple]]:
        """(partition, replicas, adding, removing) of reassignments in progress."""
        context = self.controller.context
        found = []
        for tp in sorted(context.reassigning):
            if partitions is not None and tp not in partitions:
                continue
            assignment = context.assignments[tp[0]]
            found.append((tp, tuple(assignment.partitions[tp[1]]), tuple(assignment.adding.get(tp[1], ())),
                          tuple(assignment.removing.get(tp[1], ()))))
        return found
