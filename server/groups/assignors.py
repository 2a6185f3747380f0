"""Kafka's server-side assignors for consumer groups: ``uniform`` and ``range``.

An assignor maps each member to the partitions it should own (its *target*), from the members'
subscriptions and current targets and the partition counts of the subscribed topics. Topics
come ordered (by name) so that results are deterministic; members are keyed by member id.

``uniform`` balances first (no member holds two partitions more than another that could take
them) and keeps as much of the current targets as balance allows. ``range`` gives each member
a contiguous run of every topic it subscribes to, members ordered by group instance id (static
members first) then member id, so members subscribed alike get the same partition numbers of
equally partitioned topics (co-partitioning). Neither looks at racks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Assignment = Mapping[uuid.UUID, frozenset[int]]  # topic id -> partitions
TopicPartition = tuple[uuid.UUID, int]


@dataclass(frozen=True)
class MemberSpec:
    """What an assignor knows of a member."""

    topics: frozenset[uuid.UUID]  # the subscribed topics that exist
    instance_id: str | None = None
    current: Assignment = field(default_factory=dict)  # its target before this assignment


def uniform(members: Mapping[str, MemberSpec], topics: Mapping[uuid.UUID, int]) -> dict[str, Assignment]:
    if len({spec.topics for spec in members.values()}) <= 1:
        return _uniform_alike(members, topics)
    return _uniform_mixed(members, topics)


def _uniform_alike(members: Mapping[str, MemberSpec], topics: Mapping[uuid.UUID, int]) -> dict[str, Assignment]:
    """Every member subscribes to the same topics: quotas differ by at most one partition, the
    extra ones going to the members that already hold the most."""
    if not members:
        return {}
    subscribed = next(iter(members.values())).topics
    partitions = [(t, p) for t, count in topics.items() if t in subscribed for p in range(count)]
    kept = {m: _still_valid(spec, topics, subscribed) for m, spec in members.items()}
    base, extra = divmod(len(partitions), len(members))
    by_holding = sorted(members, key=lambda m: (-len(kept[m]), m))
    quota = {m: base + (1 if rank < extra else 0) for rank, m in enumerate(by_holding)}
    for m in members:
        kept[m] = kept[m][:quota[m]]
    taken = {tp for held in kept.values() for tp in held}
    free = iter(tp for tp in partitions if tp not in taken)
    result = {}
    for m in sorted(members):
        held = kept[m] + [next(free) for _ in range(quota[m] - len(kept[m]))]
        result[m] = _as_assignment(held)
    return result


def _uniform_mixed(members: Mapping[str, MemberSpec], topics: Mapping[uuid.UUID, int]) -> dict[str, Assignment]:
    """Members subscribe differently: keep what is still subscribed, hand out the rest to the
    least loaded subscriber (topics with the fewest subscribers first), then move partitions
    from the most to the least loaded subscriber of their topic while that narrows the gap."""
    held = {m: set(_still_valid(spec, topics, spec.topics)) for m, spec in members.items()}
    subscribers = {t: sorted(m for m, spec in members.items() if t in spec.topics) for t in topics}
    owner = {tp: m for m, tps in held.items() for tp in tps}
    order = sorted((t for t in topics if subscribers[t]), key=lambda t: len(subscribers[t]))
    for t in order:
        for p in range(topics[t]):
            if (t, p) not in owner:
                least = min(subscribers[t], key=lambda m: (len(held[m]), m))
                held[least].add((t, p))
                owner[(t, p)] = least
    while True:
        move = _best_move(held, owner, subscribers)
        if move is None:
            break
        tp, source, target = move
        held[source].discard(tp)
        held[target].add(tp)
        owner[tp] = target
    return {m: _as_assignment(sorted(tps)) for m, tps in held.items()}


def _best_move(held, owner, subscribers) -> tuple[TopicPartition, str, str] | None:
    """The partition move between subscribers of its topic that narrows load the most, if any
    narrows it by two or more (each move strictly reduces the spread, so this ends)."""
    best, best_gap = None, 1
    for tp, source in sorted(owner.items()):
        target = min(subscribers[tp[0]], key=lambda m: (len(held[m]), m))
        gap = len(held[source]) - len(held[target])
        if gap > best_gap:
            best, best_gap = (tp, source, target), gap
    return best


def range_(members: Mapping[str, MemberSpec], topics: Mapping[uuid.UUID, int]) -> dict[str, Assignment]:
    ordered = sorted(members, key=lambda m: (members[m].instance_id is None, members[m].instance_id or "", m))
    result: dict[str, dict[uuid.UUID, frozenset[int]]] = {m: {} for m in members}
    for t, count in topics.items():
        subscribers = [m for m in ordered if t in members[m].topics]
        if not subscribers:
            continue
        base, extra = divmod(count, len(subscribers))
        start = 0
        for rank, m in enumerate(subscribers):
            end = start + base + (1 if rank < extra else 0)
            if end > start:
                result[m][t] = frozenset(range(start, end))
            start = end
    return result


def _still_valid(spec: MemberSpec, topics: Mapping[uuid.UUID, int], subscribed) -> list[TopicPartition]:
    """The member's current partitions it may keep (of a subscribed topic that still has them),
    in topic order."""
    return [(t, p) for t in topics if t in subscribed for p in sorted(spec.current.get(t, ())) if p < topics[t]]


def _as_assignment(partitions) -> dict[uuid.UUID, frozenset[int]]:
    by_topic: dict[uuid.UUID, set[int]] = {}
    for t, p in partitions:
        by_topic.setdefault(t, set()).add(p)
    return {t: frozenset(ps) for t, ps in by_topic.items()}


ASSIGNORS: dict[str, Callable[[Mapping[str, MemberSpec], Mapping[uuid.UUID, int]], dict[str, Assignment]]] = {
    "uniform": uniform,
    "range": range_,
}
