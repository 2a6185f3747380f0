"""Kafka's simple share-group assignor: every member gets partitions, partitions shared evenly."""

from __future__ import annotations

import math
import uuid
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.server.groups.assignors import MemberSpec
from odradek.server.groups.simple_assignor import simple

T1, T2 = uuid.UUID(int=1), uuid.UUID(int=2)


def sharing(result) -> Counter:
    """How many members each partition has."""
    return Counter((t, p) for assignment in result.values() for t, parts in assignment.items() for p in parts)


def loads(result) -> dict[str, int]:
    return {m: sum(len(parts) for parts in assignment.values()) for m, assignment in result.items()}


def test_three_members_share_one_partition():
    result = simple({m: MemberSpec(frozenset({T1})) for m in "abc"}, {T1: 1})
    assert result == {m: {T1: frozenset({0})} for m in "abc"}


def test_fewer_members_than_partitions_split_them_without_sharing():
    result = simple({m: MemberSpec(frozenset({T1})) for m in "ab"}, {T1: 4})
    assert loads(result) == {"a": 2, "b": 2}
    assert set(sharing(result).values()) == {1} and len(sharing(result)) == 4


def test_three_members_on_two_partitions_share_each_twice():
    result = simple({m: MemberSpec(frozenset({T1})) for m in "abc"}, {T1: 2})
    assert sharing(result) == {(T1, 0): 2, (T1, 1): 2}
    assert sorted(loads(result).values()) == [1, 1, 2]


def test_only_assignable_partitions_are_handed_out():
    members = {m: MemberSpec(frozenset({T1})) for m in "ab"}
    assert simple(members, {T1: 4}, {}) == {"a": {}, "b": {}}
    result = simple(members, {T1: 4}, {T1: frozenset({1, 3})})
    assert set(sharing(result)) == {(T1, 1), (T1, 3)}
    assert loads(result) == {"a": 1, "b": 1}


def test_a_joining_member_takes_over_part_of_the_load_and_the_rest_stays():
    current = {T1: frozenset(range(6))}
    members = {"a": MemberSpec(frozenset({T1}), current=current), "b": MemberSpec(frozenset({T1}))}
    result = simple(members, {T1: 6})
    assert loads(result) == {"a": 3, "b": 3}
    assert result["a"][T1] < current[T1]
    assert result["a"][T1] | result["b"][T1] == current[T1]


def test_partitions_of_topics_no_longer_subscribed_are_taken_away():
    members = {"a": MemberSpec(frozenset({T2}), current={T1: frozenset({0}), T2: frozenset({0})})}
    assert simple(members, {T1: 1, T2: 2}) == {"a": {T2: frozenset({0, 1})}}


def test_members_subscribed_differently_share_each_topic_among_its_subscribers():
    members = {"a": MemberSpec(frozenset({T1})), "b": MemberSpec(frozenset({T1, T2})),
               "c": MemberSpec(frozenset({T2}), current={T1: frozenset({0})})}
    result = simple(members, {T1: 1, T2: 1})
    assert result == {"a": {T1: frozenset({0})}, "b": {T1: frozenset({0}), T2: frozenset({0})},
                      "c": {T2: frozenset({0})}}


def test_no_subscription_no_partitions():
    assert simple({"a": MemberSpec(frozenset())}, {T1: 3}) == {"a": {}}
    assert simple({}, {T1: 3}) == {}


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.data())
def test_every_member_gets_partitions_and_every_partition_is_shared_evenly(n_members, n_partitions, data):
    names = [f"m{i}" for i in range(n_members)]
    current = {m: {T1: frozenset(data.draw(st.sets(st.integers(0, n_partitions - 1)), label=m))} for m in names}
    result = simple({m: MemberSpec(frozenset({T1}), current=current[m]) for m in names}, {T1: n_partitions})
    want = math.ceil(n_members / n_partitions)
    counts = sharing(result)
    assert set(counts) == {(T1, p) for p in range(n_partitions)}  # every partition is assigned
    assert max(counts.values()) <= want
    assert all(load >= 1 for load in loads(result).values())  # every member has partitions
    assert max(loads(result).values()) - min(loads(result).values()) <= max(1, want)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), st.integers(1, 8))
def test_a_result_is_stable_when_assigned_again(n_members, n_partitions):
    names = [f"m{i}" for i in range(n_members)]
    first = simple({m: MemberSpec(frozenset({T1})) for m in names}, {T1: n_partitions})
    again = simple({m: MemberSpec(frozenset({T1}), current=first[m]) for m in names}, {T1: n_partitions})
    assert again == first
