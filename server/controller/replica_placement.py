"""Where a new topic's replicas go: Kafka's assignment, rack-aware when brokers have racks.

Partition ``p``'s first replica (its preferred leader) is broker ``(p + start) % n`` of the sorted
broker list, and the others follow at a shift that changes every ``n`` partitions, so that
leaders and followers spread evenly and no two brokers pair up on every partition. With racks,
the list alternates racks and each partition takes at most one replica per rack until every rack
has one. Random start and shift, as Kafka's, so topics do not all pile onto broker 0.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence


class PlacementError(ValueError):
    """More replicas asked for than brokers can hold them."""


def assign_replicas(brokers: Mapping[int, str | None], partitions: int, replication_factor: int,
                    first_partition: int = 0, rng: random.Random | None = None) -> dict[int, list[int]]:
    """Replicas for partitions ``first_partition .. first_partition + partitions - 1``.

    ``brokers`` maps each live broker id to its rack (None without one). Rack-aware placement is
    used when every broker has a rack; Kafka refuses a mix, and so does this.
    """
    rng = rng or random.Random()
    if replication_factor <= 0:
        raise PlacementError("Replication factor must be larger than 0.")
    if replication_factor > len(brokers):
        raise PlacementError(f"Replication factor: {replication_factor} larger than available brokers: "
                             f"{len(brokers)}.")
    racks = [rack for rack in brokers.values() if rack is not None]
    if racks and len(racks) != len(brokers):
        raise PlacementError("Not all brokers have rack information for replica rack aware assignment.")
    if racks:
        return _rack_aware(brokers, partitions, replication_factor, first_partition, rng)
    return _rack_unaware(sorted(brokers), partitions, replication_factor, first_partition, rng)


def _first_replicas(count: int, partitions: int, first_partition: int,
                    rng: random.Random) -> Iterator[tuple[int, int, int]]:
    """Each partition, the broker index of its first replica and the shift of its followers:
    a random start and shift, the shift moving on by one every ``count`` partitions."""
    start = rng.randrange(count)
    shift = rng.randrange(count)
    for partition in range(first_partition, first_partition + partitions):
        if partition > 0 and partition % count == 0:
            shift += 1
        yield partition, (partition + start) % count, shift


def _shifted(first: int, shift: int, replica: int, count: int) -> int:
    """The broker index of a follower: one to ``count - 1`` places after the first replica."""
    return (first + 1 + (shift + replica) % (count - 1)) % count


def _rack_unaware(ids: Sequence[int], partitions: int, factor: int, first_partition: int,
                  rng: random.Random) -> dict[int, list[int]]:
    count = len(ids)
    return {partition: [ids[first]] + [ids[_shifted(first, shift, j, count)] for j in range(factor - 1)]
            for partition, first, shift in _first_replicas(count, partitions, first_partition, rng)}


def rack_alternated(brokers: Mapping[int, str]) -> list[int]:
    """Brokers ordered so that consecutive ones are on different racks where possible: the first
    broker of each rack (racks in name order), then the second of each, and so on."""
    by_rack: dict[str, list[int]] = {}
    for broker_id, rack in sorted(brokers.items()):
        by_rack.setdefault(rack, []).append(broker_id)
    columns = [by_rack[rack] for rack in sorted(by_rack)]
    return [column[i] for i in range(max(map(len, columns))) for column in columns if i < len(column)]


def _rack_aware(brokers: Mapping[int, str], partitions: int, factor: int, first_partition: int,
                rng: random.Random) -> dict[int, list[int]]:
    arranged = rack_alternated(brokers)
    count, rack_count = len(arranged), len(set(brokers.values()))
    assignment = {}
    for partition, first, shift in _first_replicas(count, partitions, first_partition, rng):
        leader = arranged[first]
        replicas, racks_used = [leader], {brokers[leader]}
        k = 0
        while len(replicas) < factor:
            broker = arranged[_shifted(first, shift * rack_count, k, count)]
            k += 1
            rack_free = brokers[broker] not in racks_used or len(racks_used) == rack_count
            broker_free = broker not in replicas or len(replicas) == count
            if rack_free and broker_free:
                replicas.append(broker)
                racks_used.add(brokers[broker])
        assignment[partition] = replicas
    return assignment
