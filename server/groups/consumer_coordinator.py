"""The consumer group protocol (KIP-848): ConsumerGroupHeartbeat, as Kafka's coordinator runs it.

One request does everything: a member joins with epoch 0, heartbeats with its epoch and leaves
with epoch -1 (-2: a static member that will be back). Each heartbeat (1) updates the member and
bumps the group epoch when what the assignment depends on changed (a member joined, a
subscription, the partitions of a subscribed topic); (2) recomputes the target assignment with
the server assignor when the group epoch has moved past it; and (3) moves the member towards
its target (see ``consumer_reconciliation``). Nothing waits: members learn of changes with
their next heartbeat. Deadlines fence members that stop heartbeating
(``group.consumer.session.timeout.ms``) or that do not revoke partitions within their
rebalance timeout; a fenced member's partitions go to others once they heartbeat. A group's own
``consumer.session.timeout.ms`` and ``consumer.heartbeat.interval.ms`` (its GROUP configs, read
at each heartbeat through ``group_settings``) take the place of the broker's, as in Kafka.

Groups live in memory only. After a restart, a member heartbeating to a group this broker no
longer knows is told UNKNOWN_MEMBER_ID, so that it rejoins; Kafka, which keeps groups in
``__consumer_offsets``, would answer GROUP_ID_NOT_FOUND there, which clients take as fatal.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import replace

from odradek.storage.topic_metadata import kafka_id_string
from odradek.wire import ErrorCode

from ..dynamic_group_configs import GroupSettings
from .assignors import ASSIGNORS, Assignment, MemberSpec
from .classic_group import ClassicGroup, GroupState
from .consumer_group import LEAVE_EPOCH, STATIC_LEAVE_EPOCH, ConsumerGroup, ConsumerMember, MemberState
from .consumer_group_config import ConsumerGroupConfig
from .consumer_reconciliation import reconcile
from .group_error import GroupError
from .scheduler import Scheduler

log = logging.getLogger("odradek.groups")

FIRST_CLIENT_MEMBER_ID_VERSION = 1  # KIP-1082: from v1 on, members name themselves
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state", "__share_group_state"})


class ConsumerCoordinator:
    def __init__(self, groups: dict, config: ConsumerGroupConfig, scheduler: Scheduler, topics,
                 drop_group: Callable[[object], None], check_coordinator: Callable[[str], None] = lambda _: None,
                 group_settings: Callable[[str], GroupSettings] | None = None):
        self.groups = groups  # shared with the other group types: a group ID names one group
        self.config = config
        # group id -> its settings (broker.group_configs.effective); None: the broker's for every group
        self.group_settings = group_settings
        self.scheduler = scheduler
        self.topics = topics  # topics(), get_topic(name): the cluster's topics, as Metadata answers them
        self.drop_group = drop_group  # forgets a group for good (an empty classic group taken over)
        self.check_coordinator = check_coordinator  # raises GroupError unless this broker coordinates the group

    def consumer_group(self, group_id: str) -> ConsumerGroup | None:
        group = self.groups.get(group_id)
        return group if isinstance(group, ConsumerGroup) else None

    # -- ConsumerGroupHeartbeat ----------------------------------------------------------------

    def heartbeat(self, request, version: int, client_id: str, client_host: str) -> dict:
        """The response body of one ConsumerGroupHeartbeat (without the throttle time)."""
        try:
            self._validate(request, version)
            self.check_coordinator(request.group_id)
            if request.member_epoch in (LEAVE_EPOCH, STATIC_LEAVE_EPOCH):
                return self._leave(request)
            return self._heartbeat(request, client_id, client_host)
        except GroupError as exc:
            return {"error_code": exc.code, "error_message": str(exc), "member_id": None, "member_epoch": 0,
                    "heartbeat_interval_ms": 0, "assignment": None}

    def _validate(self, request, version: int) -> None:
        epoch = request.member_epoch
        if not request.group_id:
            raise _invalid("GroupId can't be empty.")
        if request.instance_id == "":
            raise _invalid("InstanceId can't be empty.")
        if request.rack_id == "":
            raise _invalid("RackId can't be empty.")
        if not request.member_id and (version >= FIRST_CLIENT_MEMBER_ID_VERSION or epoch != 0):
            raise _invalid("MemberId can't be empty.")
        if epoch == 0:
            if request.rebalance_timeout_ms == -1:
                raise _invalid("RebalanceTimeoutMs must be provided in first request.")
            if request.topic_partitions is None or request.topic_partitions:
                raise _invalid("TopicPartitions must be empty when (re-)joining.")
            if request.subscribed_topic_names is None and request.subscribed_topic_regex is None:
                raise _invalid("SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
        elif epoch == STATIC_LEAVE_EPOCH and request.instance_id is None:
            raise _invalid("InstanceId can't be null.")
        elif epoch < STATIC_LEAVE_EPOCH:
            raise _invalid("MemberEpoch is invalid.")
        if request.server_assignor is not None and request.server_assignor not in self.config.assignors:
            raise GroupError(ErrorCode.UNSUPPORTED_ASSIGNOR,
                             f"ServerAssignor {request.server_assignor} is not supported. "
                             f"Supported assignors: {', '.join(self.config.assignors)}.")
        if request.subscribed_topic_regex:
            try:
                re.compile(request.subscribed_topic_regex)
            except re.error as exc:
                raise GroupError(ErrorCode.INVALID_REGULAR_EXPRESSION,
                                 f"SubscribedTopicRegex `{request.subscribed_topic_regex}` is not a valid "
                                 f"regular expression: {exc}.") from None

    def _heartbeat(self, request, client_id: str, client_host: str) -> dict:
        joining = request.member_epoch == 0
        group = self._group(request.group_id, joining)
        member_id = request.member_id or kafka_id_string(uuid.uuid4())  # v0: the coordinator names it
        if (joining and member_id not in group.members
                and len(group.members) >= self.config.max_size):
            raise GroupError(ErrorCode.GROUP_MAX_SIZE_REACHED, "The consumer group has reached its maximum "
                             f"capacity of {self.config.max_size} members.")
        owned = _owned(request.topic_partitions)
        member, is_new = self._member(group, member_id, request, owned)
        updated = replace(
            member,
            instance_id=_or(request.instance_id, member.instance_id),
            rack_id=_or(request.rack_id, member.rack_id),
            rebalance_timeout_ms=(member.rebalance_timeout_ms if request.rebalance_timeout_ms == -1
                                  else request.rebalance_timeout_ms),
            server_assignor=_or(request.server_assignor, member.server_assignor),
            subscribed_topic_names=_or(_tuple(request.subscribed_topic_names), member.subscribed_topic_names),
            subscribed_topic_regex=_or(request.subscribed_topic_regex, member.subscribed_topic_regex),
            client_id=client_id,
            client_host=client_host,
        )
        if is_new:
            log.info("Member %s joins consumer group %s", member_id, group.group_id)
        group.put_member(updated)
        metadata_changed = self._refresh_metadata(group)
        if is_new or not updated.subscribes_like(member) or metadata_changed:
            group.group_epoch += 1
            log.info("Bumped the epoch of consumer group %s to %d", group.group_id, group.group_epoch)
        if group.group_epoch > group.assignment_epoch:
            self._assign(group)
        reconciled = reconcile(updated, group.assignment_epoch, group.target.get(member_id, {}), group.owner_epoch,
                               owned)
        if reconciled != updated:
            group.put_member(reconciled)
            self._track_revocation(group, reconciled)
        self._schedule_session(group, member_id)
        full_request = joining or (request.rebalance_timeout_ms != -1 and owned is not None and (
            request.subscribed_topic_names is not None or request.subscribed_topic_regex is not None))
        send_assignment = full_request or reconciled.assigned != member.assigned
        return {"error_code": ErrorCode.NONE, "error_message": None, "member_id": member_id,
                "member_epoch": reconciled.member_epoch,
                "heartbeat_interval_ms": self._heartbeat_interval_ms(group.group_id),
                "assignment": {"topic_partitions": _topic_partitions(reconciled.assigned)} if send_assignment else None}

    def _group(self, group_id: str, joining: bool) -> ConsumerGroup:
        group = self.groups.get(group_id)
        if isinstance(group, ConsumerGroup):
            return group
        if group is None and not joining:
            raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID, f"Consumer group {group_id} not found.")
        if group is not None:
            if not joining or not _is_empty_classic(group):
                raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a consumer group.")
            log.info("Consumer group %s replaces the empty classic group of that name", group_id)
            self.drop_group(group)
        group = self.groups[group_id] = ConsumerGroup(group_id)
        return group

    def _member(self, group: ConsumerGroup, member_id: str, request, owned) -> tuple[ConsumerMember, bool]:
        """The member the request comes from, and whether it is new; static members may take
        over the identity of their predecessor (KIP-345)."""
        joining = request.member_epoch == 0
        instance_id = request.instance_id
        owner_id = group.static_members.get(instance_id) if instance_id is not None else None
        if owner_id is None or owner_id == member_id:
            member = group.members.get(member_id)
            if member is None:
                if not joining:
                    raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID, f"Instance id {instance_id} is unknown."
                                     if instance_id is not None else
                                     f"Member {member_id} is not a member of group {group.group_id}.")
                return ConsumerMember(member_id), True
            if joining:
                if member.member_epoch == STATIC_LEAVE_EPOCH:
                    member = replace(member, member_epoch=0, previous_member_epoch=0)
                return member, False  # a rejoin (a lost response, or after being fenced): its state back
            _check_epoch(member, request.member_epoch, owned)
            return member, False
        if not joining:
            raise GroupError(ErrorCode.FENCED_INSTANCE_ID, f"Static member {member_id} with instance id "
                             f"{instance_id} was fenced by member {owner_id}.")
        owner = group.members[owner_id]
        if owner.member_epoch != STATIC_LEAVE_EPOCH:
            raise GroupError(ErrorCode.UNRELEASED_INSTANCE_ID, f"Static member {member_id} with instance id "
                             f"{instance_id} cannot join the group because the instance id is owned by "
                             f"{owner_id} member.")
        log.info("Static member %s of consumer group %s replaces member %s", member_id, group.group_id, owner_id)
        target = group.target.get(owner_id)
        self._cancel_timers(group, owner_id)
        group.remove_member(owner_id)
        if target is not None:
            group.target[member_id] = target
        return replace(owner, member_id=member_id, member_epoch=0, previous_member_epoch=0), False

    def _leave(self, request) -> dict:
        group = self.groups.get(request.group_id)
        if not isinstance(group, ConsumerGroup):
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {request.group_id} not found." if group is None
                             else f"Group {request.group_id} is not a consumer group.")
        member_id, instance_id = request.member_id, request.instance_id
        if instance_id is None:
            member = group.members.get(member_id)
            if member is None:
                raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID,
                                 f"Member {member_id} is not a member of group {group.group_id}.")
        else:
            owner_id = group.static_members.get(instance_id)
            if owner_id is None:
                raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID, f"Instance id {instance_id} is unknown.")
            if owner_id != member_id:
                raise GroupError(ErrorCode.FENCED_INSTANCE_ID, f"Static member {member_id} with instance id "
                                 f"{instance_id} was fenced by member {owner_id}.")
            member = group.members[owner_id]
        if request.member_epoch == STATIC_LEAVE_EPOCH:
            # Its partitions stay reserved for the instance until its session expires.
            log.info("Static member %s of consumer group %s left for now", member_id, group.group_id)
            group.put_member(replace(member, member_epoch=STATIC_LEAVE_EPOCH, pending_revocation={}))
        else:
            log.info("Member %s left consumer group %s", member_id, group.group_id)
            self._fence(group, member)
        return {"error_code": ErrorCode.NONE, "error_message": None, "member_id": member_id,
                "member_epoch": request.member_epoch, "heartbeat_interval_ms": 0, "assignment": None}

    # -- the group's make-up -------------------------------------------------------------------

    def _refresh_metadata(self, group: ConsumerGroup) -> bool:
        """Resolve the members' regexes and look the subscribed topics up; whether that changed."""
        if group.regexes():
            names = [t.name for t in self.topics.topics() if t.name not in INTERNAL_TOPICS]
            group.regex_topics = {regex: frozenset(n for n in names if re.fullmatch(regex, n))
                                  for regex in group.regexes()}
        else:
            group.regex_topics = {}
        metadata = {}
        for name in sorted(group.subscribed_topics()):
            info = self.topics.topic(name)
            if info is not None:
                metadata[name] = (info.topic_id, info.num_partitions)
        changed = metadata != group.topic_metadata
        group.topic_metadata = metadata
        return changed

    def _assign(self, group: ConsumerGroup) -> None:
        name = group.preferred_assignor() or self.config.default_assignor
        metadata = group.topic_metadata
        topics = dict(metadata.values())  # topic id -> partitions, in name order
        members = {
            member_id: MemberSpec(
                topics=frozenset(metadata[n][0] for n in group.member_topics(m) if n in metadata),
                instance_id=m.instance_id,
                current=group.target.get(member_id, {}),
            )
            for member_id, m in group.members.items()
        }
        group.target = ASSIGNORS[name](members, topics)
        group.assignment_epoch = group.group_epoch
        log.info("Computed a new target assignment for consumer group %s at epoch %d with the %s assignor",
                 group.group_id, group.group_epoch, name)

    def _fence(self, group: ConsumerGroup, member: ConsumerMember) -> None:
        """Remove a member; the others share its partitions from their next heartbeat on."""
        self._cancel_timers(group, member.member_id)
        group.remove_member(member.member_id)
        group.group_epoch += 1
        self._refresh_metadata(group)

    # -- deadlines -----------------------------------------------------------------------------

    def _schedule_session(self, group: ConsumerGroup, member_id: str) -> None:
        self.scheduler.after(("consumer-session", group.group_id, member_id),
                             self._session_timeout_ms(group.group_id) / 1000,
                             lambda: self._session_expired(group, member_id))

    def _session_timeout_ms(self, group_id: str) -> int:
        if self.group_settings is None:
            return self.config.session_timeout_ms
        return self.group_settings(group_id).consumer_session_timeout_ms

    def _heartbeat_interval_ms(self, group_id: str) -> int:
        if self.group_settings is None:
            return self.config.heartbeat_interval_ms
        return self.group_settings(group_id).consumer_heartbeat_interval_ms

    def _session_expired(self, group: ConsumerGroup, member_id: str) -> None:
        member = group.members.get(member_id)
        if member is None or self.groups.get(group.group_id) is not group:
            return
        log.info("Member %s of consumer group %s is fenced: its session expired", member_id, group.group_id)
        self._fence(group, member)

    def _track_revocation(self, group: ConsumerGroup, member: ConsumerMember) -> None:
        """A member asked to revoke partitions must do so within its rebalance timeout."""
        key = ("consumer-revocation", group.group_id, member.member_id)
        if member.state != MemberState.UNREVOKED_PARTITIONS:
            self.scheduler.cancel(key)
            return
        epoch = member.member_epoch
        self.scheduler.after(key, member.rebalance_timeout_ms / 1000,
                             lambda: self._revocation_expired(group, member.member_id, epoch))

    def _revocation_expired(self, group: ConsumerGroup, member_id: str, epoch: int) -> None:
        member = group.members.get(member_id)
        if member is None or member.member_epoch != epoch or self.groups.get(group.group_id) is not group:
            return
        log.info("Member %s of consumer group %s is fenced: it did not revoke its partitions at epoch %d "
                 "within %d ms", member_id, group.group_id, epoch, member.rebalance_timeout_ms)
        self._fence(group, member)

    def unload(self, group: ConsumerGroup) -> None:
        """This broker no longer coordinates the group: its members hear NOT_COORDINATOR from their
        next heartbeat on, and rejoin at the new coordinator, which knows nothing of the group
        (it was never stored), as after a restart."""
        group.dead = True
        for member_id in group.members:
            self._cancel_timers(group, member_id)

    def _cancel_timers(self, group: ConsumerGroup, member_id: str) -> None:
        self.scheduler.cancel(("consumer-session", group.group_id, member_id))
        self.scheduler.cancel(("consumer-revocation", group.group_id, member_id))


def _check_epoch(member: ConsumerMember, received: int, owned) -> None:
    """Kafka's fencing: an epoch ahead of the coordinator's, or behind it, is refused, except the
    member's previous epoch with nothing more than its assignment (the response that would
    have moved it on was lost)."""
    if received > member.member_epoch:
        raise GroupError(ErrorCode.FENCED_MEMBER_EPOCH, f"The consumer group member has a greater member epoch "
                         f"({received}) than the one known by the group coordinator ({member.member_epoch}). "
                         "The member must abandon all its partitions and rejoin.")
    if received < member.member_epoch and (received != member.previous_member_epoch
                                           or not _within(owned, member.assigned)):
        raise GroupError(ErrorCode.FENCED_MEMBER_EPOCH, f"The consumer group member has a smaller member epoch "
                         f"({received}) than the one known by the group coordinator ({member.member_epoch}). "
                         "The member must abandon all its partitions and rejoin.")


def _within(owned, assigned: Assignment) -> bool:
    if owned is None:
        return False
    return all(parts <= assigned.get(topic_id, frozenset()) for topic_id, parts in owned.items())


def _owned(topic_partitions) -> dict[uuid.UUID, frozenset[int]] | None:
    if topic_partitions is None:
        return None
    owned: dict[uuid.UUID, frozenset[int]] = {}
    for entry in topic_partitions:
        owned[entry.topic_id] = owned.get(entry.topic_id, frozenset()) | frozenset(entry.partitions)
    return owned


def _topic_partitions(assignment: Assignment) -> list[dict]:
    return [{"topic_id": topic_id, "partitions": sorted(partitions)} for topic_id, partitions in assignment.items()]


def _is_empty_classic(group) -> bool:
    return isinstance(group, ClassicGroup) and group.state == GroupState.EMPTY


def _or(value, default):
    return default if value is None else value


def _tuple(names) -> tuple[str, ...] | None:
    return None if names is None else tuple(names)


def _invalid(message: str) -> GroupError:
    return GroupError(ErrorCode.INVALID_REQUEST, message)
