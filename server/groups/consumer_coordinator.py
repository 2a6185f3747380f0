"""The consumer group protocol (KIP-848): ConsumerGroupHeartbeat, as Kafka's coordinator runs it.

One request does everything: a member joins with epoch 0, heartbeats with its epoch and leaves
with epoch -1 (-2: a static member that will be back). Each heartbeat (1) updates the member and
bumps the group epoch when what the assignment depends on changed (a member joined, a
subscription, the partitions of a subscribed topic); (2) recomputes the target assignment with
the server assignor when the group epoch has moved past it, at most once per
``group.consumer.assignment.interval.ms`` (KIP-1263, Kafka 4.3: members that join within the
interval reconcile towards the last target, so a group whose members start together is not
reassigned once per arrival); and (3) moves the member towards its target (see
``consumer_reconciliation``). Nothing waits: members learn of changes with
their next heartbeat. Deadlines fence members that stop heartbeating
(``group.consumer.session.timeout.ms``) or that do not revoke partitions within their
rebalance timeout; a fenced member's partitions go to others once they heartbeat. A group's own
``consumer.session.timeout.ms`` and ``consumer.heartbeat.interval.ms`` (its GROUP configs, read
at each heartbeat through ``group_settings``) take the place of the broker's, as in Kafka.

Groups are durable, as in Kafka: what a heartbeat (or a deadline) changed is written to
``__consumer_offsets`` with Kafka's record types (``consumer_group_changes``) before the member
is answered, and the answer waits until every in-sync replica has it; a change that cannot be
written is undone and the member told the error. Replay (``restore``) brings groups back with
their members, epochs and assignments, so after a restart, kill -9 included, members go on
without a rebalance; their session deadlines start again from the load, as Kafka's do.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from odradek.storage.topic_metadata import kafka_id_string
from odradek.wire import ErrorCode

from ..dynamic_group_configs import GroupSettings
from .assignors import ASSIGNORS, Assignment, MemberSpec
from .classic_group import ClassicGroup, GroupState
from .consumer_group import LEAVE_EPOCH, STATIC_LEAVE_EPOCH, ConsumerGroup, ConsumerMember, MemberState
from .classic_group_records import group_to_record
from .consumer_classic_members import ClassicProtocolMembers
from .consumer_group_changes import GroupImage, Record, changes, image_of, now_ms, restore
from .consumer_group_config import ConsumerGroupConfig
from .consumer_reconciliation import reconcile
from .group_error import GroupError, known_member, unknown_member
from .group_migration import classic_group_from_consumer, consumer_group_from_classic
from .offsets_records import GroupMetadataKey, Tombstone
from .scheduler import Scheduler

log = logging.getLogger("odradek.groups")

FIRST_CLIENT_MEMBER_ID_VERSION = 1  # KIP-1082: from v1 on, members name themselves
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state", "__share_group_state"})

Replicated = Callable[[], Awaitable[ErrorCode]]
#: Appends a group's records now (raising GroupError, with the error to answer, when nothing was
#: appended); the returned function waits until they are replicated: NONE, or the error to answer.
StoreRecords = Callable[[str, list[Record]], Replicated]


async def _nothing_to_wait_for() -> ErrorCode:
    return ErrorCode.NONE


def _store_nowhere(group_id: str, records: list[Record]) -> Replicated:
    return _nothing_to_wait_for


@dataclass
class _Change:
    """What a group ID named before a change, to write the difference or to undo the change."""

    group_id: str
    previous: object  # the group object it named, or None
    image: GroupImage | None  # the consumer group's state, if it named one


class ConsumerCoordinator(ClassicProtocolMembers):
    def __init__(self, groups: dict, config: ConsumerGroupConfig, scheduler: Scheduler, topics,
                 store: StoreRecords = _store_nowhere, check_coordinator: Callable[[str], None] = lambda _: None,
                 group_settings: Callable[[str], GroupSettings] | None = None):
        self.groups = groups  # shared with the other group types: a group ID names one group
        self.config = config
        # group id -> its settings (broker.group_configs.effective); None: the broker's for every group
        self.group_settings = group_settings
        self.scheduler = scheduler
        self.topics = topics  # topics(), get_topic(name): the cluster's topics, as Metadata answers them
        self.store = store  # writes a group's records to __consumer_offsets
        self.check_coordinator = check_coordinator  # raises GroupError unless this broker coordinates the group
        self.classic = None  # the ClassicCoordinator, for groups that change protocol (set by its owner)

    def consumer_group(self, group_id: str) -> ConsumerGroup | None:
        group = self.groups.get(group_id)
        return group if isinstance(group, ConsumerGroup) else None

    # -- ConsumerGroupHeartbeat ----------------------------------------------------------------

    async def heartbeat(self, request, version: int, client_id: str, client_host: str,
                        describable: Callable[[set[str]], set[str]] | None = None) -> dict:
        """The response body of one ConsumerGroupHeartbeat (without the throttle time), once
        what it changed is stored. ``describable`` (with an authorizer): the topics, of those
        given, the request's principal may DESCRIBE; the group's regexes resolve to those only."""
        try:
            self._validate(request, version)
            self.check_coordinator(request.group_id)
            change = self._begin(request.group_id)
            try:
                if request.member_epoch in (LEAVE_EPOCH, STATIC_LEAVE_EPOCH):
                    answer = self._leave(request)
                else:
                    answer = self._heartbeat(request, client_id, client_host, describable)
                replicated = self._commit(change)
            except GroupError:
                self._undo(change)
                raise
            code = await replicated()
            if code != ErrorCode.NONE:
                raise GroupError(code)
            return answer
        except GroupError as exc:
            return {"error_code": exc.code, "error_message": str(exc), "member_id": None, "member_epoch": 0,
                    "heartbeat_interval_ms": 0, "assignment": None}

    # -- writing changes -----------------------------------------------------------------------

    def _begin(self, group_id: str) -> _Change:
        previous = self.groups.get(group_id)
        return _Change(group_id, previous, image_of(previous) if isinstance(previous, ConsumerGroup) else None)

    def _commit(self, change: _Change) -> Replicated:
        """Append what changed since ``change`` began; raises GroupError if it could not be."""
        group = self.groups.get(change.group_id)
        after = image_of(group) if isinstance(group, ConsumerGroup) else None
        records: list[Record] = []
        took_over = isinstance(change.previous, ClassicGroup) and group is not change.previous
        if took_over:  # a classic group (made by offset commits, say, or upgraded) becomes this one
            records.append(Tombstone(GroupMetadataKey(change.group_id)))
        records += changes(change.group_id, change.image, after)
        downgraded = isinstance(group, ClassicGroup) and group is not change.previous
        if downgraded:
            records.append(group_to_record(group))
        if not records:
            return _nothing_to_wait_for
        replicated = self.store(change.group_id, records)
        if took_over:
            change.previous.state = GroupState.DEAD
        if downgraded:
            change.previous.dead = True
            self.classic.take_over(group, "the last member using the consumer protocol left")
        return replicated

    def _undo(self, change: _Change) -> None:
        """Put the group back as it was before ``change``: nothing of it was written."""
        group = self.groups.get(change.group_id)
        if isinstance(change.previous, ClassicGroup) and group is not change.previous:
            self.classic.take_back(change.previous)  # an upgrade that did not happen
        if change.image is not None:
            restore(change.previous, change.image)
            for member_id in change.previous.members:
                if self.scheduler.deadline(("consumer-session", change.group_id, member_id)) is None:
                    self._schedule_session(change.previous, member_id)
        elif isinstance(group, ConsumerGroup) and group is not change.previous:
            group.dead = True
            for member_id in group.members:
                self._cancel_timers(group, member_id)
        if change.previous is None:
            self.groups.pop(change.group_id, None)
        else:
            self.groups[change.group_id] = change.previous

    def replace_empty(self, group: ConsumerGroup) -> None:
        """A classic member joins an empty consumer group: the group is deleted (its tombstones
        written now), and a classic group takes its ID, as Kafka's maybeDeleteEmptyConsumerGroup."""
        change = self._begin(group.group_id)
        del self.groups[group.group_id]
        group.dead = True
        try:
            self._commit(change)
        except GroupError:
            self._undo(change)
            raise
        log.info("Consumer group %s is empty and replaced by a classic group", group.group_id)

    def _fence_now(self, group: ConsumerGroup, member: ConsumerMember, why: str) -> None:
        """A deadline fences a member: written at once, not waited for (nobody is answered)."""
        change = self._begin(group.group_id)
        self._fence(group, member)
        try:
            self._commit(change)
        except GroupError as exc:
            log.warning("Could not store that member %s left consumer group %s (%s): %s; trying again at its "
                        "next deadline", member.member_id, group.group_id, why, exc.code.name)
            self._undo(change)

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

    def _heartbeat(self, request, client_id: str, client_host: str, describable) -> dict:
        joining = request.member_epoch == 0
        group = self._group(request.group_id, joining)
        if describable is not None:
            group.describable = describable
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
            classic=None,
        )
        if is_new:
            log.info("Member %s joins consumer group %s", member_id, group.group_id)
        reconciled = self._update(group, member, updated, is_new, owned)
        self._schedule_session(group, member_id)
        full_request = joining or (request.rebalance_timeout_ms != -1 and owned is not None and (
            request.subscribed_topic_names is not None or request.subscribed_topic_regex is not None))
        send_assignment = full_request or reconciled.assigned != member.assigned
        return {"error_code": ErrorCode.NONE, "error_message": None, "member_id": member_id,
                "member_epoch": reconciled.member_epoch,
                "heartbeat_interval_ms": self._heartbeat_interval_ms(group.group_id),
                "assignment": {"topic_partitions": _topic_partitions(reconciled.assigned)} if send_assignment else None}

    def _update(self, group: ConsumerGroup, member: ConsumerMember, updated: ConsumerMember, is_new: bool,
                owned) -> ConsumerMember:
        """Store a member's new subscription, bump the group epoch when what the assignment
        depends on changed, recompute the target if it is behind, and move the member towards
        its target; the member as it is now."""
        group.put_member(updated)
        metadata_changed = self._refresh_metadata(group)
        if is_new or not updated.subscribes_like(member) or metadata_changed:
            group.bump_epoch()
            log.info("Bumped the epoch of consumer group %s to %d", group.group_id, group.group_epoch)
        if group.group_epoch > group.assignment_epoch and self._may_assign(group):
            self._assign(group)
        reconciled = reconcile(updated, group.assignment_epoch, group.target.get(updated.member_id, {}),
                               group.owner_epoch, owned)
        if reconciled != updated:
            group.put_member(reconciled)
            self._track_revocation(group, reconciled)
        return reconciled

    def _group(self, group_id: str, joining: bool) -> ConsumerGroup:
        group = self.groups.get(group_id)
        if isinstance(group, ConsumerGroup):
            return group
        if group is None and not joining:
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Consumer group {group_id} not found.")
        if group is not None:
            if not joining or not isinstance(group, ClassicGroup):  # a share group: never converted
                raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a consumer group.")
            if not _is_empty_classic(group):
                return self._upgrade(group)
            log.info("Consumer group %s replaces the empty classic group of that name", group_id)
        group = self.groups[group_id] = ConsumerGroup(group_id)
        return group

    def _upgrade(self, classic: ClassicGroup) -> ConsumerGroup:
        """A consumer-protocol member joins a classic group: it becomes a consumer group (online
        upgrade), or GROUP_ID_NOT_FOUND with Kafka's reason."""
        group_id = classic.group_id
        if not self.config.migration_policy.upgrades:
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Cannot upgrade classic group {group_id} to consumer "
                             "group because online upgrade is disabled.")
        group = consumer_group_from_classic(classic, self.topics, self.config.max_size)
        self.classic.hand_over(classic)
        self.groups[group_id] = group
        self._refresh_metadata(group)
        for member_id in group.members:
            self._schedule_session(group, member_id)
        log.info("Converted classic group %s to a consumer group at epoch %d", group_id, group.group_epoch)
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
                    if instance_id is None:
                        raise unknown_member(member_id, group.group_id)
                    raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID, f"Instance id {instance_id} is unknown.")
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
            member = known_member(group, member_id)
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
        """Resolve the members' regexes and look the subscribed topics up; whether that changed
        (their metadata hash, which the group's records keep: a group loaded from them is
        not rebalanced for nothing)."""
        if group.regexes():
            names = [t.name for t in self.topics.topics() if t.name not in INTERNAL_TOPICS]
            matched = {regex: frozenset(n for n in names if re.fullmatch(regex, n)) for regex in group.regexes()}
            if group.describable is not None:  # only what the last heartbeat's principal may DESCRIBE
                allowed = group.describable(set().union(*matched.values()))
                matched = {regex: topics & allowed for regex, topics in matched.items()}
            group.regex_topics = matched
        else:
            group.regex_topics = {}
        metadata = {}
        for name in sorted(group.subscribed_topics()):
            info = self.topics.topic(name)
            if info is not None:
                metadata[name] = (info.topic_id, info.num_partitions)
        group.topic_metadata = metadata
        metadata_hash = _metadata_hash(metadata)
        changed = metadata_hash != group.metadata_hash
        group.metadata_hash = metadata_hash
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
        group.assignment_timestamp_ms = now_ms()
        log.info("Computed a new target assignment for consumer group %s at epoch %d with the %s assignor",
                 group.group_id, group.group_epoch, name)

    def _fence(self, group: ConsumerGroup, member: ConsumerMember) -> None:
        self._fence_members(group, [member])

    def _fence_members(self, group: ConsumerGroup, members: list[ConsumerMember]) -> None:
        """Remove members; the others share their partitions from their next heartbeat on. If
        only members of the classic protocol remain, the group becomes a classic group again
        (online downgrade), as Kafka's validateOnlineDowngradeWithFencedMembers allows it."""
        if not members:
            return
        for member in members:
            self._cancel_timers(group, member.member_id)
        leaving = {m.member_id for m in members}
        remaining = [m for m in group.members.values() if m.member_id not in leaving]
        if (remaining and all(m.classic is not None for m in remaining) and self.config.migration_policy.downgrades
                and len(remaining) <= self.classic.config.max_size):
            classic = classic_group_from_consumer(group, leaving, self.topics, now_ms())
            for member in remaining:
                self._cancel_timers(group, member.member_id)
            self.groups[group.group_id] = classic
            log.info("Converted consumer group %s to a classic group at generation %d", group.group_id,
                     classic.generation)
            return
        for member in members:
            group.remove_member(member.member_id)
        group.bump_epoch()
        self._refresh_metadata(group)

    # -- deadlines -----------------------------------------------------------------------------

    def _schedule_session(self, group: ConsumerGroup, member_id: str) -> None:
        """The group's session timeout, or a classic-protocol member's own."""
        member = group.members.get(member_id)
        timeout_ms = (member.classic.session_timeout_ms if member is not None and member.classic is not None
                      else self._session_timeout_ms(group.group_id))
        self.scheduler.after(("consumer-session", group.group_id, member_id), timeout_ms / 1000,
                             lambda: self._session_expired(group, member_id))

    def _session_timeout_ms(self, group_id: str) -> int:
        if self.group_settings is None:
            return self.config.session_timeout_ms
        return self.group_settings(group_id).consumer_session_timeout_ms

    def _may_assign(self, group: ConsumerGroup) -> bool:
        """Whether a new target may be computed now: always for a group never assigned (or
        whose last target time is unknown) and with an interval of 0, else once the interval
        since the last target has passed. Until then the group epoch stays ahead of the target's
        and a later heartbeat (of any member) computes it."""
        interval = self._assignment_interval_ms(group.group_id)
        last = group.assignment_timestamp_ms
        return last == 0 or interval == 0 or now_ms() >= last + interval

    def _assignment_interval_ms(self, group_id: str) -> int:
        if self.group_settings is None:
            return self.config.assignment_interval_ms
        return self.group_settings(group_id).consumer_assignment_interval_ms

    def _heartbeat_interval_ms(self, group_id: str) -> int:
        if self.group_settings is None:
            return self.config.heartbeat_interval_ms
        return self.group_settings(group_id).consumer_heartbeat_interval_ms

    def _session_expired(self, group: ConsumerGroup, member_id: str) -> None:
        member = group.members.get(member_id)
        if member is None or self.groups.get(group.group_id) is not group:
            return
        log.info("Member %s of consumer group %s is fenced: its session expired", member_id, group.group_id)
        self._fence_now(group, member, "session expired")

    def _track_revocation(self, group: ConsumerGroup, member: ConsumerMember) -> None:
        """A member asked to revoke partitions must do so within its rebalance timeout."""
        key = ("consumer-revocation", group.group_id, member.member_id)
        if member.state != MemberState.UNREVOKED_PARTITIONS or member.classic is not None:
            # (a classic-protocol member revokes in its JoinGroup: its join and sync deadlines bound it)
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
        self._fence_now(group, member, "revocation timed out")

    def restore(self, group: ConsumerGroup) -> None:
        """Coordinate a group loaded from its records (Kafka's onLoaded): every member's session
        starts now, and a member that was revoking partitions has its rebalance timeout again."""
        self.groups[group.group_id] = group
        for member in group.members.values():
            self._schedule_session(group, member.member_id)
            self._track_revocation(group, member)
        log.info("Loaded consumer group %s at epoch %d with %d member(s)", group.group_id, group.group_epoch,
                 len(group.members))

    def unload(self, group: ConsumerGroup) -> None:
        """This broker no longer coordinates the group: its members hear NOT_COORDINATOR from their
        next heartbeat on, and go on at the new coordinator, which loads the group from its records."""
        group.dead = True
        for member_id in group.members:
            self._cancel_timers(group, member_id)

    def _cancel_timers(self, group: ConsumerGroup, member_id: str) -> None:
        for deadline in ("consumer-session", "consumer-revocation", "consumer-join", "consumer-sync"):
            self.scheduler.cancel((deadline, group.group_id, member_id))


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


def _metadata_hash(metadata: dict[str, tuple[uuid.UUID, int]]) -> int:
    """A signed 64-bit hash of the subscribed topics' names, ids and partition counts (0 for
    none), as Kafka keeps one in the group's epoch record. Kafka hashes more (racks) with
    another function: a group it loads from records odradek wrote is rebalanced once."""
    if not metadata:
        return 0
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(metadata):
        topic_id, partitions = metadata[name]
        digest.update(f"{name}\0{topic_id}\0{partitions}\0".encode())
    return int.from_bytes(digest.digest(), "big", signed=True)


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
