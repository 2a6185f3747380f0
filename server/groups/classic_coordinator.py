"""The classic group protocol: JoinGroup, SyncGroup, Heartbeat and LeaveGroup, as Kafka runs it.

A rebalance gathers every member in JoinGroup (each request waits), picks the protocol all members
support, and answers them together: the leader receives every member's subscription and sends the
assignment back in SyncGroup, which every member waits on. Deadlines drive the rest: members that
stop heartbeating are removed after their session timeout, members that do not rejoin within the
rebalance timeout are dropped, a new group waits ``group.initial.rebalance.delay.ms`` for more
members before its first generation, and members handed an ID with MEMBER_ID_REQUIRED must come
back within their session timeout.

A group's metadata is stored in ``__consumer_offsets`` when a generation's assignment arrives,
and the group becomes Stable, and its members get their assignments, only once that write is on
every in-sync replica (Kafka's SyncGroup waits the same way); a static member taking over its old
identity waits for it too. When this broker stops coordinating a group (its partition moved to
another leader), members waiting in JoinGroup or SyncGroup are told NOT_COORDINATOR.

A group ID may name a consumer group (KIP-848) instead: these requests then go to the consumer
coordinator (``consumer_classic_members``), which serves classic-protocol members of consumer
groups, as after an online upgrade; a JoinGroup to an empty consumer group replaces it with a
classic group. A group downgraded from the consumer protocol is taken over here (``take_over``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import trio

from odradek.wire import ErrorCode

from . import group_types
from .classic_group import ClassicGroup, ClassicMember, GroupState
from .consumer_group import ConsumerGroup
from .group_config import GroupConfig
from .group_error import GroupError
from .reply import Reply
from .scheduler import Scheduler

log = logging.getLogger("odradek.groups")

FIRST_MEMBER_ID_REQUIRED_VERSION = 4
FIRST_SKIP_ASSIGNMENT_VERSION = 9  # KIP-814

#: Stores a group's metadata now; the returned function waits until it is replicated: NONE, or
#: the error to answer (Kafka's for group metadata writes).
StoreGroup = Callable[[ClassicGroup], Callable[[], Awaitable[ErrorCode]]]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _coordinates_every_group(group_id: str) -> None:
    pass


@dataclass
class _AfterStore:
    """An answer that waits until the group's metadata is stored: ``then`` turns the outcome of
    ``stored()`` into the answer (or the Reply that will carry it)."""

    stored: Callable[[], Awaitable[ErrorCode]]
    then: Callable[[ErrorCode], Reply | dict]


async def _answer(result: Reply | dict | _AfterStore) -> dict:
    if isinstance(result, _AfterStore):
        result = result.then(await result.stored())
    if isinstance(result, dict):
        return result
    return await result.wait()


class ClassicCoordinator:
    def __init__(
        self,
        groups: dict,
        config: GroupConfig,
        scheduler: Scheduler,
        store_group: StoreGroup,
        check_coordinator: Callable[[str], None] = _coordinates_every_group,
        consumer=None,
    ):
        self.groups = groups  # shared with the other group types: a group ID names one group
        self.config = config
        self.scheduler = scheduler
        self.store_group = store_group
        self.check_coordinator = check_coordinator  # raises GroupError unless this broker coordinates the group
        self.consumer = consumer  # the ConsumerCoordinator, which serves consumer groups' classic members

    # -- lookups -------------------------------------------------------------------------------

    def classic_group(self, group_id: str) -> ClassicGroup | None:
        group = self.groups.get(group_id)
        if group is not None and not isinstance(group, ClassicGroup):
            raise GroupError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
                             f"Group {group_id} is not a classic group")
        return group

    def _joined_group(self, group_id: str) -> ClassicGroup | None:
        """The group a SyncGroup, Heartbeat or LeaveGroup names; Kafka answers these for a share
        group as for a group it does not know."""
        group = self.groups.get(group_id)
        if group is not None and group.group_type == group_types.SHARE:
            raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID, f"Group {group_id} not found.")
        return self.classic_group(group_id)

    def _current_member(self, request) -> tuple[ClassicGroup, ClassicMember]:
        """The group and member a SyncGroup or Heartbeat names, checked as Kafka checks them."""
        self.check_coordinator(request.group_id)
        group = self._joined_group(request.group_id)
        if group is None:
            raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
        if group.state == GroupState.DEAD:
            raise GroupError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        member = self._known_member(group, request.member_id, request.group_instance_id)
        if request.generation_id != group.generation:
            raise GroupError(ErrorCode.ILLEGAL_GENERATION)
        return group, member

    def _known_member(self, group: ClassicGroup, member_id: str, instance_id: str | None) -> ClassicMember:
        if instance_id is not None:
            owner = group.static_members.get(instance_id)
            if owner is not None and owner != member_id:
                raise GroupError(ErrorCode.FENCED_INSTANCE_ID)
        member = group.members.get(member_id)
        if member is None:
            raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
        return member

    # -- JoinGroup -----------------------------------------------------------------------------

    async def join(self, request, version: int, client_id: str, client_host: str) -> dict:
        try:
            consumer_group = self._consumer_group(request.group_id)
            if consumer_group is not None:
                self._check_join(request)
                if not consumer_group.is_empty:
                    return await self.consumer.classic_join(request, version, client_id, client_host)
                self.consumer.replace_empty(consumer_group)
            result = self._join(request, version, client_id, client_host)
        except GroupError as exc:
            return _join_error(exc.code, request.member_id)
        return await _answer(result)

    def _consumer_group(self, group_id: str):
        """The consumer group (KIP-848) the ID names, if it names one that this broker coordinates."""
        group = self.groups.get(group_id)
        if not isinstance(group, ConsumerGroup) or self.consumer is None:
            return None
        self.check_coordinator(group_id)
        return group

    def _check_join(self, request) -> None:
        if not (self.config.min_session_timeout_ms <= request.session_timeout_ms
                <= self.config.max_session_timeout_ms):
            raise GroupError(ErrorCode.INVALID_SESSION_TIMEOUT)
        if not request.protocol_type or not request.protocols:
            raise GroupError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)

    def _join(self, request, version: int, client_id: str, client_host: str) -> Reply | dict | _AfterStore:
        group_id, member_id = request.group_id, request.member_id
        if not group_id:
            raise GroupError(ErrorCode.INVALID_GROUP_ID)
        self.check_coordinator(group_id)
        if not (self.config.min_session_timeout_ms <= request.session_timeout_ms
                <= self.config.max_session_timeout_ms):
            raise GroupError(ErrorCode.INVALID_SESSION_TIMEOUT)
        protocols = [(p.name, bytes(p.metadata)) for p in request.protocols]
        if not request.protocol_type or not protocols:
            raise GroupError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
        group = self.classic_group(group_id)
        if group is None:
            if member_id:
                raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
            group = self.groups[group_id] = ClassicGroup(group_id, state_timestamp_ms=_now_ms())
        if group.state == GroupState.DEAD:
            raise GroupError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        if not group.supports(request.protocol_type, [name for name, _ in protocols]):
            raise GroupError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
        rebalance_timeout = request.rebalance_timeout_ms
        if rebalance_timeout < 0:  # v0 has none: Kafka uses the session timeout
            rebalance_timeout = request.session_timeout_ms
        spec = dict(
            group_instance_id=request.group_instance_id, client_id=client_id, client_host=client_host,
            session_timeout_ms=request.session_timeout_ms, rebalance_timeout_ms=rebalance_timeout,
            protocol_type=request.protocol_type, protocols=protocols,
        )
        if not member_id:
            return self._join_unknown_member(group, version, spec)
        return self._join_known_member(group, member_id, spec)

    def _join_unknown_member(self, group: ClassicGroup, version: int, spec: dict) -> Reply | dict | _AfterStore:
        instance_id = spec["group_instance_id"]
        new_id = f"{instance_id or spec['client_id']}-{uuid.uuid4()}"  # Kafka's member ID form
        if instance_id is not None and instance_id in group.static_members:
            return self._replace_static_member(group, group.static_members[instance_id], new_id, spec, version)
        if len(group.members) + len(group.pending_members) >= self.config.max_size:
            raise GroupError(ErrorCode.GROUP_MAX_SIZE_REACHED)
        if instance_id is None and version >= FIRST_MEMBER_ID_REQUIRED_VERSION:
            # KIP-394: hand out the ID first, so a client that dies mid-join leaves no ghost member.
            group.pending_members.add(new_id)
            self.scheduler.after(("pending", group.group_id, new_id), spec["session_timeout_ms"] / 1000,
                                 lambda: self._expire_pending(group, new_id))
            return _join_error(ErrorCode.MEMBER_ID_REQUIRED, new_id)
        return self._add_member_and_rebalance(group, new_id, spec)

    def _join_known_member(self, group: ClassicGroup, member_id: str, spec: dict) -> Reply | dict:
        if member_id in group.pending_members:
            group.pending_members.discard(member_id)
            self.scheduler.cancel(("pending", group.group_id, member_id))
            return self._add_member_and_rebalance(group, member_id, spec)
        member = self._known_member(group, member_id, spec["group_instance_id"])
        if group.state == GroupState.PREPARING_REBALANCE:
            return self._update_member_and_wait(group, member, spec)
        if group.state == GroupState.COMPLETING_REBALANCE:
            if member.protocols == spec["protocols"]:
                return self._join_answer(group, member)  # a retry: same answer as before
            return self._update_member_and_rebalance(group, member, spec, "protocols changed")
        if group.state == GroupState.STABLE:
            if member.member_id == group.leader_id or member.protocols != spec["protocols"]:
                return self._update_member_and_rebalance(group, member, spec, "leader or protocols rejoined")
            return self._join_answer(group, member)
        raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID)

    def _add_member_and_rebalance(self, group: ClassicGroup, member_id: str, spec: dict) -> Reply:
        member = ClassicMember(member_id, **spec)
        reply = member.join_reply = Reply()
        group.add(member)
        self._schedule_session(group, member)
        if group.state == GroupState.PREPARING_REBALANCE:
            self._member_joined(group)
        else:
            self._prepare_rebalance(group, f"member {member_id} joined")
        return reply  # (the join may already have completed and sent it)

    def _update_member_and_wait(self, group: ClassicGroup, member: ClassicMember, spec: dict) -> Reply:
        _update(member, spec)
        if member.join_reply is not None:
            member.join_reply.send(_join_error(ErrorCode.REBALANCE_IN_PROGRESS, member.member_id))
        reply = member.join_reply = Reply()
        self._schedule_session(group, member)
        self._member_joined(group)
        return reply

    def _update_member_and_rebalance(self, group, member, spec, reason: str) -> Reply:
        _update(member, spec)
        reply = member.join_reply = Reply()
        self._schedule_session(group, member)
        self._prepare_rebalance(group, reason)
        return reply

    def _replace_static_member(self, group: ClassicGroup, old_id: str, new_id: str, spec: dict,
                               version: int) -> Reply | dict | _AfterStore:
        """KIP-345: a restarted static member takes over its old identity under a new member ID;
        in a stable group with unchanged protocols it gets its assignment back, no rebalance."""
        old = group.members[old_id]
        if old.join_reply is not None:
            old.join_reply.send(_join_error(ErrorCode.FENCED_INSTANCE_ID, old_id))
        if old.sync_reply is not None:
            old.sync_reply.send({"error_code": ErrorCode.FENCED_INSTANCE_ID, "assignment": b""})
        self.scheduler.cancel(("session", group.group_id, old_id))
        was_leader = group.leader_id == old_id
        group.remove(old_id)
        member = ClassicMember(new_id, **spec)
        member.assignment = old.assignment
        member.is_new = False
        group.add(member)
        if was_leader:
            group.leader_id = new_id
        self._schedule_session(group, member)
        if group.state == GroupState.STABLE and old.protocols == spec["protocols"]:
            answer = self._join_answer(group, member)
            if version >= FIRST_SKIP_ASSIGNMENT_VERSION:
                answer["skip_assignment"] = was_leader  # it leads, but need not assign again
            else:
                # Before SkipAssignment, a member told it leads runs its assignor, and a stable
                # group would never deliver that assignment: name the old leader instead.
                answer["leader"] = old_id if was_leader else group.leader_id
                answer["members"] = []
            return _AfterStore(self.store_group(group),
                               lambda code: answer if code == ErrorCode.NONE else _join_error(code, new_id))
        reply = member.join_reply = Reply()
        if group.state == GroupState.PREPARING_REBALANCE:
            self._member_joined(group)
        else:
            self._prepare_rebalance(group, f"static member {spec['group_instance_id']} rejoined")
        return reply

    def _join_answer(self, group: ClassicGroup, member: ClassicMember) -> dict:
        is_leader = member.member_id == group.leader_id
        return {
            "error_code": ErrorCode.NONE,
            "generation_id": group.generation,
            "protocol_type": group.protocol_type,
            "protocol_name": group.protocol_name,
            "leader": group.leader_id or "",
            "skip_assignment": False,
            "member_id": member.member_id,
            "members": [
                {"member_id": m.member_id, "group_instance_id": m.group_instance_id,
                 "metadata": m.metadata_for(group.protocol_name)}
                for m in group.members.values()
            ] if is_leader else [],
        }

    # -- the rebalance -------------------------------------------------------------------------

    def _prepare_rebalance(self, group: ClassicGroup, reason: str) -> None:
        if group.state == GroupState.COMPLETING_REBALANCE:
            for member in group.members.values():
                member.assignment = b""
                if member.sync_reply is not None:
                    member.sync_reply.send({"error_code": ErrorCode.REBALANCE_IN_PROGRESS, "assignment": b""})
                    member.sync_reply = None
        self.scheduler.cancel(("sync", group.group_id))
        was_empty = group.state == GroupState.EMPTY
        group.state = GroupState.PREPARING_REBALANCE
        group.state_timestamp_ms = _now_ms()
        now = trio.current_time()
        group.rebalance_started = now
        timeout = group.max_rebalance_timeout_ms() / 1000
        if was_empty and self.config.initial_rebalance_delay_ms > 0:
            delay = min(self.config.initial_rebalance_delay_ms / 1000, timeout)
            group.initial_rebalance_until = now + delay
            self.scheduler.at(("join", group.group_id), now + delay, lambda: self._join_deadline(group))
        else:
            group.initial_rebalance_until = None
            self.scheduler.at(("join", group.group_id), now + timeout, lambda: self._join_deadline(group))
        log.info("Preparing to rebalance group %s in state PreparingRebalance with old generation %d (%s)",
                 group.group_id, group.generation, reason)
        self._member_joined(group)

    def _member_joined(self, group: ClassicGroup) -> None:
        """After a join in PreparingRebalance: extend the initial delay, or finish if all are in."""
        if group.initial_rebalance_until is not None:
            now = trio.current_time()
            limit = group.rebalance_started + group.max_rebalance_timeout_ms() / 1000
            delay = self.config.initial_rebalance_delay_ms / 1000
            deadline = min(now + delay, limit)
            if deadline > group.initial_rebalance_until:
                group.initial_rebalance_until = deadline
                self.scheduler.at(("join", group.group_id), deadline, lambda: self._join_deadline(group))
            return
        if group.all_rejoined():
            self._complete_join(group)

    def _join_deadline(self, group: ClassicGroup) -> None:
        if group.state == GroupState.PREPARING_REBALANCE:
            self._complete_join(group)

    def _complete_join(self, group: ClassicGroup) -> None:
        self.scheduler.cancel(("join", group.group_id))
        group.initial_rebalance_until = None
        for member in [m for m in group.members.values() if m.join_reply is None]:
            log.info("Member %s of group %s did not rejoin in time; removing it", member.member_id, group.group_id)
            self._drop_member(group, member)
        for pending in list(group.pending_members):
            self.scheduler.cancel(("pending", group.group_id, pending))
        group.pending_members.clear()
        group.generation += 1
        group.state_timestamp_ms = _now_ms()
        if group.is_empty:
            group.state = GroupState.EMPTY
            group.protocol_name = None
            group.leader_id = None
            log.info("Group %s with generation %d is now empty", group.group_id, group.generation)
            self.store_group(group)  # not waited for, as in Kafka: nobody is waiting for an answer
            return
        group.protocol_name = group.select_protocol()
        if group.leader_id not in group.members:
            group.leader_id = next(iter(group.members))
        group.state = GroupState.COMPLETING_REBALANCE
        log.info("Stabilized group %s generation %d (protocol %s) with %d members", group.group_id,
                 group.generation, group.protocol_name, len(group.members))
        for member in group.members.values():
            reply, member.join_reply = member.join_reply, None
            member.is_new = False
            reply.send(self._join_answer(group, member))
            self._schedule_session(group, member)
        self.scheduler.after(("sync", group.group_id), group.max_rebalance_timeout_ms() / 1000,
                             lambda: self._sync_deadline(group, group.generation))

    def _sync_deadline(self, group: ClassicGroup, generation: int) -> None:
        """Members that never sent SyncGroup in time are removed, and the group rebalances."""
        if group.state != GroupState.COMPLETING_REBALANCE or group.generation != generation:
            return
        for member in [m for m in group.members.values() if m.sync_reply is None]:
            self._drop_member(group, member)
        self._prepare_rebalance(group, "members did not sync in time")

    # -- SyncGroup -----------------------------------------------------------------------------

    async def sync(self, request) -> dict:
        try:
            consumer_group = self._consumer_group(request.group_id)
            if consumer_group is not None:
                if consumer_group.is_empty:
                    raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
                return self.consumer.classic_sync(request)
            result = self._sync(request)
        except GroupError as exc:
            return {"error_code": exc.code, "assignment": b""}
        return await _answer(result)

    def _sync(self, request) -> Reply | dict | _AfterStore:
        group, member = self._current_member(request)
        if ((request.protocol_type is not None and request.protocol_type != group.protocol_type)
                or (request.protocol_name is not None and request.protocol_name != group.protocol_name)):
            raise GroupError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
        if group.state == GroupState.PREPARING_REBALANCE:
            raise GroupError(ErrorCode.REBALANCE_IN_PROGRESS)
        if group.state == GroupState.STABLE:
            return self._sync_answer(group, member)
        if group.state != GroupState.COMPLETING_REBALANCE:
            raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
        self._schedule_session(group, member)
        if member.member_id != group.leader_id:
            member.sync_reply = Reply()
            return member.sync_reply
        assignments = {a.member_id: bytes(a.assignment) for a in request.assignments}
        for m in group.members.values():
            m.assignment = assignments.get(m.member_id, b"")
        self.scheduler.cancel(("sync", group.group_id))
        group.state_timestamp_ms = _now_ms()
        reply = member.sync_reply = Reply()
        generation = group.generation
        return _AfterStore(self.store_group(group),
                           lambda code: self._assignment_stored(group, generation, member, reply, code))

    def _assignment_stored(self, group: ClassicGroup, generation: int, leader: ClassicMember, reply: Reply,
                           code: ErrorCode) -> Reply:
        """The leader's assignment is stored (or could not be): the group becomes Stable and every
        member waiting in SyncGroup gets its assignment, or they all get the error and the group
        rebalances (Kafka's resetAndPropagateAssignmentError). Nothing changes if the group has
        moved on meanwhile: whatever moved it answered the members."""
        if group.state == GroupState.COMPLETING_REBALANCE and group.generation == generation:
            if code == ErrorCode.NONE:
                group.state = GroupState.STABLE
                for m in group.members.values():
                    if m.sync_reply is not None:
                        waiting, m.sync_reply = m.sync_reply, None
                        waiting.send(self._sync_answer(group, m))
            else:
                log.info("Could not store the assignment of group %s generation %d: %s", group.group_id,
                         generation, code.name)
                for m in group.members.values():
                    m.assignment = b""
                    if m.sync_reply is not None:
                        waiting, m.sync_reply = m.sync_reply, None
                        waiting.send({"error_code": code, "assignment": b""})
                self._prepare_rebalance(group, f"storing the assignment failed with {code.name}")
        if not reply.sent:  # the leader sent SyncGroup again meanwhile, and that one was answered
            stable = group.state == GroupState.STABLE and group.members.get(leader.member_id) is leader
            reply.send(self._sync_answer(group, leader) if stable else
                       {"error_code": code or ErrorCode.REBALANCE_IN_PROGRESS, "assignment": b""})
        return reply

    def _sync_answer(self, group: ClassicGroup, member: ClassicMember) -> dict:
        return {"error_code": ErrorCode.NONE, "protocol_type": group.protocol_type,
                "protocol_name": group.protocol_name, "assignment": member.assignment}

    # -- Heartbeat and LeaveGroup --------------------------------------------------------------

    def heartbeat(self, request) -> ErrorCode:
        try:
            if self._consumer_group(request.group_id) is not None:
                return self.consumer.classic_heartbeat(request)
            group, member = self._current_member(request)
        except GroupError as exc:
            # A coordinator still loading the group answers blindly, as Kafka's does: the member
            # keeps its session, and hears of a rebalance once the group is back.
            return ErrorCode.NONE if exc.code == ErrorCode.COORDINATOR_LOAD_IN_PROGRESS else exc.code
        self._schedule_session(group, member)
        if group.state == GroupState.PREPARING_REBALANCE:
            return ErrorCode.REBALANCE_IN_PROGRESS
        return ErrorCode.NONE

    async def leave_group(self, group_id: str, leaving: list[tuple[str, str | None]]) -> list[ErrorCode]:
        """LeaveGroup, to a classic group or to a consumer group's classic members (answered once
        their departure is stored); one error code per member."""
        if self._consumer_group(group_id) is None:
            return self.leave(group_id, leaving)
        codes, replicated = self.consumer.classic_leave(group_id, leaving)
        code = await replicated()
        if code != ErrorCode.NONE:
            raise GroupError(code)
        return codes

    def leave(self, group_id: str, leaving: list[tuple[str, str | None]]) -> list[ErrorCode]:
        """Remove each (member id, group instance id); one error code per member."""
        self.check_coordinator(group_id)
        group = self._joined_group(group_id)
        if group is None:
            raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
        if group.state == GroupState.DEAD:
            raise GroupError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        results = []
        removed = False
        for member_id, instance_id in leaving:
            if instance_id is not None:
                owner = group.static_members.get(instance_id)
                if owner is None:
                    results.append(ErrorCode.UNKNOWN_MEMBER_ID)
                    continue
                if member_id and member_id != owner:
                    results.append(ErrorCode.FENCED_INSTANCE_ID)
                    continue
                member_id = owner
            if member_id in group.pending_members:
                group.pending_members.discard(member_id)
                self.scheduler.cancel(("pending", group.group_id, member_id))
                results.append(ErrorCode.NONE)
                removed = True
                continue
            member = group.members.get(member_id)
            if member is None:
                results.append(ErrorCode.UNKNOWN_MEMBER_ID)
                continue
            log.info("Member %s is leaving group %s", member_id, group_id)
            self._drop_member(group, member)
            results.append(ErrorCode.NONE)
            removed = True
        if removed:
            self._after_removal(group, "members left")
        return results

    # -- removals and deadlines ----------------------------------------------------------------

    def _schedule_session(self, group: ClassicGroup, member: ClassicMember) -> None:
        self.scheduler.after(("session", group.group_id, member.member_id), member.session_timeout_ms / 1000,
                             lambda: self._expire_member(group, member.member_id))

    def _expire_member(self, group: ClassicGroup, member_id: str) -> None:
        member = group.members.get(member_id)
        if member is None or self.groups.get(group.group_id) is not group:
            return
        if member.join_reply is not None or member.sync_reply is not None:
            # Waiting in JoinGroup or SyncGroup counts as alive; the rebalance and sync
            # deadlines bound that wait instead.
            self._schedule_session(group, member)
            return
        log.info("Member %s in group %s has failed (session timeout), removing it", member_id, group.group_id)
        self._drop_member(group, member)
        self._after_removal(group, f"member {member_id} expired")

    def _expire_pending(self, group: ClassicGroup, member_id: str) -> None:
        if member_id in group.pending_members:
            group.pending_members.discard(member_id)
            if group.state == GroupState.PREPARING_REBALANCE:
                self._member_joined(group)

    def _drop_member(self, group: ClassicGroup, member: ClassicMember) -> None:
        self.scheduler.cancel(("session", group.group_id, member.member_id))
        if member.join_reply is not None:
            member.join_reply.send(_join_error(ErrorCode.UNKNOWN_MEMBER_ID, member.member_id))
        if member.sync_reply is not None:
            member.sync_reply.send({"error_code": ErrorCode.UNKNOWN_MEMBER_ID, "assignment": b""})
        group.remove(member.member_id)

    def _after_removal(self, group: ClassicGroup, reason: str) -> None:
        if group.state in (GroupState.STABLE, GroupState.COMPLETING_REBALANCE):
            self._prepare_rebalance(group, reason)
        elif group.state == GroupState.PREPARING_REBALANCE:
            self._member_joined(group)

    # -- taking groups over and handing them on ------------------------------------------------

    def unload(self, group: ClassicGroup) -> None:
        """This broker no longer coordinates the group (Kafka's onGroupUnloaded): it is Dead here,
        its deadlines are off, and members waiting in JoinGroup or SyncGroup are told
        NOT_COORDINATOR, so that they find its new coordinator."""
        group.state = GroupState.DEAD
        self._cancel_deadlines(group)
        for member in group.members.values():
            if member.join_reply is not None:
                member.join_reply.send(_join_error(ErrorCode.NOT_COORDINATOR, member.member_id))
                member.join_reply = None
            if member.sync_reply is not None:
                member.sync_reply.send({"error_code": ErrorCode.NOT_COORDINATOR, "assignment": b""})
                member.sync_reply = None

    def hand_over(self, group: ClassicGroup) -> None:
        """The group becomes a consumer group (online upgrade): its deadlines are off, and
        members waiting in JoinGroup or SyncGroup are told to rejoin, as Kafka tells them."""
        self._cancel_deadlines(group)
        for member in group.members.values():
            if member.join_reply is not None:
                member.join_reply.send(_join_error(ErrorCode.REBALANCE_IN_PROGRESS, member.member_id))
                member.join_reply = None
            if member.sync_reply is not None:
                member.sync_reply.send({"error_code": ErrorCode.REBALANCE_IN_PROGRESS, "assignment": b""})
                member.sync_reply = None

    def take_back(self, group: ClassicGroup) -> None:
        """An upgrade that could not be stored: the classic group goes on, rebalancing if it was."""
        self.restore(group)
        if group.state in (GroupState.PREPARING_REBALANCE, GroupState.COMPLETING_REBALANCE):
            self._prepare_rebalance(group, "its upgrade to a consumer group could not be stored")

    def take_over(self, group: ClassicGroup, reason: str) -> None:
        """A consumer group became this classic group (online downgrade, stored): its members
        rejoin, as Kafka makes them."""
        self.restore(group)
        self._prepare_rebalance(group, f"downgraded from a consumer group: {reason}")

    def _cancel_deadlines(self, group: ClassicGroup) -> None:
        for key in (("join", group.group_id), ("sync", group.group_id)):
            self.scheduler.cancel(key)
        for pending in group.pending_members:
            self.scheduler.cancel(("pending", group.group_id, pending))
        for member in group.members.values():
            self.scheduler.cancel(("session", group.group_id, member.member_id))

    def restore(self, group: ClassicGroup) -> None:
        """Adopt a group loaded from ``__consumer_offsets`` (at start-up, or taking its partition
        over from another broker): its members must heartbeat again within their session timeout
        or be removed."""
        self.groups[group.group_id] = group
        for member in group.members.values():
            self._schedule_session(group, member)


def _update(member: ClassicMember, spec: dict) -> None:
    for key, value in spec.items():
        setattr(member, key, value)


def _join_error(code: ErrorCode, member_id: str) -> dict:
    return {"error_code": code, "generation_id": -1, "protocol_type": None, "protocol_name": None,
            "leader": "", "skip_assignment": False, "member_id": member_id, "members": []}
