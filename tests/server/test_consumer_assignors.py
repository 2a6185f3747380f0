"""The server-side assignors: balance and stickiness for uniform, ranges for range."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.server.groups.assignors import MemberSpec, range_, uniform

T1, T2, T3 = (uuid.UUID(int=n) for n in (1, 2, 3))


def sizes(result) -> list[int]:
    return sorted(sum(len(parts) for parts in assignment.values()) for assignment in result.values())


def partitions_of(result) -> list[tuple[uuid.UUID, int]]:
    return sorted((t, p) for assignment in result.values() for t, parts in assignment.items() for p in parts)


def test_uniform_spreads_every_partition_once_with_quotas_one_apart():
    members = {m: MemberSpec(frozenset({T1, T2})) for m in "abc"}
    result = uniform(members, {T1: 4, T2: 3})
    assert sizes(result) == [2, 2, 3]
    assert partitions_of(result) == [(T1, p) for p in range(4)] + [(T2, p) for p in range(3)]


def test_uniform_keeps_current_partitions_and_moves_only_the_excess():
    everything = {T1: frozenset(range(6))}
    members = {"a": MemberSpec(frozenset({T1}), current=everything), "b": MemberSpec(frozenset({T1}))}
    result = uniform(members, {T1: 6})
    assert result["a"][T1] < everything[T1] and len(result["a"][T1]) == 3
    assert result["b"][T1] == everything[T1] - result["a"][T1]


def test_uniform_gives_the_extra_partition_to_the_member_that_holds_it():
    members = {"a": MemberSpec(frozenset({T1}), current={T1: frozenset({0, 1})}),
               "b": MemberSpec(frozenset({T1}), current={T1: frozenset({2, 3, 4})})}
    result = uniform(members, {T1: 5})
    assert result == {"a": {T1: frozenset({0, 1})}, "b": {T1: frozenset({2, 3, 4})}}


def test_uniform_drops_partitions_of_topics_no_longer_subscribed_or_gone():
    members = {"a": MemberSpec(frozenset({T2}), current={T1: frozenset({0}), T2: frozenset({0})})}
    assert uniform(members, {T2: 2}) == {"a": {T2: frozenset({0, 1})}}


def test_uniform_with_different_subscriptions_balances_within_what_each_may_take():
    members = {"a": MemberSpec(frozenset({T1})), "b": MemberSpec(frozenset({T1, T2})), "c": MemberSpec(frozenset({T2}))}
    result = uniform(members, {T1: 3, T2: 3})
    assert sizes(result) == [2, 2, 2]
    assert set(result["a"]) <= {T1} and set(result["c"]) <= {T2}
    assert partitions_of(result) == [(T1, p) for p in range(3)] + [(T2, p) for p in range(3)]


def test_uniform_with_different_subscriptions_moves_load_off_a_sticky_member():
    members = {"a": MemberSpec(frozenset({T1, T2}), current={T1: frozenset(range(4)), T2: frozenset(range(4))}),
               "b": MemberSpec(frozenset({T2, T3}))}
    result = uniform(members, {T1: 4, T2: 4, T3: 1})
    assert sizes(result) == [4, 5]
    assert result["a"][T1] == frozenset(range(4))  # only b can take T2 partitions off a


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sets(st.sampled_from([T1, T2, T3]), min_size=1), min_size=1, max_size=5),
       st.lists(st.integers(0, 6), min_size=3, max_size=3))
def test_uniform_assigns_each_subscribed_partition_to_exactly_one_subscriber(subscriptions, counts):
    topics = dict(zip([T1, T2, T3], counts))
    members = {f"m{i}": MemberSpec(frozenset(s)) for i, s in enumerate(subscriptions)}
    result = uniform(members, topics)
    subscribed = set().union(*subscriptions)
    assert partitions_of(result) == sorted((t, p) for t in subscribed for p in range(topics[t]))
    for m, spec in members.items():
        assert set(result[m]) <= spec.topics
    if len(set(map(frozenset, subscriptions))) == 1:
        assert max(sizes(result)) - min(sizes(result)) <= 1


def test_range_gives_contiguous_runs_in_member_id_order_and_co_partitions():
    members = {m: MemberSpec(frozenset({T1, T2})) for m in ("b", "a")}
    result = range_(members, {T1: 3, T2: 3})
    assert result == {"a": {T1: frozenset({0, 1}), T2: frozenset({0, 1})},
                      "b": {T1: frozenset({2}), T2: frozenset({2})}}


def test_range_puts_static_members_first_by_instance_id():
    members = {"a": MemberSpec(frozenset({T1})), "z": MemberSpec(frozenset({T1}), instance_id="i1"),
               "y": MemberSpec(frozenset({T1}), instance_id="i2")}
    result = range_(members, {T1: 3})
    assert result == {"z": {T1: frozenset({0})}, "y": {T1: frozenset({1})}, "a": {T1: frozenset({2})}}


def test_range_splits_each_topic_among_its_own_subscribers():
    members = {"a": MemberSpec(frozenset({T1, T2})), "b": MemberSpec(frozenset({T2}))}
    result = range_(members, {T1: 2, T2: 4})
    assert result == {"a": {T1: frozenset({0, 1}), T2: frozenset({0, 1})}, "b": {T2: frozenset({2, 3})}}


def test_range_leaves_members_without_partitions_when_there_are_too_few():
    members = {m: MemberSpec(frozenset({T1})) for m in "abc"}
    assert range_(members, {T1: 2}) == {"a": {T1: frozenset({0})}, "b": {T1: frozenset({1})}, "c": {}}
