"""Kafka's ``simple`` assignor for share groups: every member gets partitions, a partition may have several.

In a share group records, not partitions, are handed out one at a time, so partitions need not be
exclusive: with more members than partitions each partition is shared by several members, with
fewer each member takes several partitions. The assignor aims at an even *sharing* (how many
members each partition has: ``ceil(members / partitions)``) and an even load (how many partitions
each member has), keeping what members already have where that stays within both:

1. partitions of topics a member no longer subscribes to are taken away;
2. members holding more than their share give the excess up;
3. partitions shared by more members than the sharing are taken from the excess members;
4. partitions shared by too few members go to the members holding too few, round robin.

Only *assignable* partitions are handed out: in a share group those whose share-partition state
has been initialized. When every member subscribes to the same topics the steps run over all
partitions at once (Kafka's homogeneous builder); otherwise topic by topic among its subscribers
(the heterogeneous one). Kafka walks hash sets where order does not matter to the outcome's
balance; here members go in member-id order and partitions in topic then partition order, so a
result is deterministic.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping

from .assignors import Assignment, MemberSpec, TopicPartition

NAME = "simple"

Assignable = Mapping[uuid.UUID, frozenset[int]]  # topic id -> partitions that may be assigned


def simple(members: Mapping[str, MemberSpec], topics: Mapping[uuid.UUID, int],
           assignable: Assignable | None = None) -> dict[str, Assignment]:
    """Each member's target. ``topics`` maps the subscribed topics that exist to their partition
    counts, in a fixed order; ``assignable`` limits the partitions handed out (None: all)."""
    if not members:
        return {}
    order = sorted(members)
    held = {m: {(t, p) for t, parts in members[m].current.items() for p in parts} for m in order}
    if len({spec.topics for spec in members.values()}) <= 1:
        subscribed = members[order[0]].topics
        if not subscribed:
            return {m: {} for m in order}
        candidates = [(t, p) for t in topics if t in subscribed for p in range(topics[t])]
        _Round(order, held, _assignable(candidates, assignable), lambda tp: True).run()
    else:
        for topic_id in topics:
            subscribers = [m for m in order if topic_id in members[m].topics]
            if not subscribers:
                continue
            candidates = [(topic_id, p) for p in range(topics[topic_id])]
            _Round(subscribers, held, _assignable(candidates, assignable), lambda tp, t=topic_id: tp[0] == t,
                   everyone=order).run()
        known = set(topics)
        for m in order:  # topics nobody subscribes to any more, or that are gone
            held[m] = {tp for tp in held[m] if tp[0] in known and tp[0] in members[m].topics}
    return {m: _as_assignment(held[m]) for m in order}


def _assignable(candidates: list[TopicPartition], assignable: Assignable | None) -> list[TopicPartition]:
    if assignable is None:
        return candidates
    return [(t, p) for t, p in candidates if p in assignable.get(t, ())]


class _Round:
    """One pass of the four steps over ``targets`` among ``subscribers``; ``in_scope`` tells which
    of a member's holdings the pass is about (the others are left alone). Members of ``everyone``
    that do not subscribe give up what they hold in scope."""

    def __init__(self, subscribers: list[str], held: dict[str, set[TopicPartition]],
                 targets: list[TopicPartition], in_scope, everyone: list[str] | None = None):
        self.subscribers = subscribers
        self.held = held
        self.targets = targets
        self.in_scope = in_scope
        self.everyone = everyone or subscribers
        count = len(targets)
        self.sharing = (len(subscribers) + count - 1) // count if count else 0
        precise = self.sharing * count / len(subscribers)
        # Kafka's spread of the sharing * partitions assignments over the members, in doubles
        self.desired = {m: math.ceil(precise * (i + 1)) - math.ceil(precise * i) for i, m in enumerate(subscribers)}
        self.valid = set(targets)

    def run(self) -> None:
        by_partition: dict[TopicPartition, list[str]] = {}
        mine: dict[str, list[TopicPartition]] = {}
        for m in self.everyone:
            kept = sorted(tp for tp in self.held[m] if self.in_scope(tp))
            self.held[m] -= set(kept)
            if m not in self.desired:
                continue  # not a subscriber: loses them (step 1)
            kept = [tp for tp in kept if tp in self.valid]
            quota = self.desired[m]
            kept, mine[m] = kept[:quota], kept[:quota]  # step 2: the excess goes
            for tp in kept:
                by_partition.setdefault(tp, []).append(m)
        for tp in sorted(by_partition):  # step 3: no partition shared beyond the sharing
            owners = by_partition[tp]
            while len(owners) > self.sharing:
                mine[owners.pop(0)].remove(tp)
        self._fill(by_partition, mine)
        for m, tps in mine.items():
            self.held[m] |= set(tps)

    def _fill(self, by_partition: dict[TopicPartition, list[str]], mine: dict[str, list[TopicPartition]]) -> None:
        """Step 4: walk the partitions once; each one short of the sharing takes the next members
        still short of their quota, round robin. A partition every short member already has stays
        short (Kafka accepts that slight imbalance)."""
        unfilled = [m for m in self.subscribers if len(mine.setdefault(m, [])) < self.desired[m]]
        turn, index, assigned_this_turn = list(unfilled), 0, False
        for tp in self.targets:
            owners = by_partition.setdefault(tp, [])
            wanted = self.sharing - len(owners)
            while wanted > 0 and unfilled:
                if index == len(turn):
                    if not assigned_this_turn:
                        break
                    turn, index, assigned_this_turn = list(unfilled), 0, False
                member = turn[index]
                index += 1
                if member in owners or member not in unfilled:
                    continue
                owners.append(member)
                mine[member].append(tp)
                wanted -= 1
                assigned_this_turn = True
                if len(mine[member]) >= self.desired[member]:
                    unfilled.remove(member)
            if not unfilled:
                break


def _as_assignment(partitions) -> dict[uuid.UUID, frozenset[int]]:
    by_topic: dict[uuid.UUID, set[int]] = {}
    for t, p in partitions:
        by_topic.setdefault(t, set()).add(p)
    return {t: frozenset(ps) for t, ps in by_topic.items()}
