"""The consumer group protocol (KIP-848) state machine, on trio's virtual clock so deadlines are exact
(the coordinator and its clients: ``consumer_harness``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import trio
import trio.testing

from odradek.server.groups.classic_group import ClassicGroup, GroupState
from odradek.server.groups.consumer_group import ConsumerGroup, ConsumerGroupState, MemberState
from odradek.server.groups.consumer_group_config import ConsumerGroupConfig
from odradek.server.groups.group_error import GroupError
from odradek.server.groups.offsets_records import GroupMetadataKey, Tombstone
from odradek.wire import ErrorCode

from consumer_harness import REBALANCE_MS, SESSION_S, Client, Harness, settle


@pytest.fixture
def clock():
    return trio.testing.MockClock(autojump_threshold=0)


async def test_a_member_joins_with_epoch_zero_and_gets_every_partition(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        topic = h.topics.create("t", 3)
        response = await h.heartbeat("m1", 0, names=["t"], owned={}, rebalance_ms=REBALANCE_MS)
        assert response == {"error_code": ErrorCode.NONE, "error_message": None, "member_id": "m1",
                            "member_epoch": 2, "heartbeat_interval_ms": 5000,
                            "assignment": {"topic_partitions": [{"topic_id": topic, "partitions": [0, 1, 2]}]}}
        group = h.group()
        # Kafka 4.3 starts a group at epoch 1: its first member takes it to 2
        assert (group.state, group.group_epoch, group.assignment_epoch) == (ConsumerGroupState.STABLE, 2, 2)
        assert (await h.heartbeat("m1", 2, owned={topic: {0, 1, 2}}))["assignment"] is None  # nothing new to say
        nursery.cancel_scope.cancel()


async def test_member_ids_come_from_the_client_from_version_one_on(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        refused = await h.heartbeat("", 0, names=["t"], owned={}, rebalance_ms=REBALANCE_MS)
        assert (refused["error_code"], refused["error_message"]) == (ErrorCode.INVALID_REQUEST,
                                                                     "MemberId can't be empty.")
        named = await h.heartbeat("", 0, names=["t"], owned={}, rebalance_ms=REBALANCE_MS, version=0)
        assert named["error_code"] == ErrorCode.NONE and len(named["member_id"]) == 22
        assert named["member_id"] in h.group().members
        nursery.cancel_scope.cancel()


async def test_first_heartbeats_must_be_complete(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        for kwargs, message in [
            (dict(names=["t"], owned={}), "RebalanceTimeoutMs must be provided in first request."),
            (dict(names=["t"], rebalance_ms=1000), "TopicPartitions must be empty when (re-)joining."),
            (dict(owned={}, rebalance_ms=1000), "SubscribedTopicNames or SubscribedTopicRegex must be set in "
                                                "first request."),
            (dict(group_id="", names=["t"], owned={}, rebalance_ms=1000), "GroupId can't be empty."),
        ]:
            response = await h.heartbeat("m", 0, **kwargs)
            assert (response["error_code"], response["error_message"]) == (ErrorCode.INVALID_REQUEST, message)
        unsupported = await h.heartbeat("m", 0, names=["t"], owned={}, rebalance_ms=1000, assignor="sticky")
        assert unsupported["error_code"] == ErrorCode.UNSUPPORTED_ASSIGNOR
        assert unsupported["error_message"] == \
            "ServerAssignor sticky is not supported. Supported assignors: uniform, range."
        assert (await h.heartbeat("m", 0, regex="[", owned={}, rebalance_ms=1000))["error_code"] == \
            ErrorCode.INVALID_REGULAR_EXPRESSION
        assert not h.groups
        nursery.cancel_scope.cancel()


async def test_uniform_assignment_spreads_partitions_evenly(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 4)
        h.topics.create("u", 3)
        clients = [await h.client(f"m{i}", names=("t", "u")) for i in range(3)]
        await settle(*clients)
        assert sorted(len(c.partitions()) for c in clients) == [2, 2, 3]
        assert len(set().union(*(c.partitions() for c in clients))) == 7
        assert h.group().state == ConsumerGroupState.STABLE
        assert {m.member_epoch for m in h.group().members.values()} == {h.group().group_epoch}
        nursery.cancel_scope.cancel()


async def test_range_assignment_gives_contiguous_runs_in_member_order(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 5)
        clients = [await h.client(m, assignor="range") for m in ("b", "a")]
        await settle(*clients)
        assert {c.member_id: c.owned for c in clients} == {"a": {t: frozenset({0, 1, 2})}, "b": {t: frozenset({3, 4})}}
        nursery.cancel_scope.cancel()


async def test_a_second_member_waits_until_the_first_has_revoked(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 4)
        a = await h.client("a")
        assert (a.epoch, a.owned) == (2, {t: frozenset(range(4))})
        b = await h.client("b")
        group = h.group()
        assert (b.epoch, b.owned, group.group_epoch) == (3, {}, 3)  # its partitions are still a's
        assert group.members["b"].state == MemberState.UNRELEASED_PARTITIONS
        assert group.state == ConsumerGroupState.RECONCILING
        kept = group.target["a"][t]

        revoking = await a.beat()
        assert (revoking["member_epoch"], a.owned) == (2, {t: kept})  # revoke first, same epoch
        assert group.members["a"].state == MemberState.UNREVOKED_PARTITIONS
        assert (await b.beat())["assignment"] is None  # a has not confirmed yet
        assert (await a.beat())["member_epoch"] == 3  # it no longer lists them: on to the new epoch
        await b.beat()
        assert b.owned == {t: frozenset(range(4)) - kept} and len(kept) == 2
        assert group.state == ConsumerGroupState.STABLE
        nursery.cancel_scope.cancel()


async def test_a_leaving_member_hands_its_partitions_over(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 4)
        a, b = await h.client("a"), await h.client("b")
        await settle(a, b)
        epoch = h.group().group_epoch
        left = await h.heartbeat("a", -1)
        assert (left["error_code"], left["member_id"], left["member_epoch"]) == (ErrorCode.NONE, "a", -1)
        assert "a" not in h.group().members and h.group().group_epoch == epoch + 1
        await b.beat()
        assert b.owned == {t: frozenset(range(4))}
        assert (await h.heartbeat("a", a.epoch))["error_code"] == ErrorCode.UNKNOWN_MEMBER_ID
        assert (await h.heartbeat("a", -1))["error_code"] == ErrorCode.UNKNOWN_MEMBER_ID
        b_leaves = await h.heartbeat("b", -1)
        assert b_leaves["error_code"] == ErrorCode.NONE and h.group().state == ConsumerGroupState.EMPTY
        nursery.cancel_scope.cancel()


async def test_a_static_member_that_leaves_for_now_gets_its_partitions_back(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 4)
        a, b = await h.client("a", instance_id="i-a"), await h.client("b", instance_id="i-b")
        await settle(a, b)
        mine, epoch = a.owned, a.epoch
        intruder = await h.heartbeat("x", 0, names=["t"], owned={}, rebalance_ms=REBALANCE_MS, instance_id="i-a")
        assert intruder["error_code"] == ErrorCode.UNRELEASED_INSTANCE_ID

        paused = await h.heartbeat("a", -2, instance_id="i-a")
        assert (paused["error_code"], paused["member_epoch"]) == (ErrorCode.NONE, -2)
        await b.beat()
        assert b.partitions().isdisjoint({(t, p) for p in mine[t]})  # held for the instance

        back = await Client.join(h, "a2", ["t"], instance_id="i-a")
        assert (back.epoch, back.owned) == (epoch, mine)
        assert set(h.group().members) == {"a2", "b"} and h.group().static_members["i-a"] == "a2"
        assert (await h.heartbeat("a", epoch, instance_id="i-a"))["error_code"] == ErrorCode.FENCED_INSTANCE_ID
        nursery.cancel_scope.cancel()


async def test_a_static_member_away_past_its_session_loses_its_partitions(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 2)
        a, b = await h.client("a", instance_id="i-a"), await h.client("b")
        await settle(a, b)
        await h.heartbeat("a", -2, instance_id="i-a")
        for _ in range(5):  # past the session timeout: a's last heartbeat was its leave
            await trio.sleep(SESSION_S / 4)
            await b.beat()
        assert b.owned == {t: frozenset({0, 1})} and "a" not in h.group().members
        assert "i-a" not in h.group().static_members
        nursery.cancel_scope.cancel()


async def test_a_silent_member_is_fenced_after_the_session_timeout(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 2)
        a, b = await h.client("a"), await h.client("b")
        await settle(a, b)
        for _ in range(8):  # b heartbeats every 5 s, a never again
            await trio.sleep(5)
            await b.beat()
        await trio.sleep(SESSION_S - 40 - 0.1)
        assert "a" in h.group().members
        await trio.sleep(0.2)
        assert "a" not in h.group().members
        await b.beat()
        assert b.owned == {t: frozenset({0, 1})}
        assert (await h.heartbeat("a", a.epoch, owned=a.owned))["error_code"] == ErrorCode.UNKNOWN_MEMBER_ID
        nursery.cancel_scope.cancel()


async def test_heartbeats_at_a_wrong_epoch_are_fenced(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 4)
        a = await h.client("a")
        await h.client("b")
        await a.beat()  # revoking at epoch 2
        await a.beat()  # epoch 3
        assert a.epoch == 3
        ahead = await h.heartbeat("a", 4, owned=a.owned)
        assert ahead["error_code"] == ErrorCode.FENCED_MEMBER_EPOCH
        assert ahead["error_message"].startswith("The consumer group member has a greater member epoch (4)")
        # The previous epoch passes with nothing beyond the current assignment (a lost response)...
        assert (await h.heartbeat("a", 2, owned=a.owned))["error_code"] == ErrorCode.NONE
        # ...but not while claiming more, nor an older epoch.
        assert (await h.heartbeat("a", 2, owned={t: frozenset(range(4))}))["error_code"] == ErrorCode.FENCED_MEMBER_EPOCH
        h.topics.grow("t", 5)
        await a.beat()
        assert a.epoch == 4
        assert (await h.heartbeat("a", 2, owned=a.owned))["error_code"] == ErrorCode.FENCED_MEMBER_EPOCH
        assert (await h.heartbeat("nobody", 3))["error_code"] == ErrorCode.UNKNOWN_MEMBER_ID
        # A fenced member rejoins with epoch 0 and its member id, and gets its state back.
        again = await h.heartbeat("a", 0, names=["t"], owned={}, rebalance_ms=REBALANCE_MS)
        assert again["member_epoch"] == 4 and again["assignment"]["topic_partitions"][0]["partitions"] == \
            sorted(a.owned[t])
        nursery.cancel_scope.cancel()


async def test_a_member_that_does_not_revoke_in_time_is_fenced(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 2)
        await h.heartbeat("a", 0, names=["t"], owned={}, rebalance_ms=10_000)
        b = await h.client("b")
        await h.heartbeat("a", 2, owned={t: {0, 1}})  # told to revoke one partition
        assert h.group().members["a"].state == MemberState.UNREVOKED_PARTITIONS
        await trio.sleep(9.9)
        await h.heartbeat("a", 2, owned={t: {0, 1}})  # still holding on: the deadline is not moved
        await b.beat()
        await trio.sleep(0.2)
        assert "a" not in h.group().members
        await b.beat()
        assert b.owned == {t: frozenset({0, 1})}
        nursery.cancel_scope.cancel()


async def test_a_subscription_change_revokes_and_assigns(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t, u = h.topics.create("t", 2), h.topics.create("u", 2)
        a = await h.client("a", names=("t",))
        assert a.owned == {t: frozenset({0, 1})}
        epoch = h.group().group_epoch
        response = await a.beat(names=["u"])
        assert h.group().group_epoch == epoch + 1
        assert (response["member_epoch"], a.owned) == (epoch, {})  # first give t up
        await a.beat()
        assert (a.epoch, a.owned) == (epoch + 1, {u: frozenset({0, 1})})
        assert h.group().subscribed_topics() == {"u"}
        nursery.cancel_scope.cancel()


async def test_new_partitions_and_topics_are_assigned_on_the_next_heartbeat(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        a = await h.client("a", names=("t", "later"))
        assert (a.epoch, a.owned) == (2, {})  # nothing exists yet
        t = h.topics.create("t", 2)
        await a.beat()
        assert (a.epoch, a.owned) == (3, {t: frozenset({0, 1})})
        h.topics.grow("t", 3)
        later = h.topics.create("later", 1)
        await a.beat()
        assert (a.epoch, a.owned) == (4, {t: frozenset({0, 1, 2}), later: frozenset({0})})
        nursery.cancel_scope.cancel()


async def test_a_regex_subscription_follows_matching_topics(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("__consumer_offsets", 50)
        orders = h.topics.create("orders-eu", 1)
        h.topics.create("not-orders", 1)
        a = await h.client("a", names=(), regex="orders-.*")
        assert a.owned == {orders: frozenset({0})}
        us = h.topics.create("orders-us", 2)
        await a.beat()
        assert a.owned == {orders: frozenset({0}), us: frozenset({0, 1})}
        assert h.group().subscribed_topics() == {"orders-eu", "orders-us"}
        nursery.cancel_scope.cancel()


async def test_a_group_keeps_its_type(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        busy = h.groups["busy"] = ClassicGroup("busy", protocol_type="connect")  # Kafka Connect's workers
        busy.members["x"] = object()
        busy.state = GroupState.STABLE
        refused = await h.heartbeat("m", 0, group_id="busy", names=["t"], owned={}, rebalance_ms=REBALANCE_MS)
        assert (refused["error_code"], refused["error_message"]) == (
            ErrorCode.GROUP_ID_NOT_FOUND, "Cannot upgrade classic group busy to consumer group because the group "
                                          "does not use the consumer embedded protocol.")
        assert (await h.heartbeat("m", 3, group_id="busy"))["error_message"] == "Group busy is not a consumer group."
        simple = h.groups["simple"] = ClassicGroup("simple")  # made by an offset commit: empty
        joined = await h.heartbeat("m", 0, group_id="simple", names=["t"], owned={}, rebalance_ms=REBALANCE_MS)
        assert joined["error_code"] == ErrorCode.NONE and simple.state == GroupState.DEAD
        assert isinstance(h.groups["simple"], ConsumerGroup)
        assert h.written[-1][0] == Tombstone(GroupMetadataKey("simple"))  # the classic group is deleted with it
        nursery.cancel_scope.cancel()


async def test_the_group_size_is_capped(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, max_size=1)
        await h.client("a")
        refused = await h.heartbeat("b", 0, names=["t"], owned={}, rebalance_ms=REBALANCE_MS)
        assert refused["error_code"] == ErrorCode.GROUP_MAX_SIZE_REACHED
        assert (await h.heartbeat("a", 0, names=["t"], owned={}, rebalance_ms=REBALANCE_MS))["error_code"] == ErrorCode.NONE
        nursery.cancel_scope.cancel()


async def test_offsets_are_committed_and_fetched_at_the_member_epoch(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 1)
        a = await h.client("a")
        group = h.group()
        group.check_offset_commit("a", a.epoch)
        group.check_offset_fetch("a", a.epoch)
        group.check_offset_fetch(None, -1)  # an admin reading offsets
        for check, args, code in [
            (group.check_offset_commit, ("a", a.epoch - 1), ErrorCode.STALE_MEMBER_EPOCH),
            (group.check_offset_commit, ("", -1), ErrorCode.UNKNOWN_MEMBER_ID),
            (group.check_offset_fetch, ("b", 1), ErrorCode.UNKNOWN_MEMBER_ID),
            (group.check_offset_fetch, ("a", a.epoch + 1), ErrorCode.STALE_MEMBER_EPOCH),
        ]:
            with pytest.raises(GroupError) as raised:
                check(*args)
            assert raised.value.code == code
        await h.heartbeat("a", -1)
        group.check_offset_commit("", -1)  # anyone may commit to an empty group
        nursery.cancel_scope.cancel()


def test_config_reads_kafka_properties_and_refuses_what_kafka_refuses():
    props = {"group.consumer.assignors": "org.apache.kafka.coordinator.group.assignor.RangeAssignor, uniform",
             "group.consumer.session.timeout.ms": "4000", "group.consumer.min.session.timeout.ms": "1000",
             "group.consumer.heartbeat.interval.ms": "300", "group.consumer.min.heartbeat.interval.ms": "100"}
    broker_config = SimpleNamespace(get=lambda name, default: props.get(name, default),
                                    get_int=lambda name, default: int(props.get(name, default)))
    config = ConsumerGroupConfig.from_broker(broker_config)
    assert (config.assignors, config.default_assignor, config.session_timeout_ms, config.heartbeat_interval_ms) == \
        (("range", "uniform"), "range", 4000, 300)
    for bad, message in [
        (dict(assignors=("sticky",)), "group.consumer.assignors must list assignors among ['range', 'uniform']"),
        (dict(session_timeout_ms=10_000), "group.consumer.session.timeout.ms must be greater than or equal to "
                                          "group.consumer.min.session.timeout.ms"),
        (dict(heartbeat_interval_ms=20_000), "group.consumer.heartbeat.interval.ms must be less than or equal to "
                                             "group.consumer.max.heartbeat.interval.ms"),
        (dict(session_timeout_ms=6000, min_session_timeout_ms=1000, heartbeat_interval_ms=6000,
              max_heartbeat_interval_ms=6000), "group.consumer.heartbeat.interval.ms must be less than "
                                               "group.consumer.session.timeout.ms"),
    ]:
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
            ConsumerGroupConfig(**bad)


async def test_members_joining_within_the_assignment_interval_wait_for_the_next_target(clock):
    """KIP-1263 (Kafka 4.3, group.consumer.assignment.interval.ms): the first target is computed at
    once; members that join within the interval of the last one reconcile towards that target
    (nothing for them, nothing revoked from the first member), and the first heartbeat after the
    interval computes the target for all."""
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, assignment_interval_ms=60_000)
        h.topics.create("t", 6)
        first = await h.client("m0")
        assert len(first.partitions()) == 6
        assigned_at = h.group().assignment_epoch
        others = [await h.client(f"m{i}") for i in (1, 2)]
        await settle(first, *others)
        assert [len(c.partitions()) for c in (first, *others)] == [6, 0, 0]
        assert h.group().assignment_epoch == assigned_at < h.group().group_epoch
        assert {c.epoch for c in (first, *others)} == {assigned_at}
        h.group().assignment_timestamp_ms -= 60_000  # the interval has passed (it is wall-clock time)
        await settle(first, *others)
        assert sorted(len(c.partitions()) for c in (first, *others)) == [2, 2, 2]
        assert h.group().assignment_epoch == h.group().group_epoch
        nursery.cancel_scope.cancel()
