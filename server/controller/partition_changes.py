"""Changes to partition states that the controller decides: new partitions, leader elections,
replicas leaving the ISR. Each writes ZooKeeper first, then records the new state in the context
and adds the brokers to tell to the event's request batch.

Every decision the controller makes bumps the leader epoch, so that followers and clients can
tell an old leader's answers from the new one's (KIP-101); a leader's own ISR change
(AlterPartition) does not, but bumps the partition epoch (the znode version).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from ..cluster.zk_data import NO_LEADER, PartitionState
from . import leader_election
from .context import TopicPartition
from .request_batch import RequestBatch
from .state_store import ControllerStore

log = logging.getLogger("odradek.controller")

#: A strategy: (partition, its current state) -> (leader, isr), or None when none can lead.
Strategy = Callable[[TopicPartition, PartitionState], "leader_election.Election | None"]


async def initialize(store: ControllerStore, batch: RequestBatch, partitions: Iterable[TopicPartition]) -> None:
    """First states of new partitions: the first live replica leads, the live replicas are the
    ISR. A partition none of whose replicas is alive waits for one to register."""
    context = store.context
    live = context.eligible_leaders()
    new: dict[TopicPartition, PartitionState] = {}
    for tp in partitions:
        if tp in context.states:
            continue
        replicas = context.replicas(tp)
        live_replicas = tuple(r for r in replicas if r in live)
        if not live_replicas:
            log.warning("No replica of %s-%d is alive; it stays offline until one registers", *tp)
            continue
        new[tp] = PartitionState(live_replicas[0], 0, live_replicas, context.epoch)
    written = await store.create_states(new)
    for tp, state in written.items():
        context.states[tp] = state
        batch.leader_and_isr(context.replicas(tp), tp, is_new=True)


async def change_states(store: ControllerStore, batch: RequestBatch, partitions: Iterable[TopicPartition],
                        strategy: Strategy, reason: str, bump: bool = False) -> dict[TopicPartition, PartitionState]:
    """Elect with ``strategy`` for each partition that has a state; write the changed ones (leader
    epoch + 1) and return them. Partitions the strategy finds no leader for are left as they are;
    with ``bump``, an unchanged leader and ISR still get a new leader epoch (the replica set
    changed)."""
    context = store.context
    changes: dict[TopicPartition, PartitionState] = {}
    for tp in partitions:
        state = context.states.get(tp)
        if state is None:
            continue
        elected = strategy(tp, state)
        if elected is None:
            continue
        leader, isr = elected
        if not bump and (leader, tuple(isr)) == (state.leader, tuple(state.isr)):
            continue
        changes[tp] = PartitionState(leader, state.leader_epoch + 1, tuple(isr), context.epoch, state.version)
    written = await _write(store, changes)
    for tp, state in written.items():
        log.info("%s-%d: leader %d, leader epoch %d, ISR %s (%s)", *tp, state.leader, state.leader_epoch,
                 list(state.isr), reason)
        batch.leader_and_isr(context.replicas(tp), tp)
    return written


async def _write(store: ControllerStore, changes: dict[TopicPartition, PartitionState]) -> dict:
    """Write conditionally; a partition whose znode moved on is read again and left to the next
    decision (its newest state goes into the context)."""
    context = store.context
    written = await store.update_states(changes)
    for tp, state in written.items():
        context.states[tp] = state
    stale = [tp for tp in changes if tp not in written]
    for tp, state in (await store.read_states(stale)).items():
        context.states[tp] = state
    return written


def offline_strategy(store: ControllerStore, unclean: bool, failed: frozenset[int] = frozenset()) -> Strategy:
    """New leaders for partitions whose leader is gone; ``failed`` brokers count as gone even if
    registered again (bounced: restarted, they may have lost what they had not flushed)."""
    context = store.context

    def elect(tp: TopicPartition, state: PartitionState):
        if state.leader in context.live and state.leader not in context.shutting_down and state.leader not in failed:
            return None
        found = leader_election.offline_partition_leader(context.replicas(tp), state.isr,
                                                         context.eligible_leaders() - failed, unclean)
        if found is None:
            if state.leader != NO_LEADER:
                # No replica can lead: the partition goes offline, its ISR kept, so that the last
                # in-sync replica leads again when it returns (Kafka keeps it in the ISR too).
                return NO_LEADER, state.isr
            return None
        election, was_unclean = found
        if was_unclean:
            log.warning("Unclean leader election for %s-%d: broker %d leads without every acknowledged "
                        "record", *tp, election[0])
        return election

    return elect


def remove_replica_strategy(store: ControllerStore, replicas: set[int]) -> Strategy:
    """Take ``replicas`` (dead or stopping brokers) out of the ISR of partitions they follow;
    the last ISR member stays, as in Kafka, so a clean election stays possible."""

    def elect(tp: TopicPartition, state: PartitionState):
        if not replicas & set(state.isr) or state.leader in replicas:
            return None
        new_isr = tuple(r for r in state.isr if r not in replicas)
        return state.leader, (new_isr or state.isr)

    return elect


def preferred_strategy(store: ControllerStore) -> Strategy:
    context = store.context

    def elect(tp: TopicPartition, state: PartitionState):
        replicas = context.replicas(tp)
        if replicas and state.leader == replicas[0]:
            return None
        return leader_election.preferred_leader(replicas, state.isr, context.eligible_leaders())

    return elect


def controlled_shutdown_strategy(store: ControllerStore) -> Strategy:
    context = store.context

    def elect(tp: TopicPartition, state: PartitionState):
        if state.leader not in context.shutting_down:
            return None
        return leader_election.controlled_shutdown_leader(context.replicas(tp), state.isr, context.live_ids(),
                                                          context.shutting_down)

    return elect


def reassignment_strategy(store: ControllerStore, target: tuple[int, ...]) -> Strategy:
    context = store.context

    def elect(tp: TopicPartition, state: PartitionState):
        new_isr = tuple(r for r in state.isr if r in target)
        if state.leader in target and state.leader in context.eligible_leaders():
            return state.leader, new_isr
        elected = leader_election.reassignment_leader(target, state.isr, context.eligible_leaders())
        return None if elected is None else (elected[0], new_isr)

    return elect
