"""Kafka's replica placement: spread, preferred leaders balanced, racks respected."""

import random
from collections import Counter

import pytest

from odradek.server.controller.replica_placement import PlacementError, assign_replicas, rack_alternated


def test_every_partition_gets_distinct_replicas_and_leaders_spread_evenly():
    brokers = {1: None, 2: None, 3: None}
    placement = assign_replicas(brokers, 6, 3, rng=random.Random(7))
    assert sorted(placement) == list(range(6))
    for replicas in placement.values():
        assert sorted(replicas) == [1, 2, 3]
    assert Counter(r[0] for r in placement.values()) == {1: 2, 2: 2, 3: 2}


def test_followers_shift_so_pairs_do_not_repeat():
    brokers = {b: None for b in range(1, 6)}
    placement = assign_replicas(brokers, 10, 2, rng=random.Random(1))
    assert len({tuple(r) for r in placement.values()}) > 5
    assert Counter(r[0] for r in placement.values()) == {b: 2 for b in brokers}


def test_new_partitions_continue_the_pattern():
    brokers = {1: None, 2: None, 3: None}
    added = assign_replicas(brokers, 3, 2, first_partition=6, rng=random.Random(3))
    assert sorted(added) == [6, 7, 8]


def test_rack_alternated_order():
    assert rack_alternated({0: "a", 1: "a", 2: "b", 3: "b", 4: "c"}) == [0, 2, 4, 1, 3]


def test_rack_aware_places_one_replica_per_rack():
    brokers = {1: "a", 2: "a", 3: "b", 4: "b", 5: "c", 6: "c"}
    placement = assign_replicas(brokers, 12, 3, rng=random.Random(11))
    for replicas in placement.values():
        assert len({brokers[r] for r in replicas}) == 3
    assert Counter(r[0] for r in placement.values()) == {b: 2 for b in brokers}


def test_more_replicas_than_racks_still_spread():
    brokers = {1: "a", 2: "a", 3: "b", 4: "b"}
    for replicas in assign_replicas(brokers, 8, 3, rng=random.Random(5)).values():
        assert len(set(replicas)) == 3 and len({brokers[r] for r in replicas}) == 2


@pytest.mark.parametrize("brokers, factor, message", [
    ({1: None, 2: None}, 3, "Replication factor: 3 larger than available brokers: 2."),
    ({1: None}, 0, "Replication factor must be larger than 0."),
    ({1: "a", 2: None}, 1, "Not all brokers have rack information"),
])
def test_refusals_are_kafkas(brokers, factor, message):
    with pytest.raises(PlacementError, match=message):
        assign_replicas(brokers, 1, factor)
