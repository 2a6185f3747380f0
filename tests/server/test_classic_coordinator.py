"""The classic group protocol's state machine, on trio's virtual clock so timeouts are exact."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import trio
import trio.testing

from odradek.server.groups.classic_coordinator import ClassicCoordinator
from odradek.server.groups.classic_group import GroupState
from odradek.server.groups.group_config import GroupConfig
from odradek.server.groups.group_error import GroupError
from odradek.server.groups.scheduler import Scheduler
from odradek.wire import ErrorCode

SESSION_MS = 10_000
REBALANCE_MS = 30_000


@pytest.fixture
def clock():
    return trio.testing.MockClock(autojump_threshold=0)


class Harness:
    def __init__(self, nursery, delay_ms=0):
        self.stored = []
        self.replicated: trio.Event | None = None  # when set, stores wait for it (followers catching up)
        self.store_outcome = ErrorCode.NONE
        self.coordinator_error = ErrorCode.NONE
        self.scheduler = Scheduler()
        nursery.start_soon(self.scheduler.run)
        self.coordinator = ClassicCoordinator({}, GroupConfig(initial_rebalance_delay_ms=delay_ms),
                                              self.scheduler, self.store, self.check_coordinator)

    def store(self, group):
        """Records what is stored; it is replicated at once, or once ``replicated`` is set."""
        self.stored.append((group.state, group.generation))
        gate, outcome = self.replicated, self.store_outcome

        async def stored():
            if gate is not None:
                await gate.wait()
            return outcome
        return stored

    def check_coordinator(self, group_id):
        if self.coordinator_error != ErrorCode.NONE:
            raise GroupError(self.coordinator_error)

    def group(self, group_id="g"):
        return self.coordinator.groups[group_id]

    async def join(self, member_id="", protocols=(("range", b"sub"),), instance_id=None, version=9,
                   session_ms=SESSION_MS, protocol_type="consumer"):
        request = SimpleNamespace(
            group_id="g", session_timeout_ms=session_ms, rebalance_timeout_ms=REBALANCE_MS,
            member_id=member_id, group_instance_id=instance_id, protocol_type=protocol_type,
            protocols=[SimpleNamespace(name=n, metadata=m) for n, m in protocols], reason=None)
        return await self.coordinator.join(request, version, "client", "/127.0.0.1")

    async def join_new(self, **kwargs):
        """A dynamic member's two-step join (KIP-394)."""
        first = await self.join(**kwargs)
        assert first["error_code"] == ErrorCode.MEMBER_ID_REQUIRED
        return await self.join(member_id=first["member_id"], **kwargs)

    async def sync(self, member_id, generation, assignments=(), instance_id=None):
        request = SimpleNamespace(
            group_id="g", generation_id=generation, member_id=member_id, group_instance_id=instance_id,
            protocol_type="consumer", protocol_name=None,
            assignments=[SimpleNamespace(member_id=m, assignment=a) for m, a in assignments])
        return await self.coordinator.sync(request)

    def heartbeat(self, member_id, generation, instance_id=None):
        return self.coordinator.heartbeat(SimpleNamespace(
            group_id="g", generation_id=generation, member_id=member_id, group_instance_id=instance_id))


async def test_single_member_joins_syncs_and_is_stable(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        joined = await h.join_new()
        assert joined["error_code"] == ErrorCode.NONE
        assert joined["generation_id"] == 1 and joined["leader"] == joined["member_id"]
        assert joined["protocol_name"] == "range"
        assert [m["metadata"] for m in joined["members"]] == [b"sub"]
        me = joined["member_id"]
        synced = await h.sync(me, 1, [(me, b"assignment")])
        assert (synced["error_code"], synced["assignment"]) == (ErrorCode.NONE, b"assignment")
        assert h.group().state == GroupState.STABLE
        assert h.stored[-1] == (GroupState.COMPLETING_REBALANCE, 1)  # stored before the group is Stable
        assert h.heartbeat(me, 1) == ErrorCode.NONE
        assert h.heartbeat(me, 0) == ErrorCode.ILLEGAL_GENERATION
        assert h.heartbeat("stranger", 1) == ErrorCode.UNKNOWN_MEMBER_ID
        nursery.cancel_scope.cancel()


async def test_second_member_triggers_a_rebalance_that_waits_for_the_first(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        first = await h.join_new()
        a = first["member_id"]
        await h.sync(a, 1, [(a, b"all")])
        results = {}

        async def second():
            results["b"] = await h.join_new()

        nursery.start_soon(second)
        await trio.testing.wait_all_tasks_blocked()
        assert h.group().state == GroupState.PREPARING_REBALANCE
        assert h.heartbeat(a, 1) == ErrorCode.REBALANCE_IN_PROGRESS
        rejoined = await h.join(member_id=a)
        await trio.testing.wait_all_tasks_blocked()
        b = results["b"]
        assert rejoined["generation_id"] == b["generation_id"] == 2
        assert rejoined["leader"] == a and len(rejoined["members"]) == 2 and b["members"] == []

        async def follower_sync():
            results["b-sync"] = await h.sync(b["member_id"], 2)

        nursery.start_soon(follower_sync)
        await trio.testing.wait_all_tasks_blocked()
        assert "b-sync" not in results  # followers wait for the leader's assignment
        leader_sync = await h.sync(a, 2, [(a, b"half-a"), (b["member_id"], b"half-b")])
        await trio.testing.wait_all_tasks_blocked()
        assert leader_sync["assignment"] == b"half-a"
        assert results["b-sync"]["assignment"] == b"half-b"
        nursery.cancel_scope.cancel()


async def test_silent_member_is_removed_after_its_session_timeout(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        me = (await h.join_new())["member_id"]
        await h.sync(me, 1, [(me, b"x")])
        await trio.sleep(SESSION_MS / 1000 - 0.5)
        assert h.heartbeat(me, 1) == ErrorCode.NONE  # still alive, and the timer restarts
        await trio.sleep(SESSION_MS / 1000 - 0.5)
        assert me in h.group().members
        await trio.sleep(1)
        assert h.group().members == {} and h.group().state == GroupState.EMPTY
        assert h.group().generation == 2
        nursery.cancel_scope.cancel()


async def test_initial_delay_gathers_members_into_one_generation(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, delay_ms=3000)
        answers = []

        async def member(after):
            await trio.sleep(after)
            answers.append(await h.join_new())

        start = trio.current_time()
        nursery.start_soon(member, 0)
        nursery.start_soon(member, 2)
        while len(answers) < 2:
            await trio.sleep(0.1)
        assert {a["generation_id"] for a in answers} == {1}
        # the second join extended the delay: 2 s + 3 s
        assert trio.current_time() - start == pytest.approx(5, abs=0.15)
        nursery.cancel_scope.cancel()


async def test_member_that_does_not_rejoin_is_dropped_at_the_rebalance_timeout(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        a = (await h.join_new(session_ms=60_000))["member_id"]
        await h.sync(a, 1, [(a, b"x")])
        start = trio.current_time()
        b = await h.join_new(session_ms=60_000)  # a never rejoins
        assert trio.current_time() - start == pytest.approx(REBALANCE_MS / 1000, abs=0.05)
        assert b["generation_id"] == 2 and b["leader"] == b["member_id"]
        assert list(h.group().members) == [b["member_id"]]
        nursery.cancel_scope.cancel()


async def test_static_member_restart_keeps_its_assignment_without_rebalance(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        first = await h.join(instance_id="worker-1")  # static members skip MEMBER_ID_REQUIRED
        old = first["member_id"]
        await h.sync(old, 1, [(old, b"mine")], instance_id="worker-1")
        again = await h.join(instance_id="worker-1")
        assert again["error_code"] == ErrorCode.NONE
        assert again["generation_id"] == 1 and again["member_id"] != old
        assert (await h.sync(again["member_id"], 1, instance_id="worker-1"))["assignment"] == b"mine"
        assert h.heartbeat(old, 1, instance_id="worker-1") == ErrorCode.FENCED_INSTANCE_ID
        assert h.group().state == GroupState.STABLE
        nursery.cancel_scope.cancel()


async def test_leave_triggers_a_rebalance_for_the_rest(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        a, b = await two_members_completing_a_rebalance(h, nursery)
        assert h.coordinator.leave("g", [(a, None), ("ghost", None)]) == [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]
        assert h.group().state == GroupState.PREPARING_REBALANCE
        again = await h.join(member_id=b)
        assert again["generation_id"] == 3 and again["leader"] == b
        nursery.cancel_scope.cancel()


async def test_leader_that_never_syncs_is_removed_at_the_sync_deadline(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        a = (await h.join_new(session_ms=60_000))["member_id"]
        assert h.group().state == GroupState.COMPLETING_REBALANCE
        await trio.sleep(REBALANCE_MS / 1000 + 0.1)
        assert h.group().state == GroupState.EMPTY and a not in h.group().members
        nursery.cancel_scope.cancel()


async def test_join_refusals(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        assert (await h.join(session_ms=10))["error_code"] == ErrorCode.INVALID_SESSION_TIMEOUT
        assert (await h.join(member_id="made-up"))["error_code"] == ErrorCode.UNKNOWN_MEMBER_ID
        assert (await h.join(protocols=()))["error_code"] == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
        await h.join_new(protocols=(("range", b""),))
        other = await h.join(protocols=(("roundrobin", b""),))
        assert other["error_code"] == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
        old_client = await h.join(version=3, protocols=(("range", b""), ("roundrobin", b"")))
        assert old_client["error_code"] == ErrorCode.NONE  # before v4 no MEMBER_ID_REQUIRED step
        nursery.cancel_scope.cancel()


async def two_members_completing_a_rebalance(h, nursery):
    """Members a (the leader) and b in generation 2, neither synced yet."""
    a = (await h.join_new())["member_id"]
    await h.sync(a, 1, [(a, b"all")])
    results = {}

    async def second():
        results["b"] = await h.join_new()

    nursery.start_soon(second)
    await trio.testing.wait_all_tasks_blocked()
    await h.join(member_id=a)
    await trio.testing.wait_all_tasks_blocked()
    assert h.group().state == GroupState.COMPLETING_REBALANCE
    return a, results["b"]["member_id"]


async def test_the_assignment_is_answered_once_stored_on_every_in_sync_replica(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        a, b = await two_members_completing_a_rebalance(h, nursery)
        h.replicated = trio.Event()
        results = {}

        async def sync(member, assignments=()):
            results[member] = await h.sync(member, 2, assignments)

        nursery.start_soon(sync, b)
        nursery.start_soon(sync, a, [(a, b"half-a"), (b, b"half-b")])
        await trio.testing.wait_all_tasks_blocked()
        assert results == {} and h.group().state == GroupState.COMPLETING_REBALANCE
        assert h.stored[-1] == (GroupState.COMPLETING_REBALANCE, 2)
        h.replicated.set()
        await trio.testing.wait_all_tasks_blocked()
        assert (results[a]["assignment"], results[b]["assignment"]) == (b"half-a", b"half-b")
        assert h.group().state == GroupState.STABLE
        nursery.cancel_scope.cancel()


async def test_an_assignment_that_could_not_be_stored_fails_the_sync_and_the_group_rebalances(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        a, b = await two_members_completing_a_rebalance(h, nursery)
        h.store_outcome = ErrorCode.COORDINATOR_NOT_AVAILABLE
        results = {}

        async def follower():
            results[b] = await h.sync(b, 2)

        nursery.start_soon(follower)
        await trio.testing.wait_all_tasks_blocked()
        leader = await h.sync(a, 2, [(a, b"half-a"), (b, b"half-b")])
        await trio.testing.wait_all_tasks_blocked()
        assert leader == {"error_code": ErrorCode.COORDINATOR_NOT_AVAILABLE, "assignment": b""}
        assert results[b] == {"error_code": ErrorCode.COORDINATOR_NOT_AVAILABLE, "assignment": b""}
        assert h.group().state == GroupState.PREPARING_REBALANCE
        assert all(m.assignment == b"" for m in h.group().members.values())
        nursery.cancel_scope.cancel()


async def test_a_group_this_broker_stops_coordinating_tells_its_waiting_members(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        a, b = await two_members_completing_a_rebalance(h, nursery)
        results = {}

        async def follower():
            results[b] = await h.sync(b, 2)

        nursery.start_soon(follower)
        await trio.testing.wait_all_tasks_blocked()
        group = h.group()
        del h.coordinator.groups["g"]
        h.coordinator.unload(group)
        await trio.testing.wait_all_tasks_blocked()
        assert results[b] == {"error_code": ErrorCode.NOT_COORDINATOR, "assignment": b""}
        assert group.state == GroupState.DEAD
        h.coordinator_error = ErrorCode.NOT_COORDINATOR
        assert (await h.join(member_id=a))["error_code"] == ErrorCode.NOT_COORDINATOR
        assert h.heartbeat(a, 2) == ErrorCode.NOT_COORDINATOR
        h.coordinator_error = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        assert h.heartbeat(a, 2) == ErrorCode.NONE  # answered blindly while the group loads, as Kafka does
        assert (await h.sync(a, 2))["error_code"] == ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        nursery.cancel_scope.cancel()
