"""Streams group membership (KIP-1071): StreamsGroupHeartbeat, session expiry and describing, as Kafka 4.3 runs them.

A member (one Kafka Streams consumer thread) names itself, joins with epoch 0 and the topology
its application runs, then heartbeats with its epoch and the tasks it owns, and leaves with
epoch -1 (-2: a static member leaving for now). Each heartbeat (1) records the member and
bumps the group epoch when what the assignment depends on changed: a member came or went, the
topology was set, the topology's topics changed; (2) checks the topology against the topics
(``streams_topology``): missing internal topics are created, and the heartbeat answers
MISSING_INTERNAL_TOPICS (or why there are no tasks) meanwhile; (3) recomputes the target with
the sticky assignor once the group epoch moved past it; (4) moves the member towards its
target: active tasks it must give up are revoked first (the member keeps its epoch until its
heartbeat no longer lists them), and an active task another member still holds is given once
that member let it go.

Every change is records (``streams_group_records``) appended to the group's partition of
``__consumer_offsets`` and, once appended, applied; a heartbeat is answered once the in-sync
replicas have them, or with the coordinator error their write failed with. The topology's
configuration (task counts, statuses) is not stored: it is recomputed from the cluster's topics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

import trio

from odradek.wire import ErrorCode

from ..topic_admin import TopicAdminError
from .group_error import GroupError, known_member, unknown_member
from .metadata_hash import metadata_hash
from .scheduler import Scheduler
from .streams_assignor import MemberSpec, assign
from .streams_group import (
    EMPTY_TASKS, LEAVE_EPOCH, STATIC_LEAVE_EPOCH, MemberState, StreamsGroup, StreamsMember, Subtopology, TaskSets,
    TopicInfo, Topology,
)
from .streams_group_records import (
    MEMBER_METADATA, StreamsRecord, current_assignment, group_metadata, group_tombstones,
    member_metadata, member_tombstones, replay, target_member, target_metadata, topology_record,
)
from .streams_topology import SHUTDOWN_APPLICATION, STALE_TOPOLOGY, Configured, configure

log = logging.getLogger("odradek.groups")

JOIN_EPOCH = 0
ACCEPTABLE_RECOVERY_LAG = 10_000  # Kafka's defaults for the values the heartbeat hands out
TASK_OFFSET_INTERVAL_MS = 60_000
INTERNAL_TOPIC_RETRY_S = 5.0  # a failed creation is tried again by a heartbeat after this long


def _wall_clock_ms() -> int:
    return int(time.time() * 1000)


async def _nothing_to_wait_for() -> ErrorCode:
    return ErrorCode.NONE


class StreamsGroupCoordinator:
    """``store(group_id, entries)`` appends records now and returns what waits for the in-sync
    replicas, as for consumer and share groups; ``settings(group_id)`` gives a group's effective
    ``streams_*`` settings; ``create_topic(name, partitions, replication_factor, configs)`` creates
    an internal topic (the broker's topic admin); ``spawn`` starts a background task."""

    def __init__(self, groups: dict, scheduler: Scheduler, topics, store: Callable, settings: Callable,
                 create_topic: Callable, spawn: Callable,
                 check_coordinator: Callable[[str], None] = lambda _: None,
                 now_ms: Callable[[], int] = _wall_clock_ms):
        self.groups = groups
        self.scheduler = scheduler
        self.topics = topics  # topic(name): the cluster's topics
        self.store = store
        self.settings = settings
        self.create_topic = create_topic
        self.spawn = spawn
        self.check_coordinator = check_coordinator
        self.now_ms = now_ms
        self._creating: dict[str, float] = {}  # internal topic -> when its creation was started

    def streams_group(self, group_id: str) -> StreamsGroup | None:
        group = self.groups.get(group_id)
        return group if isinstance(group, StreamsGroup) else None

    # -- StreamsGroupHeartbeat -----------------------------------------------------------------

    async def heartbeat(self, request, client_id: str, client_host: str) -> dict:
        """The response body of one StreamsGroupHeartbeat (without the throttle time)."""
        try:
            _validate(request)
            self.check_coordinator(request.group_id)
            configured = None
            if request.member_epoch in (LEAVE_EPOCH, STATIC_LEAVE_EPOCH):
                entries, answer = self._leave(request)
            else:
                entries, answer, configured = self._heartbeat(request, client_id, client_host)
            replicated = self._write(request.group_id, entries)
        except GroupError as exc:
            return _error(exc.code, exc.message)
        group = self.streams_group(request.group_id)
        if group is not None and configured is not None:  # what the topics allow, until the next heartbeat
            group.topology_status = configured.status
            group.partitions_by_subtopology = configured.tasks
            group.shutdown_requested |= bool(request.shutdown_application)
        if request.member_epoch not in (LEAVE_EPOCH, STATIC_LEAVE_EPOCH):
            self._schedule_session(request.group_id, answer["member_id"])
            self._watch_revocation(request.group_id, answer["member_id"])
        code = await replicated()
        if code != ErrorCode.NONE:
            return _error(code, None)
        return answer

    def _heartbeat(self, request, client_id: str, client_host: str):
        group_id, member_id = request.group_id, request.member_id
        joining = request.member_epoch == JOIN_EPOCH
        group = self.groups.get(group_id)
        if group is None:
            if not joining:
                raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Streams group {group_id} not found.")
            group = StreamsGroup(group_id)  # in the groups once its records are applied
        elif not isinstance(group, StreamsGroup):
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a streams group.")
        entries: list[StreamsRecord] = []
        status: list[tuple[int, str]] = []
        bump = False
        carried: dict[str, TaskSets] = {}  # a static member's last target, for the member taking its place

        # the topology: set by the first member of an empty group
        topology = group.topology
        if joining:
            offered = _topology(request.topology)
            if topology is None or not group.members:
                if topology != offered:
                    entries.append(topology_record(group_id, offered))
                    topology = offered
                    bump = True
            elif offered.epoch == topology.epoch and offered != topology:
                raise GroupError(ErrorCode.STREAMS_INVALID_TOPOLOGY_EPOCH,
                                 f"Topology updated but topology epoch was not bumped ({offered.epoch}).")

        member = group.members.get(member_id)
        if member is None:
            if not joining:
                raise unknown_member(member_id, group_id)
            replaced = self._static_member(group, request.instance_id)
            if replaced is not None:  # a static member back within its session takes its place back
                entries += member_tombstones(group_id, replaced.member_id)
                self.scheduler.cancel(_session_key(group_id, replaced.member_id))
                carried = {member_id: group.target.get(replaced.member_id, EMPTY_TASKS)}
                member = StreamsMember(member_id)
                log.info("Static member %s of streams group %s rejoins as %s", request.instance_id, group_id, member_id)
            else:
                member = StreamsMember(member_id)
                log.info("Member %s joins streams group %s", member_id, group_id)
            bump = True
        elif joining:
            # a known member joining again starts over (it lost its tasks)
            member = replace(member, member_epoch=0, assigned=EMPTY_TASKS, pending_revocation=EMPTY_TASKS,
                             state=MemberState.STABLE)
            bump = True
        else:
            _check_epoch(member, request.member_epoch)

        endpoint = request.user_endpoint
        updated = replace(
            member, client_id=client_id, client_host=client_host,
            instance_id=request.instance_id if joining else member.instance_id,
            rack_id=member.rack_id if request.rack_id is None else request.rack_id,
            rebalance_timeout_ms=(member.rebalance_timeout_ms if request.rebalance_timeout_ms == -1
                                  else request.rebalance_timeout_ms),
            topology_epoch=request.topology.epoch if request.topology is not None else member.topology_epoch,
            process_id=member.process_id if request.process_id is None else request.process_id,
            user_endpoint=(member.user_endpoint if endpoint is None else (endpoint.host, endpoint.port)),
            client_tags=(member.client_tags if request.client_tags is None
                         else tuple((kv.key, kv.value) for kv in request.client_tags)),
        )
        if _metadata_differs(updated, member) or member_id not in group.members:
            entries.append(member_metadata(group_id, updated))

        # the topics' metadata: a change bumps the epoch
        configured, new_hash = self._configure(topology)
        if topology is not None:
            if configured.to_create:
                self._create_internal_topics(group_id, configured)
        bump |= new_hash != group.metadata_hash
        members = {**group.members, member_id: updated}
        if member_id not in group.members and request.instance_id is not None:
            members = {m: v for m, v in members.items() if m == member_id or v.instance_id != request.instance_id}
        group_epoch = group.group_epoch
        validated = topology.epoch if topology is not None and configured.tasks is not None else -1
        if bump or validated != group.validated_topology_epoch:
            if bump:
                group_epoch += 1
                log.info("Bumped the epoch of streams group %s to %d", group_id, group_epoch)
            entries.append(group_metadata(group_id, group_epoch, new_hash, validated))

        # the target assignment
        if group_epoch > group.assignment_epoch:
            targets = self._assign(group, members, configured.tasks, carried)
            for m, target in targets.items():
                if target != group.target.get(m):
                    entries.append(target_member(group_id, m, target))
            target_epoch = group_epoch
            entries.append(target_metadata(group_id, target_epoch, self.now_ms()))
            log.info("Computed a new target assignment for streams group %s at epoch %d", group_id, group_epoch)
            target = targets.get(member_id, EMPTY_TASKS)
            others_target = targets
        else:
            target_epoch = group.assignment_epoch
            target = group.target.get(member_id, EMPTY_TASKS)
            others_target = group.target

        # the member moves towards it
        owned = _owned(request)
        reconciled = _reconcile(group, updated, target_epoch, target, owned, others_target)
        if (reconciled.member_epoch, reconciled.previous_member_epoch, reconciled.state, reconciled.assigned,
                reconciled.pending_revocation) != (member.member_epoch, member.previous_member_epoch, member.state,
                                                   member.assigned, member.pending_revocation) \
                or member_id not in group.members:
            entries.append(current_assignment(group_id, reconciled))

        # statuses
        if topology is not None and updated.topology_epoch != topology.epoch:
            status.append((STALE_TOPOLOGY, f"The member's topology epoch {updated.topology_epoch} is behind the "
                                           f"group's topology epoch {topology.epoch}."))
        status += configured.status
        if group.shutdown_requested or request.shutdown_application:
            status.append((SHUTDOWN_APPLICATION, "A KafkaStreams instance encountered a fatal error and requested "
                                                 "a shutdown for the entire application."))
        send_tasks = joining or reconciled.assigned != member.assigned \
            or (owned is not None and _tasks_differ(owned, reconciled.assigned))
        answer = {
            "error_code": ErrorCode.NONE, "error_message": None, "member_id": member_id,
            "member_epoch": reconciled.member_epoch,
            "heartbeat_interval_ms": self.settings(group_id).streams_heartbeat_interval_ms,
            "acceptable_recovery_lag": ACCEPTABLE_RECOVERY_LAG, "task_offset_interval_ms": TASK_OFFSET_INTERVAL_MS,
            "status": [{"status_code": c, "status_detail": d} for c, d in status],
            "active_tasks": _task_ids(reconciled.assigned.active) if send_tasks else None,
            "standby_tasks": _task_ids(reconciled.assigned.standby) if send_tasks else None,
            "warmup_tasks": _task_ids(reconciled.assigned.warmup) if send_tasks else None,
            "endpoint_information_epoch": group_epoch,
            "partitions_by_user_endpoint": None,
        }
        if request.endpoint_information_epoch != answer["endpoint_information_epoch"]:
            answer["partitions_by_user_endpoint"] = self._endpoints(topology, {**members, member_id: reconciled})
        return entries, answer, configured

    def _configure(self, topology: Topology | None) -> tuple[Configured, int]:
        """The topology checked against the topics as they are now, and the hash of those topics."""
        if topology is None:
            return Configured(), 0
        metadata = {}
        for name in sorted(topology.required_topics()):
            info = self.topics.topic(name)
            if info is not None:
                metadata[name] = (info.topic_id, info.num_partitions)
        return configure(topology, lambda name: metadata[name][1] if name in metadata else None), metadata_hash(metadata)

    def _static_member(self, group: StreamsGroup, instance_id: str | None) -> StreamsMember | None:
        if instance_id is None:
            return None
        for m in group.members.values():
            if m.instance_id == instance_id:
                return m
        return None

    def _assign(self, group: StreamsGroup, members: dict[str, StreamsMember],
                tasks: dict[str, int] | None, carried: dict[str, TaskSets]) -> dict[str, TaskSets]:
        if tasks is None:  # the topology is not ready: nobody gets tasks
            return {m: EMPTY_TASKS for m in members}
        standbys = self.settings(group.group_id).streams_num_standby_replicas
        specs = {m: MemberSpec(v.process_id or m, group.target.get(m) or carried.get(m) or v.assigned)
                 for m, v in members.items()}
        return assign(tasks, specs, standbys)

    def _endpoints(self, topology: Topology | None, members: dict[str, StreamsMember]) -> list[dict]:
        """Which partitions each application endpoint serves (for interactive queries)."""
        if topology is None:
            return []
        by_id = {s.subtopology_id: s for s in topology.subtopologies}
        out = []
        for m in sorted(members.values(), key=lambda v: v.member_id):
            if m.user_endpoint is None:
                continue

            def partitions(tasks) -> list[dict]:
                topics: dict[str, set[int]] = {}
                for s, parts in tasks.items():
                    sub = by_id.get(s)
                    if sub is None:
                        continue
                    for t in (*sub.source_topics, *(i.name for i in sub.repartition_source_topics)):
                        topics.setdefault(t, set()).update(parts)
                return [{"topic": t, "partitions": sorted(p)} for t, p in sorted(topics.items())]
            out.append({"user_endpoint": {"host": m.user_endpoint[0], "port": m.user_endpoint[1]},
                        "active_partitions": partitions(m.assigned.active),
                        "standby_partitions": partitions(m.assigned.standby)})
        return out

    def _leave(self, request):
        group_id, member_id = request.group_id, request.member_id
        group = self.groups.get(group_id)
        if group is None:
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Streams group {group_id} not found.")
        if not isinstance(group, StreamsGroup):
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a streams group.")
        known_member(group, member_id)
        log.info("Member %s left streams group %s", member_id, group_id)
        return self._fence(group, member_id), {
            "error_code": ErrorCode.NONE, "error_message": None, "member_id": member_id,
            "member_epoch": request.member_epoch, "heartbeat_interval_ms": 0,
            "acceptable_recovery_lag": 0, "task_offset_interval_ms": 0, "status": None,
            "active_tasks": None, "standby_tasks": None, "warmup_tasks": None,
            "endpoint_information_epoch": 0, "partitions_by_user_endpoint": None}

    def _fence(self, group: StreamsGroup, member_id: str) -> list[StreamsRecord]:
        """The records that remove a member and bump the group epoch."""
        entries = member_tombstones(group.group_id, member_id)
        entries.append(group_metadata(group.group_id, group.group_epoch + 1, group.metadata_hash,
                                      group.validated_topology_epoch))
        return entries

    def _write(self, group_id: str, entries: list[StreamsRecord]) -> Callable:
        if not entries:
            return _nothing_to_wait_for
        replicated = self.store(group_id, entries)
        for entry in entries:
            replay(self.groups, entry)
            if entry.value is None and entry.key.record_type == MEMBER_METADATA:
                self.scheduler.cancel(_session_key(group_id, entry.key.member_id))
                self.scheduler.cancel(("streams-revocation", group_id, entry.key.member_id))
        group = self.streams_group(group_id)
        if group is not None and not group.members:
            group.shutdown_requested = False  # Kafka forgets a shutdown request once everyone left
        return replicated

    # -- internal topics -----------------------------------------------------------------------

    def _create_internal_topics(self, group_id: str, configured: Configured) -> None:
        now = trio.current_time()
        for topic in configured.to_create:
            started = self._creating.get(topic.name)
            if started is not None and now - started < INTERNAL_TOPIC_RETRY_S:
                continue
            self._creating[topic.name] = now
            self.spawn(self._create, group_id, topic)

    async def _create(self, group_id: str, topic) -> None:
        try:
            await self.create_topic(topic.name, topic.partitions, topic.replication_factor, topic.configs)
            log.info("Created internal topic %s (%d partitions) of streams group %s", topic.name, topic.partitions,
                     group_id)
        except TopicAdminError as exc:
            if exc.code != ErrorCode.TOPIC_ALREADY_EXISTS:
                log.warning("Could not create internal topic %s of streams group %s: %s", topic.name, group_id, exc)

    # -- sessions ------------------------------------------------------------------------------

    def _schedule_session(self, group_id: str, member_id: str) -> None:
        self.scheduler.after(_session_key(group_id, member_id),
                             self.settings(group_id).streams_session_timeout_ms / 1000,
                             lambda: self._session_expired(group_id, member_id))

    def _watch_revocation(self, group_id: str, member_id: str) -> None:
        """A member told to give tasks up has its rebalance timeout to do so, else it is fenced (Kafka's rule)."""
        group = self.streams_group(group_id)
        member = None if group is None else group.members.get(member_id)
        key = ("streams-revocation", group_id, member_id)
        if member is None or member.state != MemberState.UNREVOKED_TASKS:
            self.scheduler.cancel(key)
            return
        if self.scheduler.deadline(key) is not None:
            return  # already counting since it was told
        epoch = member.member_epoch

        def expired() -> None:
            current = self.streams_group(group_id)
            late = None if current is None else current.members.get(member_id)
            if late is None or late.state != MemberState.UNREVOKED_TASKS or late.member_epoch != epoch:
                return
            log.info("Member %s of streams group %s is fenced: it did not revoke its tasks within its rebalance "
                     "timeout (%d ms)", member_id, group_id, late.rebalance_timeout_ms)
            try:
                self._write(group_id, self._fence(current, member_id))
            except GroupError as exc:
                log.warning("Could not fence member %s of streams group %s: %s", member_id, group_id, exc.code.name)
        self.scheduler.after(key, max(member.rebalance_timeout_ms, 0) / 1000, expired)

    def _session_expired(self, group_id: str, member_id: str) -> None:
        group = self.streams_group(group_id)
        if group is None or member_id not in group.members:
            return
        log.info("Member %s of streams group %s is fenced: its session expired", member_id, group_id)
        try:
            self._write(group_id, self._fence(group, member_id))
        except GroupError as exc:
            log.warning("Could not store that member %s left streams group %s: %s", member_id, group_id,
                        exc.code.name)
            self._schedule_session(group_id, member_id)

    # -- offsets, deletion, loading ------------------------------------------------------------

    def tombstones(self, group: StreamsGroup) -> list[StreamsRecord]:
        return group_tombstones(group)

    def restore(self, group: StreamsGroup) -> None:
        """A group replayed from the log: its members' sessions start now, as in Kafka, and its
        topology is checked against the topics again (that is not stored)."""
        configured, _ = self._configure(group.topology)
        group.partitions_by_subtopology, group.topology_status = configured.tasks, configured.status
        self.groups[group.group_id] = group
        for member_id in group.members:
            self._schedule_session(group.group_id, member_id)

    def unload(self, group: StreamsGroup) -> None:
        group.dead = True
        for member_id in group.members:
            self.scheduler.cancel(_session_key(group.group_id, member_id))
            self.scheduler.cancel(("streams-revocation", group.group_id, member_id))

    # -- StreamsGroupDescribe ------------------------------------------------------------------

    def describe(self, group_id: str) -> dict:
        """One described group of a StreamsGroupDescribe response (without authorized operations)."""
        group = self.groups.get(group_id)
        if not isinstance(group, StreamsGroup):
            message = (f"Group {group_id} not found." if group is None
                       else f"Group {group_id} is not a streams group.")
            return _described_error(group_id, ErrorCode.GROUP_ID_NOT_FOUND, message)
        topology = None
        if group.topology is not None:
            topology = {"epoch": group.topology.epoch, "subtopologies": [
                _describe_subtopology(s) for s in sorted(group.topology.subtopologies, key=lambda s: s.subtopology_id)]}
        members = []
        for m in group.members.values():
            target = group.target.get(m.member_id, EMPTY_TASKS)
            members.append({
                "member_id": m.member_id, "member_epoch": m.member_epoch, "instance_id": m.instance_id,
                "rack_id": m.rack_id, "client_id": m.client_id, "client_host": m.client_host,
                "topology_epoch": m.topology_epoch, "process_id": m.process_id,
                "user_endpoint": None if m.user_endpoint is None else {"host": m.user_endpoint[0],
                                                                      "port": m.user_endpoint[1]},
                "client_tags": [{"key": k, "value": v} for k, v in m.client_tags],
                "task_offsets": [], "task_end_offsets": [],
                "assignment": _described_tasks(m.assigned), "target_assignment": _described_tasks(target),
                "is_classic": False,
            })
        return {"error_code": ErrorCode.NONE, "error_message": None, "group_id": group_id,
                "group_state": group.state.value, "group_epoch": group.group_epoch,
                "assignment_epoch": group.assignment_epoch, "topology": topology, "members": members,
                "authorized_operations": -2147483648}


# --- the member's move towards its target ---------------------------------------------------------

def _reconcile(group: StreamsGroup, member: StreamsMember, target_epoch: int, target: TaskSets,
               owned: TaskSets | None, targets: dict[str, TaskSets]) -> StreamsMember:
    """Kafka's CurrentAssignmentBuilder for streams: revoke first, then take what others released."""
    if member.state == MemberState.UNREVOKED_TASKS:
        if owned is None or _overlaps(owned.active, member.pending_revocation.active):
            return member  # still revoking
    elif member.member_epoch == target_epoch and member.state == MemberState.STABLE:
        return member
    kept_active = _intersect(member.assigned.active, target.active)
    revoke = _minus(member.assigned.active, target.active)
    if any(revoke.values()):
        return replace(member, state=MemberState.UNREVOKED_TASKS,
                       assigned=TaskSets(kept_active, _intersect(member.assigned.standby, target.standby),
                                         _intersect(member.assigned.warmup, target.warmup)),
                       pending_revocation=TaskSets(revoke, {}, {}))
    # take the target's active tasks nobody else still holds
    active: dict[str, set[int]] = {s: set(p) for s, p in kept_active.items()}
    unreleased = False
    for s, parts in target.active.items():
        for p in parts:
            if p in active.get(s, ()):
                continue
            if group.active_owner(s, p, member.member_id) is not None:
                unreleased = True
                continue
            active.setdefault(s, set()).add(p)
    new_active = {s: frozenset(p) for s, p in active.items() if p}
    # a standby may not sit where the task is still active with its old owner: Kafka lets it, the client copes
    return replace(member, member_epoch=target_epoch,
                   previous_member_epoch=member.member_epoch if member.member_epoch != target_epoch
                   else member.previous_member_epoch,
                   state=MemberState.UNRELEASED_TASKS if unreleased else MemberState.STABLE,
                   assigned=TaskSets(new_active, dict(target.standby), dict(target.warmup)),
                   pending_revocation=EMPTY_TASKS)


def _intersect(a: dict, b: dict) -> dict:
    out = {s: frozenset(p) & b.get(s, frozenset()) for s, p in a.items()}
    return {s: p for s, p in out.items() if p}


def _minus(a: dict, b: dict) -> dict:
    out = {s: frozenset(p) - b.get(s, frozenset()) for s, p in a.items()}
    return {s: p for s, p in out.items() if p}


def _overlaps(a: dict, b: dict) -> bool:
    return any(frozenset(p) & b.get(s, frozenset()) for s, p in a.items())


def _tasks_differ(owned: TaskSets, assigned: TaskSets) -> bool:
    def norm(t: dict) -> dict:
        return {s: frozenset(p) for s, p in t.items() if p}
    return (norm(owned.active), norm(owned.standby), norm(owned.warmup)) != \
        (norm(assigned.active), norm(assigned.standby), norm(assigned.warmup))


# --- requests -------------------------------------------------------------------------------------

def _validate(request) -> None:
    """Kafka's checks of a StreamsGroupHeartbeat, before the coordinator looks at the group."""
    if request.topology is not None:
        for s in request.topology.subtopologies:
            if s.source_topic_regex:
                raise GroupError(ErrorCode.INVALID_REQUEST, "Regular expressions for source topics are not supported yet.")
    if not request.member_id:
        raise GroupError(ErrorCode.INVALID_REQUEST, "MemberId can't be empty.")
    if not request.group_id:
        raise GroupError(ErrorCode.INVALID_REQUEST, "GroupId can't be empty.")
    if request.instance_id == "":
        raise GroupError(ErrorCode.INVALID_REQUEST, "InstanceId can't be empty.")
    if request.rack_id == "":
        raise GroupError(ErrorCode.INVALID_REQUEST, "RackId can't be empty.")
    if request.member_epoch == JOIN_EPOCH:
        if request.rebalance_timeout_ms == -1:
            raise GroupError(ErrorCode.INVALID_REQUEST, "RebalanceTimeoutMs must be provided in first request.")
        for name, tasks in (("ActiveTasks", request.active_tasks), ("StandbyTasks", request.standby_tasks),
                            ("WarmupTasks", request.warmup_tasks)):
            if tasks is None or tasks:  # Kafka wants them sent, and empty
                raise GroupError(ErrorCode.INVALID_REQUEST, f"{name} must be empty when (re-)joining.")
        if request.topology is None:
            raise GroupError(ErrorCode.INVALID_REQUEST, "Topology must be non-null when (re-)joining.")
        for s in request.topology.subtopologies:
            for t in s.state_changelog_topics:
                if t.partitions != 0:
                    raise GroupError(ErrorCode.STREAMS_INVALID_TOPOLOGY,
                                     f"Changelog topic {t.name} must have an undefined partition count, but it is "
                                     f"set to {t.partitions}.")
    elif request.member_epoch == STATIC_LEAVE_EPOCH:
        if request.instance_id is None:
            raise GroupError(ErrorCode.INVALID_REQUEST, "InstanceId can't be null.")
    elif request.member_epoch < STATIC_LEAVE_EPOCH:
        raise GroupError(ErrorCode.INVALID_REQUEST,
                         f"MemberEpoch is {request.member_epoch}, but must be greater than or equal to -2.")
    kinds = (request.active_tasks, request.standby_tasks, request.warmup_tasks)
    if any(k is not None for k in kinds) and any(k is None for k in kinds):
        raise GroupError(ErrorCode.INVALID_REQUEST, "If one task-type is non-null, all must be non-null.")
    if request.member_epoch != JOIN_EPOCH and request.topology is not None:
        raise GroupError(ErrorCode.INVALID_REQUEST, "Topology can only be provided when (re-)joining.")


def invalid_internal_topic_names(topology) -> list[str]:
    """Internal topic names Kafka's KafkaApis refuses (STREAMS_INVALID_TOPOLOGY): not legal topic names."""
    bad = []
    for s in topology.subtopologies:
        for t in (*s.state_changelog_topics, *s.repartition_source_topics):
            if not _legal_topic_name(t.name):
                bad.append(t.name)
    return bad


def _legal_topic_name(name: str) -> bool:
    return 0 < len(name) <= 249 and name not in (".", "..") and all(c.isascii() and (c.isalnum() or c in "._-")
                                                                     for c in name)


def _topology(t) -> Topology:
    def info(i) -> TopicInfo:
        return TopicInfo(i.name, i.partitions, i.replication_factor,
                         tuple(sorted((kv.key, kv.value) for kv in i.topic_configs)))
    return Topology(t.epoch, tuple(sorted((
        Subtopology(s.subtopology_id, tuple(s.source_topics), tuple(s.repartition_sink_topics),
                    tuple(info(i) for i in s.state_changelog_topics),
                    tuple(info(i) for i in s.repartition_source_topics),
                    tuple((tuple(g.source_topics), tuple(g.repartition_source_topics)) for g in s.copartition_groups))
        for s in t.subtopologies), key=lambda s: s.subtopology_id)))


def _owned(request) -> TaskSets | None:
    if request.active_tasks is None:
        return None

    def tasks(entries) -> dict[str, frozenset[int]]:
        out: dict[str, frozenset[int]] = {}
        for e in entries or ():
            out[e.subtopology_id] = out.get(e.subtopology_id, frozenset()) | frozenset(e.partitions)
        return out
    return TaskSets(tasks(request.active_tasks), tasks(request.standby_tasks), tasks(request.warmup_tasks))


def _metadata_differs(a: StreamsMember, b: StreamsMember) -> bool:
    fields = ("instance_id", "rack_id", "client_id", "client_host", "rebalance_timeout_ms", "topology_epoch",
              "process_id", "user_endpoint", "client_tags")
    return any(getattr(a, f) != getattr(b, f) for f in fields)


def _check_epoch(member: StreamsMember, received: int) -> None:
    """Kafka's fencing: an epoch ahead of the coordinator's, or behind it other than the
    member's previous epoch (the answer that moved it on was lost), is refused."""
    if received > member.member_epoch:
        raise GroupError(ErrorCode.FENCED_MEMBER_EPOCH, f"The streams group member has a greater member epoch "
                         f"({received}) than the one known by the group coordinator ({member.member_epoch}). "
                         "The member must abandon all its partitions and rejoin.")
    if received < member.member_epoch and received != member.previous_member_epoch:
        raise GroupError(ErrorCode.FENCED_MEMBER_EPOCH, f"The streams group member has a smaller member epoch "
                         f"({received}) than the one known by the group coordinator ({member.member_epoch}). "
                         "The member must abandon all its partitions and rejoin.")


def _task_ids(tasks: dict) -> list[dict]:
    return [{"subtopology_id": s, "partitions": sorted(p)} for s, p in sorted(tasks.items()) if p]


def _described_tasks(tasks: TaskSets) -> dict:
    return {"active_tasks": _task_ids(tasks.active), "standby_tasks": _task_ids(tasks.standby),
            "warmup_tasks": _task_ids(tasks.warmup)}


def _describe_subtopology(s: Subtopology) -> dict:
    def info(t: TopicInfo) -> dict:
        return {"name": t.name, "partitions": t.partitions, "replication_factor": t.replication_factor,
                "topic_configs": [{"key": k, "value": v} for k, v in t.configs]}
    return {"subtopology_id": s.subtopology_id, "source_topics": list(s.source_topics),
            "repartition_sink_topics": list(s.repartition_sink_topics),
            "state_changelog_topics": [info(t) for t in s.state_changelog_topics],
            "repartition_source_topics": [info(t) for t in s.repartition_source_topics]}


def _described_error(group_id: str, code: ErrorCode, message: str | None) -> dict:
    return {"error_code": code, "error_message": message, "group_id": group_id, "group_state": "",
            "group_epoch": 0, "assignment_epoch": 0, "topology": None, "members": [],
            "authorized_operations": -2147483648}


def _session_key(group_id: str, member_id: str) -> tuple:
    return ("streams-session", group_id, member_id)


def _error(code: ErrorCode, message: str | None) -> dict:
    return {"error_code": code, "error_message": message, "member_id": "", "member_epoch": 0,
            "heartbeat_interval_ms": 0, "acceptable_recovery_lag": 0, "task_offset_interval_ms": 0,
            "status": None, "active_tasks": None, "standby_tasks": None, "warmup_tasks": None,
            "endpoint_information_epoch": 0, "partitions_by_user_endpoint": None}
