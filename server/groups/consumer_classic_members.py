"""Members of a consumer group (KIP-848) that speak the classic protocol, as Kafka serves them.

After an online upgrade (``group_migration``) the old members keep using JoinGroup, SyncGroup,
Heartbeat and LeaveGroup; Kafka answers them from the consumer group, and so does this mixin of
``ConsumerCoordinator``:

- JoinGroup updates the member's subscription (from its embedded consumer-protocol metadata)
  and reconciles it, as a consumer-protocol heartbeat would, with the partitions its metadata
  says it still owns (none for an eager assignor, which gave everything up before rejoining).
  It answers at once, with the member's epoch as the generation and no leader: the coordinator
  assigns, and SyncGroup hands the member its partitions as a ConsumerProtocolAssignment.
- Heartbeat answers REBALANCE_IN_PROGRESS while the member must rejoin to move on: the group
  epoch is past its epoch, it must revoke, or partitions it waits for have been released.
- The member's own session timeout applies; a member told to rejoin must do so within its
  rebalance timeout, and one that joined must sync within it, or it is fenced.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from odradek.storage.topic_metadata import kafka_id_string
from odradek.wire import ErrorCode

from .consumer_group import ConsumerGroup, ConsumerMember, MemberState
from .group_error import GroupError
from .group_migration import CONSUMER_PROTOCOL_TYPE, assignment_bytes, classic_metadata, subscription_of

log = logging.getLogger("odradek.groups")

FIRST_MEMBER_ID_REQUIRED_VERSION = 4


class ClassicProtocolMembers:
    """JoinGroup, SyncGroup, Heartbeat and LeaveGroup against a consumer group."""

    # -- JoinGroup -----------------------------------------------------------------------------

    async def classic_join(self, request, version: int, client_id: str, client_host: str) -> dict:
        """Kafka's classicGroupJoinToConsumerGroup; the answer once its change is stored."""
        group: ConsumerGroup = self.groups[request.group_id]
        member_id = request.member_id or kafka_id_string(uuid.uuid4())
        try:
            if not request.member_id and member_id not in group.members and len(group.members) >= self.config.max_size:
                raise GroupError(ErrorCode.GROUP_MAX_SIZE_REACHED, "The consumer group has reached its maximum "
                                 f"capacity of {self.config.max_size} members.")
            protocols = [(p.name, bytes(p.metadata)) for p in request.protocols]
            if not _supports(group, request.protocol_type, [name for name, _ in protocols]):
                raise GroupError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
                                 f"Member {member_id}'s protocols are not supported.")
            if (not request.member_id and request.group_instance_id is None
                    and version >= FIRST_MEMBER_ID_REQUIRED_VERSION):
                return _join_error(ErrorCode.MEMBER_ID_REQUIRED, member_id)  # KIP-394: come back with it
            subscription = subscription_of(protocols)
            change = self._begin(group.group_id)
            try:
                member = self._join_member(group, member_id, request.group_instance_id)
                is_new = member.member_id not in group.members
                rebalance_timeout = request.rebalance_timeout_ms
                updated = replace(
                    member,
                    instance_id=request.group_instance_id if request.group_instance_id is not None else member.instance_id,
                    rack_id=subscription.rack_id if subscription.rack_id is not None else member.rack_id,
                    rebalance_timeout_ms=member.rebalance_timeout_ms if rebalance_timeout == -1 else rebalance_timeout,
                    subscribed_topic_names=tuple(subscription.topics), subscribed_topic_regex="",
                    client_id=client_id, client_host=client_host,
                    classic=classic_metadata(request.session_timeout_ms, protocols))
                if is_new:
                    log.info("Member %s joins consumer group %s using the classic protocol", member_id, group.group_id)
                reconciled = self._update(group, member, updated, is_new, self._owned_by_name(subscription))
                replicated = self._commit(change)
            except GroupError:
                self._undo(change)
                raise
            code = await replicated()
            if code != ErrorCode.NONE:
                raise GroupError(code)
        except GroupError as exc:
            return _join_error(exc.code, request.member_id)
        if self.groups.get(group.group_id) is group and member_id in group.members:
            self.scheduler.cancel(("consumer-join", group.group_id, member_id))
            self._schedule_session(group, member_id)
            self.scheduler.after(("consumer-sync", group.group_id, member_id), reconciled.rebalance_timeout_ms / 1000,
                                 lambda: self._deadline_missed(group, member_id, "it did not sync in time"))
        return {"error_code": ErrorCode.NONE, "generation_id": reconciled.member_epoch,
                "protocol_type": CONSUMER_PROTOCOL_TYPE, "protocol_name": protocols[0][0], "leader": "",
                "skip_assignment": False, "member_id": member_id, "members": []}

    def _join_member(self, group: ConsumerGroup, member_id: str, instance_id: str | None) -> ConsumerMember:
        """The member a JoinGroup names: known, new, or a static member taking its instance over."""
        if instance_id is not None:
            owner_id = group.static_members.get(instance_id)
            if owner_id is not None and owner_id != member_id:
                owner = group.members[owner_id]
                target = group.target.get(owner_id)
                self._cancel_timers(group, owner_id)
                group.remove_member(owner_id)
                if target is not None:
                    group.target[member_id] = target
                return replace(owner, member_id=member_id, member_epoch=0, previous_member_epoch=0)
        return group.members.get(member_id) or ConsumerMember(member_id)

    def _owned_by_name(self, subscription) -> dict:
        """The partitions a classic member's subscription says it still owns, by topic id."""
        owned: dict[uuid.UUID, frozenset[int]] = {}
        for entry in subscription.owned_partitions or ():
            info = self.topics.topic(entry.topic)
            if info is not None:
                owned[info.topic_id] = owned.get(info.topic_id, frozenset()) | frozenset(entry.partitions)
        return owned

    # -- SyncGroup -----------------------------------------------------------------------------

    def classic_sync(self, request) -> dict:
        """Kafka's classicGroupSyncToConsumerGroup: the member's partitions, as the coordinator
        assigned them."""
        group: ConsumerGroup = self.groups[request.group_id]
        try:
            member = self._classic_member(group, request.member_id, request.group_instance_id, request.generation_id)
            protocol_name = member.classic.supported_protocols[0][0]
            if request.protocol_type is not None and request.protocol_type != CONSUMER_PROTOCOL_TYPE:
                raise GroupError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
            if request.protocol_name is not None and request.protocol_name != protocol_name:
                raise GroupError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
            self._check_no_rebalance(group, member)
        except GroupError as exc:
            return {"error_code": exc.code, "assignment": b""}
        self.scheduler.cancel(("consumer-sync", group.group_id, member.member_id))
        self._schedule_session(group, member.member_id)
        return {"error_code": ErrorCode.NONE, "protocol_type": CONSUMER_PROTOCOL_TYPE, "protocol_name": protocol_name,
                "assignment": assignment_bytes(member, member.assigned, self.topics)}

    # -- Heartbeat -----------------------------------------------------------------------------

    def classic_heartbeat(self, request) -> ErrorCode:
        """Kafka's classicGroupHeartbeatToConsumerGroup."""
        group: ConsumerGroup = self.groups[request.group_id]
        try:
            member = self._classic_member(group, request.member_id, request.group_instance_id, request.generation_id)
        except GroupError as exc:
            return exc.code
        self._schedule_session(group, member.member_id)
        if (member.member_epoch < group.group_epoch or member.state == MemberState.UNREVOKED_PARTITIONS
                or (member.state == MemberState.UNRELEASED_PARTITIONS and not _waiting_on_others(group, member))):
            self._rejoin_within_rebalance_timeout(group, member)
            return ErrorCode.REBALANCE_IN_PROGRESS
        return ErrorCode.NONE

    # -- LeaveGroup ----------------------------------------------------------------------------

    def classic_leave(self, group_id: str, leaving: list[tuple[str, str | None]]) -> tuple[list[ErrorCode], object]:
        """Kafka's classicGroupLeaveToConsumerGroup: one error code per member, and the stored
        change to wait for."""
        group: ConsumerGroup = self.groups[group_id]
        codes, fenced = [], []
        for member_id, instance_id in leaving:
            if instance_id is None:
                member = group.members.get(member_id)
                code = ErrorCode.NONE if member is not None else ErrorCode.UNKNOWN_MEMBER_ID
            else:
                owner_id = group.static_members.get(instance_id)
                member = group.members.get(owner_id) if owner_id is not None else None
                code = (ErrorCode.UNKNOWN_MEMBER_ID if member is None
                        else ErrorCode.FENCED_INSTANCE_ID if member_id and member_id != owner_id else ErrorCode.NONE)
            codes.append(code)
            if code == ErrorCode.NONE and member not in fenced:
                log.info("Member %s left consumer group %s through LeaveGroup", member.member_id, group_id)
                fenced.append(member)
        change = self._begin(group_id)
        try:
            self._fence_members(group, fenced)
            replicated = self._commit(change)
        except GroupError:
            self._undo(change)
            raise
        return codes, replicated

    # -- shared checks and deadlines -----------------------------------------------------------

    def _classic_member(self, group: ConsumerGroup, member_id: str, instance_id: str | None,
                        generation: int) -> ConsumerMember:
        if instance_id is not None:
            owner_id = group.static_members.get(instance_id)
            if owner_id is None:
                raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
            if owner_id != member_id:
                raise GroupError(ErrorCode.FENCED_INSTANCE_ID)
        member = group.members.get(member_id)
        if member is None or member.classic is None:
            raise GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
        if member.member_epoch != generation:
            raise GroupError(ErrorCode.ILLEGAL_GENERATION)
        return member

    def _check_no_rebalance(self, group: ConsumerGroup, member: ConsumerMember) -> None:
        """A new rebalance started since the member joined: it must rejoin (unless it is still
        revoking, which it finishes first)."""
        if group.group_epoch > member.member_epoch and member.state != MemberState.UNREVOKED_PARTITIONS:
            self._rejoin_within_rebalance_timeout(group, member)
            raise GroupError(ErrorCode.REBALANCE_IN_PROGRESS)

    def _rejoin_within_rebalance_timeout(self, group: ConsumerGroup, member: ConsumerMember) -> None:
        key = ("consumer-join", group.group_id, member.member_id)
        if self.scheduler.deadline(key) is None:
            self.scheduler.after(key, member.rebalance_timeout_ms / 1000,
                                 lambda: self._deadline_missed(group, member.member_id, "it did not rejoin in time"))

    def _deadline_missed(self, group: ConsumerGroup, member_id: str, why: str) -> None:
        member = group.members.get(member_id)
        if member is None or self.groups.get(group.group_id) is not group:
            return
        log.info("Member %s of consumer group %s is fenced: %s", member_id, group.group_id, why)
        self._fence_now(group, member, why)


def _supports(group: ConsumerGroup, protocol_type: str, names: list[str]) -> bool:
    """Kafka's supportsClassicProtocols: the consumer protocol, and a protocol every classic
    member supports."""
    if protocol_type != CONSUMER_PROTOCOL_TYPE or not names:
        return False
    classic = [m for m in group.members.values() if m.classic is not None]
    return not classic or any(all(name in {n for n, _ in m.classic.supported_protocols} for m in classic)
                              for name in names)


def _waiting_on_others(group: ConsumerGroup, member: ConsumerMember) -> bool:
    """Whether partitions of the member's target are still owned by another member."""
    for topic_id, partitions in group.target.get(member.member_id, {}).items():
        held = member.assigned.get(topic_id, frozenset())
        if any(p not in held and group.owner_epoch(topic_id, p) != -1 for p in partitions):
            return True
    return False


def _join_error(code: ErrorCode, member_id: str) -> dict:
    return {"error_code": code, "generation_id": -1, "protocol_type": None, "protocol_name": None,
            "leader": "", "skip_assignment": False, "member_id": member_id, "members": []}
