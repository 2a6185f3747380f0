"""Moving a partition's replicas to other brokers (KIP-455), without losing availability.

With ORS the original replicas and TRS the target ones, the controller:

1. writes the assignment as RS = TRS + (ORS - TRS), with ``adding_replicas`` AR = TRS - ORS and
   ``removing_replicas`` RR = ORS - TRS, in the topic's znode (so a new controller can resume),
   and tells every replica in RS its role: the new ones start following and catching up;
2. waits until every target replica is in the ISR (the leader adds them with AlterPartition as
   they catch up);
3. elects a leader among the targets if the current one is leaving, drops RR from the ISR, writes
   the final assignment (TRS, nothing adding or removing), and tells RR to stop and delete.

A new reassignment of a partition being moved replaces the one under way: replicas the old one
was adding that the new one does not want are stopped and deleted at once. Cancelling (a target
of None) makes the original replicas the target again.

Requests come from AlterPartitionReassignments, and from tools of the ZooKeeper era, which write
``/admin/reassign_partitions``: as Kafka's controller did, this one acts when that znode is
created, removes each partition from it once its move completes (or is refused, or replaced by
an AlterPartitionReassignments), and deletes the znode when none is left.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from odradek.wire import ErrorCode

from .. import partition_admin as admin
from ..cluster import zk_data
from ..cluster.zk_data import TopicAssignment
from ..partition_admin import Reassignment, Result
from . import partition_changes as changes
from .context import TopicPartition

if TYPE_CHECKING:
    from .controller import Controller

log = logging.getLogger("odradek.controller")


class Reassignments:
    def __init__(self, controller: "Controller"):
        self.controller = controller
        self._from_znode: set[TopicPartition] = set()  # requested in /admin/reassign_partitions, under way
        self._znode_czxid: int | None = None  # the creation of that znode last acted on

    # --- requests ------------------------------------------------------------------------------

    async def start(self, targets: dict[TopicPartition, Sequence[int] | None],
                    allow_replication_factor_change: bool = True) -> dict[TopicPartition, Result]:
        """Begin (or cancel, for None) reassignments; (error, message) per partition."""
        results = await self._start(targets, allow_replication_factor_change)
        replaced = self._from_znode & {tp for tp, result in results.items() if result == admin.OK}
        if replaced:  # the latest request wins over the one in ZooKeeper
            self._from_znode -= replaced
            await self.sync_znode()
        return results

    async def _start(self, targets: dict[TopicPartition, Sequence[int] | None],
                     allow_replication_factor_change: bool) -> dict[TopicPartition, Result]:
        context = self.controller.context
        results: dict[TopicPartition, Result] = {}
        for tp, target in targets.items():
            topic, index = tp
            assignment = context.assignments.get(topic)
            if assignment is None or topic in context.deleting:
                results[tp] = admin.reassignment_unknown_topic(topic)
                continue
            if index not in assignment.partitions or tp not in context.states:
                results[tp] = admin.reassignment_unknown_partition(topic, index)
                continue
            original = _original(assignment, index)
            if target is None:
                if tp not in context.reassigning:
                    results[tp] = admin.NO_REASSIGNMENT
                    continue
                if not set(original) & set(context.states[tp].isr):
                    results[tp] = (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                                   f"Unable to revert partition assignment for {topic}:{index} because it would "
                                   f"require an unclean leader election.")
                    continue
                target = original
            else:
                target = tuple(target)
                # a broker that is down may stay a replica; a new one must be alive (Kafka's check)
                refused = admin.check_target(index, target, context.live_ids() | set(original),
                                             context.eligible_leaders(), len(original),
                                             allow_replication_factor_change)
                if refused is not None:
                    results[tp] = refused
                    continue
            await self._begin(tp, target)
            results[tp] = admin.OK
        await self.maybe_complete(list(context.reassigning))
        return results

    async def _begin(self, tp: TopicPartition, target: tuple[int, ...]) -> None:
        controller = self.controller
        context = controller.context
        topic, index = tp
        assignment = context.assignments[topic]
        current = tuple(assignment.partitions[index])
        original = _original(assignment, index)
        everything = target + tuple(r for r in original if r not in target)
        adding = tuple(r for r in target if r not in original)
        removing = tuple(r for r in original if r not in target)
        unneeded = [r for r in current if r not in everything]  # added by a reassignment now replaced
        context.reassigning[tp] = target
        await self._write(topic, index, everything, adding, removing)
        log.info("Reassigning %s-%d from %s to %s", topic, index, list(original), list(target))
        batch = controller.batch()
        state = context.states[tp]
        # the leader learns the new replica set with a new leader epoch, and new replicas follow;
        # replicas no longer wanted leave the ISR (and the lead) and are deleted
        await changes.change_states(controller.store, batch, [tp],
                                    changes.reassignment_strategy(controller.store, everything),
                                    "reassignment", bump=True)
        if context.states[tp] is state:  # nothing written (no leader): tell the replicas anyway
            batch.leader_and_isr(everything, tp)
        for replica in unneeded:
            batch.stop_replica(replica, tp, delete=True)
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

    def list(self, partitions: Collection[TopicPartition] | None) -> list[Reassignment]:
        """The reassignments in progress (of ``partitions``, or all)."""
        context = self.controller.context
        found = []
        for tp in sorted(context.reassigning):
            if partitions is not None and tp not in partitions:
                continue
            assignment = context.assignments[tp[0]]
            found.append(Reassignment(tp, tuple(assignment.partitions[tp[1]]), tuple(assignment.adding.get(tp[1], ())),
                                      tuple(assignment.removing.get(tp[1], ()))))
        return found

    # --- progress ------------------------------------------------------------------------------

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
        completed = []
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
            completed.append(tp)
            log.info("Reassignment of %s-%d to %s completed", topic, index, list(target))
        if self._from_znode & set(completed):
            self._from_znode -= set(completed)
            await self.sync_znode()

    def forget(self, tp: TopicPartition) -> None:
        """The partition's topic is being deleted: its reassignment ends with it."""
        self.controller.context.reassigning.pop(tp, None)
        self._from_znode.discard(tp)

    # --- /admin/reassign_partitions ------------------------------------------------------------

    async def on_znode(self) -> None:
        """The znode's watch fired (or a tenure began): act on a newly created one only; the
        changes this controller makes to it as partitions complete are not new requests."""
        zk = self.controller.zk
        found = await zk.get(zk_data.REASSIGN_PARTITIONS, watch=self.controller._watch(self.on_znode))
        stat = await zk.stat(zk_data.REASSIGN_PARTITIONS) if found is not None else None
        if found is None or stat is None:
            self._znode_czxid = None
            return
        if stat.czxid == self._znode_czxid:
            return
        self._znode_czxid = stat.czxid
        try:
            targets = zk_data.decode_reassignment(found[0])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("Ignoring %s: it does not hold a reassignment (%s)", zk_data.REASSIGN_PARTITIONS, exc)
            await zk.delete(zk_data.REASSIGN_PARTITIONS)
            return
        results = await self._start(targets, allow_replication_factor_change=True)
        refused = {tp: result for tp, result in results.items() if result != admin.OK}
        if refused:
            log.warning("Reassignments requested in ZooKeeper refused: %s", refused)
        self._from_znode |= {tp for tp, result in results.items()
                             if result == admin.OK and tp in self.controller.context.reassigning}
        await self.sync_znode()

    async def sync_znode(self) -> None:
        """Leave in the znode exactly the partitions it asked for that are still being moved."""
        controller = self.controller
        zk = controller.zk
        if self._znode_czxid is None:
            return
        context = controller.context
        self._from_znode &= set(context.reassigning)
        if self._from_znode:
            remaining = {tp: context.reassigning[tp] for tp in self._from_znode}
            await zk.set(zk_data.REASSIGN_PARTITIONS, zk_data.encode_reassignment(remaining))
        else:
            await zk.delete(zk_data.REASSIGN_PARTITIONS)
            self._znode_czxid = None


def _original(assignment: TopicAssignment, index: int) -> tuple[int, ...]:
    """The replicas a partition had before the reassignment under way (if any) began."""
    adding = assignment.adding.get(index, ())
    return tuple(r for r in assignment.partitions[index] if r not in adding)
