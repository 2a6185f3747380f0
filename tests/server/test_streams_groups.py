"""Streams groups (KIP-1071): their records' round trip and replay, the topology's topic checks, the task assignor.

compat_tests/test_streams_groups.py runs Kafka Streams itself against the broker (and Kafka 4.3.1)."""

from odradek.server.groups.offsets_records import decode_record, encode_record
from odradek.server.groups.streams_assignor import MemberSpec, assign
from odradek.server.groups.streams_group import (
    MemberState, StreamsGroup, StreamsGroupState, StreamsMember, Subtopology, TaskSets, TopicInfo, Topology,
)
from odradek.server.groups.streams_group_records import (
    current_assignment, group_metadata, group_tombstones, member_metadata, member_tombstones, replay, target_member,
    target_metadata, topology_record,
)
from odradek.server.groups.streams_topology import (
    INCORRECTLY_PARTITIONED_TOPICS, MISSING_INTERNAL_TOPICS, MISSING_SOURCE_TOPICS, configure,
)

TOPOLOGY = Topology(3, (
    Subtopology("0", ("in",), ("app-rep",), (), (), ()),
    Subtopology("1", (), (), (TopicInfo("app-store-changelog", 0, 0, (("cleanup.policy", "compact"),)),),
                (TopicInfo("app-rep", 0, 2, ()),), (((), (0,)),)),
))


def through_bytes(entries):
    """Each record encoded as Kafka writes it and decoded back."""
    return [decode_record(*encode_record(entry)) for entry in entries]


def test_records_replayed_from_their_bytes_make_the_same_group():
    member = StreamsMember("m", member_epoch=4, previous_member_epoch=3, state=MemberState.UNREVOKED_TASKS,
                           instance_id=None, rack_id="r", client_id="c", client_host="/h", rebalance_timeout_ms=300,
                           topology_epoch=3, process_id="p", user_endpoint=("host", 8080),
                           client_tags=(("zone", "a"),),
                           assigned=TaskSets({"0": frozenset({0, 2})}, {"1": frozenset({1})}, {}),
                           pending_revocation=TaskSets({"0": frozenset({3})}, {}, {}))
    target = TaskSets({"0": frozenset({0, 2}), "1": frozenset({0})}, {}, {})
    entries = [group_metadata("g", 5, -7, 3), topology_record("g", TOPOLOGY), member_metadata("g", member),
               target_metadata("g", 5, 1234), target_member("g", "m", target), current_assignment("g", member)]
    groups: dict = {}
    for entry in through_bytes(entries):
        replay(groups, entry)
    group = groups["g"]
    assert (group.group_epoch, group.metadata_hash, group.validated_topology_epoch, group.assignment_epoch) == \
        (5, -7, 3, 5)
    assert group.topology == TOPOLOGY
    assert group.members == {"m": member}
    assert group.target == {"m": target}

    for entry in through_bytes(member_tombstones("g", "m")):
        replay(groups, entry)
    assert group.members == {} and group.target == {}
    for entry in through_bytes(group_tombstones(group)):
        replay(groups, entry)
    assert groups == {} and group.state == StreamsGroupState.DEAD


def test_internal_topics_get_their_partition_counts_from_the_topology():
    configured = configure(TOPOLOGY, {"in": 4}.get)
    assert configured.tasks is None
    assert configured.status == [(MISSING_INTERNAL_TOPICS, "Internal topics are missing: [app-rep, app-store-changelog]")]
    assert {(t.name, t.partitions, t.replication_factor, tuple(t.configs.items())) for t in configured.to_create} == {
        ("app-rep", 4, 2, ()), ("app-store-changelog", 4, -1, (("cleanup.policy", "compact"),))}
    assert configure(TOPOLOGY, {"in": 4, "app-rep": 4, "app-store-changelog": 4}.get).tasks == {"0": 4, "1": 4}


def test_missing_or_wrongly_partitioned_topics_give_no_tasks():
    assert configure(TOPOLOGY, {}.get).status == [(MISSING_SOURCE_TOPICS, "Source topics in are missing.")]
    configured = configure(TOPOLOGY, {"in": 4, "app-rep": 4, "app-store-changelog": 2}.get)
    assert configured.tasks is None
    assert configured.status[0][0] == INCORRECTLY_PARTITIONED_TOPICS
    joined = Topology(1, (Subtopology("0", ("left", "right"), (), (), (), (((0, 1), ()),)),))
    assert configure(joined, {"left": 2, "right": 3}.get).status[0][0] == INCORRECTLY_PARTITIONED_TOPICS
    assert configure(joined, {"left": 3, "right": 3}.get).tasks == {"0": 3}


def test_the_assignor_balances_and_keeps_tasks_where_they_were():
    first = assign({"0": 4, "1": 2}, {"a": MemberSpec("pa", TaskSets())}, 0)
    assert sum(len(p) for p in first["a"].active.values()) == 6
    before = first["a"].active
    second = assign({"0": 4, "1": 2}, {"a": MemberSpec("pa", first["a"]), "b": MemberSpec("pb", TaskSets())}, 0)
    counts = {m: sum(len(p) for p in t.active.values()) for m, t in second.items()}
    assert counts == {"a": 3, "b": 3}
    kept = {(s, p) for s, parts in second["a"].active.items() for p in parts}
    assert kept <= {(s, p) for s, parts in before.items() for p in parts}  # a only lost tasks


def test_standbys_go_to_other_processes():
    members = {"a1": MemberSpec("pa", TaskSets()), "a2": MemberSpec("pa", TaskSets()),
               "b1": MemberSpec("pb", TaskSets())}
    assigned = assign({"0": 3}, members, 1)
    process = {"a1": "pa", "a2": "pa", "b1": "pb"}
    active = {p: m for m, t in assigned.items() for p in t.active.get("0", ())}
    standby = {p: m for m, t in assigned.items() for p in t.standby.get("0", ())}
    assert sorted(active) == [0, 1, 2] and sorted(standby) == [0, 1, 2]
    assert all(process[active[p]] != process[standby[p]] for p in range(3))
    alone = assign({"0": 2}, {"a": MemberSpec("pa", TaskSets())}, 1)
    assert alone["a"].standby == {}  # no other process: no standby


def test_group_state():
    group = StreamsGroup("g")
    assert group.state == StreamsGroupState.EMPTY
    group.members["m"] = StreamsMember("m", member_epoch=1)
    assert group.state == StreamsGroupState.NOT_READY
    group.topology, group.partitions_by_subtopology, group.group_epoch, group.assignment_epoch = TOPOLOGY, {}, 1, 1
    assert group.state == StreamsGroupState.STABLE
    group.group_epoch = 2
    assert group.state == StreamsGroupState.ASSIGNING
