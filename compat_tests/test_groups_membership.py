"""Classic consumer groups with both clients: members share partitions, leave, die and come back.

Every member is a real subscribed consumer polled by its own thread (or process, when it
must be killed).  The broker's initial rebalance delay is off and its minimum session
timeout lowered, so each wait is bounded by a few heartbeats or by the timeout under test.
"""

from __future__ import annotations

import time

import pytest
from confluent_kafka import ConsumerGroupState, KafkaError, KafkaException

from .clients import wait_until
from .group_helpers import (
    assert_each_read_once,
    create_topic,
    describe_group,
    produce_to_partitions,
    wait_for_records,
    wait_for_split,
)

BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0, "group.min.session.timeout.ms": 1000,
                    "offsets.topic.num.partitions": 5}
CLIENTS = ["kafka-python", "confluent-kafka"]
PARTITIONS = 6
# Client-side assignors are deterministic: with one topic, range gives each member a run of
# partitions and roundrobin deals them out in turn (members in member-id order either way).
EXPECTED_SPLITS = {"range": {frozenset({0, 1}), frozenset({2, 3}), frozenset({4, 5})},
                   "roundrobin": {frozenset({0, 3}), frozenset({1, 4}), frozenset({2, 5})}}
INVALID_SESSION_TIMEOUT, INCONSISTENT_GROUP_PROTOCOL = 26, 23
FENCED = {82, KafkaError._FENCED, KafkaError._FATAL}  # FENCED_INSTANCE_ID, or librdkafka's fatal error for it


def partitions_of(member, topic) -> frozenset:
    return frozenset(p for t, p in member.assignment if t == topic)


def assert_steady(check, until: float, what: str) -> None:
    """Fail as soon as ``check()`` is false before monotonic time ``until``: something must NOT happen."""
    while True:
        assert check(), what
        if time.monotonic() >= until:
            return
        time.sleep(0.05)


def callbacks_done(member) -> bool:
    """An eager member's last callback hands it its whole assignment."""
    return bool(member.events) and member.events[-1] == ("assigned", member.assignment)


@pytest.mark.parametrize("assignor", ["range", "roundrobin", "cooperative-sticky"])
@pytest.mark.parametrize("client", CLIENTS)
def test_three_members_share_six_partitions_and_read_each_record_once(
        module_broker, clients, members, topic, client, assignor):
    create_topic(clients, module_broker, topic, PARTITIONS)
    group = [members.start(module_broker, client, topic, [topic], assignor=assignor) for _ in range(3)]
    split = wait_for_split(group, topic, PARTITIONS)
    if assignor in EXPECTED_SPLITS:
        assert set(split) == EXPECTED_SPLITS[assignor]

    sent = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 20)
    assert_each_read_once(wait_for_records(group, len(sent)), sent)
    for member, mine in zip(group, split):
        assert {r.partition for r in member.records} == mine

    description = describe_group(clients, module_broker, topic)
    assert description.state == ConsumerGroupState.STABLE
    assert description.partition_assignor == assignor
    assert not description.is_simple_consumer_group
    assert {m.member_id for m in description.members} == {m.member_id for m in group}
    assert {frozenset(tp.partition for tp in m.assignment.topic_partitions) for m in description.members} == set(split)
    if client == "kafka-python":
        assert len({m.generation for m in group}) == 1, [m.generation for m in group]


def test_the_group_uses_the_assignor_most_members_prefer(module_broker, clients, members, topic):
    """Kafka picks, among the assignors every member supports, the one most members list first."""
    create_topic(clients, module_broker, topic, PARTITIONS)
    group = [members.start(module_broker, "kafka-python", topic, [topic], assignor="roundrobin,range"),
             members.start(module_broker, "confluent-kafka", topic, [topic], assignor="roundrobin,range"),
             members.start(module_broker, "confluent-kafka", topic, [topic], assignor="range,roundrobin")]
    assert set(wait_for_split(group, topic, PARTITIONS)) == EXPECTED_SPLITS["roundrobin"]
    assert describe_group(clients, module_broker, topic).partition_assignor == "roundrobin"

    sent = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 5)
    assert_each_read_once(wait_for_records(group, len(sent)), sent)


LEAVER_SESSION_MS = 30_000  # far longer than the wait: only LeaveGroup can free the partitions in time
LEAVE_TAKEOVER_S = 8.0


@pytest.mark.parametrize("client", CLIENTS)
def test_a_member_that_leaves_hands_its_partitions_over(module_broker, clients, members, topic, client):
    create_topic(clients, module_broker, topic, PARTITIONS)
    group = [members.start(module_broker, client, topic, [topic], session_ms=LEAVER_SESSION_MS)
             for _ in range(3)]
    wait_for_split(group, topic, PARTITIONS)
    before = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 10, tag="before-")
    wait_for_records(group, len(before))
    wait_until(lambda: {k: v for m in group for k, v in m.committed.items()} ==
               {(topic, p): 10 for p in range(PARTITIONS)}, what="every member to commit what it read")

    leaver, stayers = group[0], group[1:]
    left = partitions_of(leaver, topic)
    leaver.close()  # a dynamic member sends LeaveGroup
    split = wait_for_split(stayers, topic, PARTITIONS, timeout=LEAVE_TAKEOVER_S)
    assert left <= split[0] | split[1]

    after = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 10, tag="after-")
    assert_each_read_once(wait_for_records(group, len(before) + len(after)), before + after)


KILLED_SESSION_MS = 3000


@pytest.mark.parametrize("client", CLIENTS)
def test_a_killed_member_is_evicted_after_its_session_timeout(module_broker, clients, members, topic, client):
    create_topic(clients, module_broker, topic, PARTITIONS)
    survivors = [members.start(module_broker, client, topic, [topic]) for _ in range(2)]
    doomed = members.spawn(module_broker, client, topic, [topic], session_ms=KILLED_SESSION_MS)
    wait_for_split(survivors + [doomed], topic, PARTITIONS, timeout=30)  # the child imports its client first

    doomed.kill()  # no LeaveGroup: only the session timeout can tell the coordinator
    killed_at = time.monotonic()
    wait_for_split(survivors, topic, PARTITIONS, timeout=KILLED_SESSION_MS / 1000 + 10)
    took = time.monotonic() - killed_at
    assert took >= KILLED_SESSION_MS / 2000, (
        f"partitions moved {took:.1f}s after the kill: a dropped connection is no reason to evict a member")

    sent = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 5)
    assert_each_read_once(wait_for_records(survivors, len(sent)), sent)


STATIC_SESSION_MS = 5000


@pytest.mark.parametrize("client", CLIENTS)
def test_a_restarted_static_leader_gets_its_partitions_back_without_a_rebalance(
        module_broker, clients, members, topic, client):
    """The member restarted is the group's leader (the first to join stays leader), the hard case."""
    create_topic(clients, module_broker, topic, PARTITIONS)

    def static_member(i: int):
        return members.start(module_broker, client, topic, [topic], instance_id=f"instance-{i}",
                             session_ms=STATIC_SESSION_MS)
    leader = static_member(0)
    wait_for_split([leader], topic, PARTITIONS)
    group = [leader, static_member(1), static_member(2)]
    split = wait_for_split(group, topic, PARTITIONS)
    wait_until(lambda: all(callbacks_done(m) for m in group), what="the members' rebalance callbacks")
    generation = group[0].generation
    old_member_id = group[0].member_id
    others = group[1:]
    seen = [m.events for m in others]

    group[0].close()  # a static member does not send LeaveGroup
    closed_at = time.monotonic()
    described = describe_group(clients, module_broker, topic)
    assert old_member_id in {m.member_id for m in described.members}, "the static member was dropped on close"

    back = static_member(0)
    wait_until(lambda: back.check() or back.assignment, what="the restarted static member's assignment")
    assert partitions_of(back, topic) == split[0]
    assert back.generation == generation
    # Past the old session's end, nobody has seen a rebalance: not on the rejoin, not on expiry.
    def unchanged():
        now = [([(kind, sorted(p for _, p in parts)) for kind, parts in m.events[len(before):]], m.generation)
               for m, before in zip(others + [back], seen + [[]])]
        assert all(not events for events, _ in now[:-1]) and all(g == generation for _, g in now), (
            f"a rebalance: (new callbacks, generation) of the others and the restarted member, "
            f"first generation {generation}: {now}")
        return True
    assert_steady(unchanged, closed_at + STATIC_SESSION_MS / 1000 + 1, "")

    described = describe_group(clients, module_broker, topic)
    assert described.state == ConsumerGroupState.STABLE
    assert {m.group_instance_id: m.member_id for m in described.members} == {
        f"instance-{i}": m.member_id for i, m in enumerate([back] + others)}
    assert back.member_id != old_member_id  # the coordinator fences the old incarnation


@pytest.mark.parametrize("client", CLIENTS)
def test_cooperative_members_give_up_only_the_partitions_that_move(module_broker, clients, members, topic, client):
    create_topic(clients, module_broker, topic, PARTITIONS)
    first = [members.start(module_broker, client, topic, [topic], assignor="cooperative-sticky")
             for _ in range(2)]
    before = wait_for_split(first, topic, PARTITIONS)
    seen = [len(m.events) for m in first]

    newcomer = members.start(module_broker, client, topic, [topic], assignor="cooperative-sticky")
    after = wait_for_split(first + [newcomer], topic, PARTITIONS)
    for member, held, kept, count in zip(first, before, after, seen):
        assert kept < held, "sticky: an existing member keeps what it can and gets nothing new"
        taken = [parts for kind, parts in member.events[count:] if kind in ("revoked", "lost") and parts]
        assert taken == [frozenset((topic, p) for p in held - kept)], member.events[count:]

    seen = [len(m.events) for m in first]
    newcomer.close()
    again = wait_for_split(first, topic, PARTITIONS)
    for member, kept, now, count in zip(first, after, again, seen):
        assert kept < now
        assert not [parts for kind, parts in member.events[count:] if kind in ("revoked", "lost") and parts]

    sent = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 5)
    assert_each_read_once(wait_for_records(first, len(sent)), sent)


def error_code(exc: BaseException) -> int:
    """The Kafka error code a client failed with (kafka-python's errno, librdkafka's code)."""
    if isinstance(exc, KafkaException):
        return exc.args[0].code()
    return exc.errno


@pytest.mark.parametrize("client", CLIENTS)
def test_session_timeouts_outside_the_brokers_bounds_are_refused(module_broker, clients, members, topic, client):
    create_topic(clients, module_broker, topic, PARTITIONS)
    too_short = members.start(module_broker, client, topic, [topic], session_ms=500)
    assert error_code(too_short.wait_for_failure()) == INVALID_SESSION_TIMEOUT
    assert partitions_of(too_short, topic) == frozenset()


@pytest.mark.parametrize("client", CLIENTS)
def test_a_member_with_no_assignor_in_common_is_refused(module_broker, clients, members, topic, client):
    create_topic(clients, module_broker, topic, PARTITIONS)
    [first] = [members.start(module_broker, client, topic, [topic], assignor="range")]
    wait_for_split([first], topic, PARTITIONS)
    odd_one = members.start(module_broker, client, topic, [topic], assignor="roundrobin")
    assert error_code(odd_one.wait_for_failure()) == INCONSISTENT_GROUP_PROTOCOL
    assert partitions_of(first, topic) == frozenset(range(PARTITIONS))


@pytest.mark.parametrize("client", CLIENTS)
def test_a_second_instance_with_the_same_static_id_fences_the_first(module_broker, clients, members, topic, client):
    create_topic(clients, module_broker, topic, PARTITIONS)
    original = members.start(module_broker, client, topic, [topic], instance_id="only-one")
    wait_for_split([original], topic, PARTITIONS)
    usurper = members.start(module_broker, client, topic, [topic], instance_id="only-one")
    wait_for_split([usurper], topic, PARTITIONS)
    # librdkafka learns it was fenced from its next heartbeat; kafka-python only stops
    # heartbeating then, and fails on its next commit.
    produce_to_partitions(clients, module_broker, topic, PARTITIONS, 1)
    failure = original.wait_for_failure()
    assert error_code(failure) in FENCED and "fenced" in str(failure).lower(), failure
