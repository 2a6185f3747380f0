"""Who leads a partition next: Kafka's leader election strategies, as pure functions.

Each takes the partition's assignment (its replicas, in preference order: the first is the
preferred leader), its current ISR and the brokers that can take leadership, and returns the new
(leader, ISR), or None when no replica can lead. Only a replica in the ISR has every acknowledged
record, so only such a replica may lead, unless ``unclean.leader.election.enable`` allows an
out-of-sync one, at the cost of what it lacks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

Election = tuple[int, tuple[int, ...]]  # (leader, isr)


def offline_partition_leader(replicas: Sequence[int], isr: Sequence[int], live: Collection[int],
                             unclean: bool) -> tuple[Election, bool] | None:
    """A leader for a partition whose leader is gone (or that never had one): the first live
    replica in assignment order that is in the ISR; else, when ``unclean``, the first live
    replica, whose ISR becomes just itself. Returns (election, was_unclean), or None."""
    live_isr = [r for r in isr if r in live]
    for replica in replicas:
        if replica in live and replica in isr:
            return (replica, tuple(live_isr)), False
    if unclean:
        for replica in replicas:
            if replica in live:
                return (replica, (replica,)), True
    return None


def reassignment_leader(target: Sequence[int], isr: Sequence[int], live: Collection[int]) -> Election | None:
    """A leader among the reassignment's target replicas: the first live one in the ISR."""
    for replica in target:
        if replica in live and replica in isr:
            return replica, tuple(isr)
    return None


def preferred_leader(replicas: Sequence[int], isr: Sequence[int], live: Collection[int]) -> Election | None:
    """The preferred replica (the first assigned), if it is alive and in the ISR."""
    preferred = replicas[0] if replicas else None
    if preferred is not None and preferred in live and preferred in isr:
        return preferred, tuple(isr)
    return None


def controlled_shutdown_leader(replicas: Sequence[int], isr: Sequence[int], live: Collection[int],
                               shutting_down: Collection[int]) -> Election | None:
    """A leader other than the brokers shutting down, among the live ISR; they leave the ISR."""
    new_isr = tuple(r for r in isr if r not in shutting_down)
    for replica in replicas:
        if replica in live and replica in new_isr:
            return replica, new_isr
    return None
