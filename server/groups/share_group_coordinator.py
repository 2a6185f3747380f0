"""Share group membership (KIP-932): ShareGroupHeartbeat, session expiry and group deletion, as Kafka 4.3 runs them.

A member names itself (a UUID it keeps for life), joins with epoch 0 and its subscription, then
heartbeats with its epoch, and leaves with epoch -1. Each heartbeat (1) updates the member and bumps
the group epoch when what the assignment depends on changed: a subscription, the subscribed
topics' metadata, or partitions that became consumable since the last target; (2) recomputes the
target with the simple assignor once the group epoch has moved past it, at most every
``group.share.assignment.interval.ms``; (3) moves the member straight to its target, filtered to
what it still subscribes to (share members never revoke: records, not partitions, are exclusive).
A member silent for the session timeout is removed, which bumps the group epoch; the others get
its partitions from their next heartbeat on.

Partitions are consumable once the share coordinator holds their state: the first heartbeat
subscribing to a topic marks its partitions *initializing* and, once that is stored, asks the
share coordinator to initialize them (``share_state``); when it answers they are *initialized*,
and the next heartbeat bumps the epoch and assigns them. So a new group's first member gets its
partitions on its second heartbeat, as with Kafka.

Every change is a list of records (``share_group_records``): appended to the group's partition of
``__consumer_offsets`` and, once appended, applied to the groups (a change that cannot be written
does not happen); a heartbeat is answered once every in-sync replica has them, or with the
coordinator error their write failed with.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from odradek.wire import ErrorCode

from .assignors import Assignment, MemberSpec
from .group_error import GroupError, known_member, unknown_member
from .metadata_hash import metadata_hash
from .scheduler import Scheduler
from .share_group import LEAVE_EPOCH, ShareGroup, ShareMember
from .share_group_config import ShareGroupConfig
from .share_group_records import (
    MEMBER_METADATA, ShareEntry, ShareGroupMetadata, ShareStatePartitionMetadata, ShareTargetAssignmentMember,
    ShareTargetAssignmentMetadata, ShareTombstone, current_assignment, group_tombstones, member_metadata,
    member_tombstones, replay,
)
from .share_partition_metadata import ByTopic, SharePartitionMetadata
from .share_state import ShareStatePersister
from .simple_assignor import simple

log = logging.getLogger("odradek.groups")

JOIN_EPOCH = 0
MAX_MEMBER_ID_LENGTH = 36  # a UUID's text


def _wall_clock_ms() -> int:
    return int(time.time() * 1000)


async def _nothing_to_wait_for() -> ErrorCode:
    return ErrorCode.NONE


class ShareGroupCoordinator:
    """``store(group_id, entries)`` appends records now (GroupError with Kafka's answer if it
    cannot) and returns what waits for the in-sync replicas (an ErrorCode, as Kafka's coordinator
    answers a write that failed), as for consumer groups. ``settings(group_id)`` gives a group's
    effective ``share_*`` settings (its own, else the broker's); ``spawn`` starts a background task
    in the coordinator's nursery."""

    def __init__(self, groups: dict, config: ShareGroupConfig, scheduler: Scheduler, topics, store: Callable,
                 persister: ShareStatePersister, spawn: Callable, settings: Callable | None = None,
                 check_coordinator: Callable[[str], None] = lambda _: None,
                 now_ms: Callable[[], int] = _wall_clock_ms):
        self.groups = groups  # shared with the other group types: a group ID names one group
        self.config = config
        self.scheduler = scheduler
        self.topics = topics  # topic(name), topic_by_id(id): the cluster's topics
        self.store = store
        self.persister = persister
        self.spawn = spawn
        self.settings = settings
        self.check_coordinator = check_coordinator
        self.now_ms = now_ms

    def share_group(self, group_id: str) -> ShareGroup | None:
        group = self.groups.get(group_id)
        return group if isinstance(group, ShareGroup) else None

    def coordinator_error(self, group_id: str) -> ErrorCode:
        """NONE if this broker coordinates the group, else the error to answer."""
        try:
            self.check_coordinator(group_id)
        except GroupError as exc:
            return exc.code
        return ErrorCode.NONE

    def is_member(self, group_id: str, member_id: str) -> bool:
        """Whether ``member_id`` is a member of the share group (ShareFetch and ShareAcknowledge ask)."""
        group = self.share_group(group_id)
        return group is not None and member_id in group.members

    # -- per-group settings --------------------------------------------------------------------

    def session_timeout_ms(self, group_id: str) -> int:
        if self.settings is None:
            return self.config.session_timeout_ms
        return self.settings(group_id).share_session_timeout_ms

    def heartbeat_interval_ms(self, group_id: str) -> int:
        if self.settings is None:
            return self.config.heartbeat_interval_ms
        return self.settings(group_id).share_heartbeat_interval_ms

    def assignment_interval_ms(self, group_id: str) -> int:
        if self.settings is None:
            return self.config.assignment_interval_ms
        return self.settings(group_id).share_assignment_interval_ms

    # -- ShareGroupHeartbeat -------------------------------------------------------------------

    async def heartbeat(self, request, client_id: str, client_host: str) -> dict:
        """The response body of one ShareGroupHeartbeat (without the throttle time)."""
        initialize = None
        try:
            _validate(request)
            self.check_coordinator(request.group_id)
            if request.member_epoch == LEAVE_EPOCH:
                entries, answer = self._leave(request)
            else:
                entries, answer, initialize = self._heartbeat(request, client_id, client_host)
            replicated = self._write(request.group_id, entries)
        except GroupError as exc:
            return _error(exc.code, exc.message)
        if request.member_epoch != LEAVE_EPOCH:
            self._schedule_session(request.group_id, request.member_id)
        code = await replicated()
        if code != ErrorCode.NONE:
            return _error(code, None)
        if initialize is not None:
            self.spawn(self._initialize, request.group_id, *initialize)
        return answer

    def _heartbeat(self, request, client_id: str, client_host: str):
        group_id, member_id, joining = request.group_id, request.member_id, request.member_epoch == JOIN_EPOCH
        group, member = self._group_and_member(request, joining)
        now = self.now_ms()
        names = request.subscribed_topic_names
        updated = replace(
            member, client_id=client_id, client_host=client_host,
            rack_id=member.rack_id if request.rack_id is None else request.rack_id,
            subscribed_topic_names=member.subscribed_topic_names if names is None else frozenset(names),
        )
        entries: list[ShareEntry] = []
        bump = False
        if updated != member:
            entries.append(member_metadata(group_id, updated))
            if updated.subscribed_topic_names != member.subscribed_topic_names:
                log.info("Member %s of share group %s subscribes to %s", member_id, group_id,
                         sorted(updated.subscribed_topic_names))
                bump = True
        # deleted topics' partitions have no state any more (Kafka forgets them as it hears of the
        # deletion; here the group's next heartbeat does)
        partitions = group.partitions
        gone = {t for t in partitions.topics() if self.topics.topic_by_id(t) is None}
        if gone:
            partitions = partitions.without_topics(gone)

        # 1. the group epoch
        if group.assignment_epoch >= group.group_epoch:
            bump |= self._unassigned_partitions_initialized(group, partitions)
        members = {**group.members, member_id: updated}
        metadata = self._topic_metadata(n for m in members.values() for n in m.subscribed_topic_names)
        new_hash = metadata_hash(metadata)
        bump |= new_hash != group.metadata_hash
        group_epoch = group.group_epoch
        if bump:
            group_epoch += 1
            entries.append(ShareGroupMetadata(group_id, group_epoch, new_hash))
            log.info("Bumped the epoch of share group %s to %d", group_id, group_epoch)

        # 2. the target assignment, and 3. the member moving to it
        target_epoch, target = self._target(group, group_epoch, members, metadata, partitions, member_id, now, entries)
        reconciled = updated
        if target_epoch != updated.member_epoch:
            reconciled = replace(updated, member_epoch=target_epoch, previous_member_epoch=updated.member_epoch,
                                 assigned=self._subscribed_only(target, updated))
        elif bump:
            reconciled = replace(updated, assigned=self._subscribed_only(target, updated))
        if reconciled != updated:
            entries.append(current_assignment(group_id, reconciled))

        # the partitions that still need state
        initialize = None
        wanted = partitions.uninitialized(metadata, now, self.config.initialize_retry_interval_ms)
        if wanted:
            partitions = partitions.start_initializing(wanted)
            initialize = (group_epoch, wanted)
        if partitions != group.partitions:
            entries.append(ShareStatePartitionMetadata(group_id, partitions))

        full = joining or names is not None
        answer = {"error_code": ErrorCode.NONE, "error_message": None, "member_id": member_id,
                  "member_epoch": reconciled.member_epoch, "heartbeat_interval_ms": self.heartbeat_interval_ms(group_id),
                  "assignment": ({"topic_partitions": _topic_partitions(reconciled.assigned)}
                                 if full or reconciled.assigned != member.assigned else None)}
        return entries, answer, initialize

    def _group_and_member(self, request, joining: bool) -> tuple[ShareGroup, ShareMember]:
        """The group and member a heartbeat names (new ones when joining), checked as Kafka checks
        them: the group's type, its size, the member's epoch."""
        group_id, member_id = request.group_id, request.member_id
        group = self.groups.get(group_id)
        if group is None:
            if not joining:
                raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Share group {group_id} not found.")
            group = ShareGroup(group_id)  # in the groups once its records are applied
        elif not isinstance(group, ShareGroup):
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a share group.")
        if len(group.members) >= self.config.max_size and member_id not in group.members:
            raise GroupError(ErrorCode.GROUP_MAX_SIZE_REACHED, "The share group has reached its maximum capacity "
                             f"of {self.config.max_size} members.")
        member = group.members.get(member_id)
        if member is None:
            if not joining:
                raise unknown_member(member_id, group_id)
            log.info("Member %s joins share group %s", member_id, group_id)
            return group, ShareMember(member_id)
        if not joining:
            _check_epoch(member, request.member_epoch)
        return group, member

    def _target(self, group: ShareGroup, group_epoch: int, members: dict[str, ShareMember], metadata,
                partitions: SharePartitionMetadata, member_id: str, now: int,
                entries: list[ShareEntry]) -> tuple[int, Assignment]:
        """The target epoch and the member's target: a new target (its records added to
        ``entries``) if the group epoch moved past the last one and the assignment interval
        allows, else the last one."""
        if group.assignment_epoch >= group_epoch or not self._may_assign(group, now):
            return group.assignment_epoch, group.target.get(member_id, {})
        targets = self._assign(group, members, metadata, partitions)
        for m, target in targets.items():
            if target != group.target.get(m):
                entries.append(ShareTargetAssignmentMember(group.group_id, m, target))
        entries.append(ShareTargetAssignmentMetadata(group.group_id, group_epoch, now))
        log.info("Computed a new target assignment for share group %s at epoch %d", group.group_id, group_epoch)
        return group_epoch, targets[member_id]

    def _leave(self, request):
        group_id, member_id = request.group_id, request.member_id
        group = self.groups.get(group_id)
        if group is None:
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} not found.")
        if not isinstance(group, ShareGroup):
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a share group.")
        known_member(group, member_id)
        log.info("Member %s left share group %s", member_id, group_id)
        return self._fence(group, member_id), {"error_code": ErrorCode.NONE, "error_message": None, "member_id": member_id,
                         "member_epoch": LEAVE_EPOCH, "heartbeat_interval_ms": 0, "assignment": None}

    # -- the group's make-up -------------------------------------------------------------------

    def _topic_metadata(self, names) -> dict[str, tuple[uuid.UUID, int]]:
        """The subscribed topics that exist, by name (in name order): (topic id, partition count)."""
        metadata = {}
        for name in sorted(set(names)):
            info = self.topics.topic(name)
            if info is not None:
                metadata[name] = (info.topic_id, info.num_partitions)
        return metadata

    def _unassigned_partitions_initialized(self, group: ShareGroup, partitions: SharePartitionMetadata) -> bool:
        """Whether partitions of a subscribed topic got their state since the target was computed
        (Kafka's initializedAssignmentPending): then a new target is due."""
        if not group.members or not partitions.initialized:
            return False
        subscribed = group_subscriptions(group)
        if not subscribed:
            return False
        assigned: dict[uuid.UUID, set[int]] = {}
        for target in group.target.values():
            for topic_id, parts in target.items():
                assigned.setdefault(topic_id, set()).update(parts)
        return any(topic.name in subscribed and assigned.get(topic_id) != set(topic.partitions)
                   for topic_id, topic in partitions.initialized.items())

    def _may_assign(self, group: ShareGroup, now: int) -> bool:
        """Kafka recomputes a target at most every assignment interval (0: always; and always
        when it does not know when the last one was computed)."""
        interval = self.assignment_interval_ms(group.group_id)
        return group.assignment_timestamp_ms == 0 or interval == 0 or now >= group.assignment_timestamp_ms + interval

    def _assign(self, group: ShareGroup, members: dict[str, ShareMember], metadata,
                partitions: SharePartitionMetadata) -> dict[str, Assignment]:
        specs = {
            member_id: MemberSpec(topics=frozenset(metadata[n][0] for n in m.subscribed_topic_names if n in metadata),
                                  current=group.target.get(member_id, {}))
            for member_id, m in members.items()
        }
        return simple(specs, dict(metadata.values()), partitions.initialized_partitions())

    def _subscribed_only(self, target: Assignment, member: ShareMember) -> dict[uuid.UUID, frozenset[int]]:
        """The target's partitions of topics the member still subscribes to."""
        kept = {}
        for topic_id, partitions in target.items():
            info = self.topics.topic_by_id(topic_id)
            if info is not None and info.name in member.subscribed_topic_names:
                kept[topic_id] = partitions
        return kept

    def _fence(self, group: ShareGroup, member_id: str) -> list[ShareEntry]:
        """The records that remove a member and bump the group epoch."""
        others = [m for m in group.members.values() if m.member_id != member_id]
        remaining = self._topic_metadata(n for m in others for n in m.subscribed_topic_names)
        entries: list[ShareEntry] = member_tombstones(group.group_id, member_id)
        entries.append(ShareGroupMetadata(group.group_id, group.group_epoch + 1, metadata_hash(remaining)))
        return entries

    def _write(self, group_id: str, entries: list[ShareEntry]) -> Callable:
        """Append the records (GroupError if they cannot be: then nothing changes) and apply them
        to the groups; what waits for the in-sync replicas."""
        if not entries:
            return _nothing_to_wait_for
        replicated = self.store(group_id, entries)
        for entry in entries:
            replay(self.groups, entry)
            if isinstance(entry, ShareTombstone) and entry.key.record_type == MEMBER_METADATA:
                self.scheduler.cancel(_session_key(group_id, entry.key.member_id))  # the member is gone
        return replicated

    # -- share-partition state -----------------------------------------------------------------

    async def _initialize(self, group_id: str, state_epoch: int, topics: ByTopic) -> None:
        """Ask the share coordinator for the partitions' state, then record them initialized (or,
        refused, no longer initializing: a later heartbeat asks again)."""
        code = await self.persister.initialize(group_id, state_epoch, {t: v.partitions for t, v in topics.items()})
        group = self.share_group(group_id)
        if group is None:
            return
        if code == ErrorCode.NONE:
            partitions = group.partitions.finish_initializing(topics)
        else:
            log.error("The share coordinator could not initialize the state of share group %s: %s", group_id, code.name)
            partitions = group.partitions.abandon_initializing({t: v.partitions for t, v in topics.items()})
        try:
            stored = await self._write(group_id, [ShareStatePartitionMetadata(group_id, partitions)])()
        except GroupError as exc:
            stored = exc.code
        if stored != ErrorCode.NONE:
            log.warning("Could not store the share-partition state metadata of share group %s: %s", group_id,
                        stored.name)

    # -- sessions ------------------------------------------------------------------------------

    def _schedule_session(self, group_id: str, member_id: str) -> None:
        self.scheduler.after(_session_key(group_id, member_id), self.session_timeout_ms(group_id) / 1000,
                             lambda: self._session_expired(group_id, member_id))

    def _session_expired(self, group_id: str, member_id: str) -> None:
        group = self.share_group(group_id)
        if group is None or member_id not in group.members:
            return
        log.info("Member %s of share group %s is fenced: its session expired", member_id, group_id)
        try:
            self._write(group_id, self._fence(group, member_id))  # not waited for: nobody is answered
        except GroupError as exc:
            log.warning("Could not store that member %s left share group %s: %s; trying again after another "
                        "session timeout", member_id, group_id, exc.code.name)
            self._schedule_session(group_id, member_id)

    # -- DeleteGroups --------------------------------------------------------------------------

    async def delete(self, group_id: str) -> ErrorCode | None:
        """Delete an empty share group, its share-partition state first; None if ``group_id`` is
        not a share group (the caller deletes it as the group type it is)."""
        group = self.share_group(group_id)
        if group is None:
            return None
        if group.members:
            return ErrorCode.NON_EMPTY_GROUP
        if not group.partitions.is_empty:
            partitions, doomed = group.partitions.start_deleting(self._partition_count)
            code = await self.write_now(group_id, [ShareStatePartitionMetadata(group_id, partitions)])
            if code != ErrorCode.NONE:
                return code
            if doomed:
                code = await self.persister.delete(group_id, {t: v.partitions for t, v in doomed.items()})
                if code != ErrorCode.NONE:
                    log.error("The share coordinator could not delete the state of share group %s: %s", group_id,
                              code.name)
                    return code
            group = self.share_group(group_id)  # it may have changed while the state was deleted
            if group is None:
                return ErrorCode.GROUP_ID_NOT_FOUND
            if group.members:
                return ErrorCode.NON_EMPTY_GROUP
        code = await self.write_now(group_id, group_tombstones(group))
        if code == ErrorCode.NONE:
            log.info("Deleted share group %s", group_id)
        return code

    async def write_now(self, group_id: str, entries: list[ShareEntry]) -> ErrorCode:
        """Write the records and wait for the in-sync replicas: NONE, or the error."""
        try:
            replicated = self._write(group_id, entries)
        except GroupError as exc:
            return exc.code
        return await replicated()

    def _partition_count(self, topic_id: uuid.UUID) -> int | None:
        info = self.topics.topic_by_id(topic_id)
        return None if info is None else info.num_partitions

    # -- loading and unloading -----------------------------------------------------------------

    def restore(self, group: ShareGroup) -> None:
        """A group replayed from the log: its members' sessions start now, as in Kafka."""
        group.partitions = group.partitions.replayed_at(self.now_ms())
        self.groups[group.group_id] = group
        for member_id in group.members:
            self._schedule_session(group.group_id, member_id)

    def unload(self, group: ShareGroup) -> None:
        """This broker no longer coordinates the group: its new coordinator replays it."""
        group.dead = True
        for member_id in group.members:
            self.scheduler.cancel(_session_key(group.group_id, member_id))


def group_subscriptions(group: ShareGroup) -> set[str]:
    return {name for m in group.members.values() for name in m.subscribed_topic_names}


def _validate(request) -> None:
    """Kafka's checks of a ShareGroupHeartbeat, before the coordinator looks at the group."""
    if not request.member_id or len(request.member_id) > MAX_MEMBER_ID_LENGTH:
        raise GroupError(ErrorCode.INVALID_REQUEST, None)  # KafkaApis answers these without a message
    if not request.group_id:
        raise GroupError(ErrorCode.INVALID_REQUEST, "GroupId can't be empty.")
    if request.rack_id == "":
        raise GroupError(ErrorCode.INVALID_REQUEST, "RackId can't be empty.")
    if request.member_epoch == JOIN_EPOCH:
        if not request.subscribed_topic_names:
            raise GroupError(ErrorCode.INVALID_REQUEST, "SubscribedTopicNames must be set in first request.")
    elif request.member_epoch < LEAVE_EPOCH:
        raise GroupError(ErrorCode.INVALID_REQUEST, "MemberEpoch is invalid.")


def _check_epoch(member: ShareMember, received: int) -> None:
    """Kafka's fencing: an epoch ahead of the coordinator's, or behind it other than the
    member's previous epoch (the response that moved it on was lost), is refused."""
    if received > member.member_epoch:
        raise GroupError(ErrorCode.FENCED_MEMBER_EPOCH, f"The share group member has a greater member epoch "
                         f"({received}) than the one known by the group coordinator ({member.member_epoch}). "
                         "The member must abandon all its partitions and rejoin.")
    if received < member.member_epoch and received != member.previous_member_epoch:
        raise GroupError(ErrorCode.FENCED_MEMBER_EPOCH, f"The share group member has a smaller member epoch "
                         f"({received}) than the one known by the group coordinator ({member.member_epoch}), and it "
                         f"does not match the previous member epoch ({member.previous_member_epoch}). The member "
                         "must abandon all its partitions and rejoin.")


def _topic_partitions(assignment: Assignment) -> list[dict]:
    return [{"topic_id": topic_id, "partitions": sorted(partitions)} for topic_id, partitions in assignment.items()]


def _session_key(group_id: str, member_id: str) -> tuple:
    return ("share-session", group_id, member_id)


def _error(code: ErrorCode, message: str | None) -> dict:
    return {"error_code": code, "error_message": message, "member_id": None, "member_epoch": 0,
            "heartbeat_interval_ms": 0, "assignment": None}
