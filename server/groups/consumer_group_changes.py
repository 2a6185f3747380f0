"""A consumer group as records in ``__consumer_offsets``: what a change writes, and the group
rebuilt from the records replay finds.

The coordinator changes a group in memory, then writes what changed as Kafka's coordinator
writes it, in one batch, in the order Kafka writes (and checks, when it replays) them:

1. a leaving member's tombstones: its current assignment, its target, its subscription;
2. the subscription of each new or changed member;
3. the group epoch (with the subscription metadata hash), and a tombstone for Kafka's older
   subscription-metadata record if one is stored;
4. each changed target, then the target assignment's epoch;
5. each changed current assignment (a member's epochs, state and partitions).

A deleted group leaves tombstones for every key, the epoch last; a group made from scratch
(a conversion) writes every record. Comparing images before and after a change, rather than
recording each step, keeps the coordinator's logic as it is and makes what is written exactly
what is held, which is what replay must give back.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .assignors import Assignment
from .consumer_group import ConsumerGroup, ConsumerMember, MemberState
from .consumer_group_records import (
    CURRENT_ASSIGNMENT_TYPE, GROUP_EPOCH_TYPE, MEMBER_METADATA_TYPE, PARTITION_METADATA_TYPE,
    TARGET_ASSIGNMENT_EPOCH_TYPE, TARGET_ASSIGNMENT_MEMBER_TYPE, ConsumerGroupEntry, ConsumerGroupKey,
    CurrentAssignment, GroupEpoch, MemberStateCode, MemberSubscription, PartitionMetadata, TargetAssignment,
    TargetAssignmentEpoch,
)
from .offsets_records import Tombstone

_STATE_CODES = {
    MemberState.STABLE: MemberStateCode.STABLE,
    MemberState.UNREVOKED_PARTITIONS: MemberStateCode.UNREVOKED_PARTITIONS,
    MemberState.UNRELEASED_PARTITIONS: MemberStateCode.UNRELEASED_PARTITIONS,
}
_STATES = {code: state for state, code in _STATE_CODES.items()}

Record = ConsumerGroupEntry | Tombstone


@dataclass(frozen=True)
class GroupImage:
    """What a consumer group's records hold, at one moment (members are immutable)."""

    group_epoch: int
    metadata_hash: int
    assignment_epoch: int
    assignment_timestamp_ms: int
    partition_metadata_stored: bool
    members: Mapping[str, ConsumerMember]
    target: Mapping[str, Assignment]


def image_of(group: ConsumerGroup) -> GroupImage:
    return GroupImage(group.group_epoch, group.metadata_hash, group.assignment_epoch, group.assignment_timestamp_ms,
                      group.partition_metadata_stored, dict(group.members), dict(group.target))


def restore(group: ConsumerGroup, image: GroupImage) -> None:
    """Put a group back as it was (a change whose records could not be written)."""
    group.group_epoch, group.metadata_hash = image.group_epoch, image.metadata_hash
    group.assignment_epoch, group.assignment_timestamp_ms = image.assignment_epoch, image.assignment_timestamp_ms
    group.partition_metadata_stored = image.partition_metadata_stored
    for member_id in list(group.members):
        group.remove_member(member_id)
    for member in image.members.values():
        group.put_member(member)
    group.target = dict(image.target)


def changes(group_id: str, before: GroupImage | None, after: GroupImage | None) -> list[Record]:
    """The records that take the stored group from ``before`` to ``after`` (None: no group)."""
    if after is None:
        return [] if before is None else _tombstones(group_id, before)
    old_members = {} if before is None else before.members
    old_target = {} if before is None else before.target
    records: list[Record] = []
    for member_id in old_members:
        if member_id not in after.members:
            records += _member_tombstones(group_id, member_id)
    for member_id, member in after.members.items():
        old = old_members.get(member_id)
        if old is None or old.metadata() != member.metadata():
            records.append(subscription_record(group_id, member))
    if before is None or (before.group_epoch, before.metadata_hash) != (after.group_epoch, after.metadata_hash):
        records.append(GroupEpoch(group_id, after.group_epoch, after.metadata_hash))
    if before is not None and before.partition_metadata_stored and not after.partition_metadata_stored:
        records.append(Tombstone(ConsumerGroupKey(PARTITION_METADATA_TYPE, group_id)))
    for member_id, target in after.target.items():
        if member_id in after.members and old_target.get(member_id) != target:
            records.append(TargetAssignment(group_id, member_id, dict(target)))
    if before is None or (before.assignment_epoch, before.assignment_timestamp_ms) != (
            after.assignment_epoch, after.assignment_timestamp_ms):
        records.append(TargetAssignmentEpoch(group_id, after.assignment_epoch, after.assignment_timestamp_ms))
    for member_id, member in after.members.items():
        old = old_members.get(member_id)
        if old is None or old.current_assignment() != member.current_assignment():
            records.append(current_assignment_record(group_id, member))
    return records


def _member_tombstones(group_id: str, member_id: str) -> list[Record]:
    return [Tombstone(ConsumerGroupKey(record_type, group_id, member_id))
            for record_type in (CURRENT_ASSIGNMENT_TYPE, TARGET_ASSIGNMENT_MEMBER_TYPE, MEMBER_METADATA_TYPE)]


def _tombstones(group_id: str, image: GroupImage) -> list[Record]:
    """Kafka's order for a deleted group: assignments, targets, the target's epoch, subscriptions,
    the old subscription metadata, and the group epoch last."""
    def each(record_type: int, member_ids) -> list[Record]:
        return [Tombstone(ConsumerGroupKey(record_type, group_id, m)) for m in member_ids]

    return [*each(CURRENT_ASSIGNMENT_TYPE, image.members), *each(TARGET_ASSIGNMENT_MEMBER_TYPE, image.target),
            Tombstone(ConsumerGroupKey(TARGET_ASSIGNMENT_EPOCH_TYPE, group_id)),
            *each(MEMBER_METADATA_TYPE, image.members),
            Tombstone(ConsumerGroupKey(PARTITION_METADATA_TYPE, group_id)),
            Tombstone(ConsumerGroupKey(GROUP_EPOCH_TYPE, group_id))]


def subscription_record(group_id: str, member: ConsumerMember) -> MemberSubscription:
    return MemberSubscription(group_id, member.member_id, member.instance_id, member.rack_id, member.client_id,
                              member.client_host, tuple(member.subscribed_topic_names), member.subscribed_topic_regex,
                              member.rebalance_timeout_ms, member.server_assignor, member.classic)


def current_assignment_record(group_id: str, member: ConsumerMember) -> CurrentAssignment:
    _, _, state, assigned, pending = member.current_assignment()
    return CurrentAssignment(group_id, member.member_id, member.member_epoch, member.previous_member_epoch,
                             int(_STATE_CODES[state]), assigned, pending)


def now_ms() -> int:
    return int(time.time() * 1000)


# --- replay --------------------------------------------------------------------------------------

@dataclass
class LoadedConsumerGroup:
    """The latest record of each key of one group, as replay finds them."""

    group_id: str
    epoch: GroupEpoch | None = None
    target_epoch: TargetAssignmentEpoch | None = None
    partition_metadata_stored: bool = False
    subscriptions: dict[str, MemberSubscription] = field(default_factory=dict)
    targets: dict[str, TargetAssignment] = field(default_factory=dict)
    assignments: dict[str, CurrentAssignment] = field(default_factory=dict)

    def build(self) -> ConsumerGroup:
        """The group the records describe. A member's assignment comes back as stored: its epoch,
        its state and its partitions, so its next heartbeat goes on where it left off."""
        group = ConsumerGroup(self.group_id)
        if self.epoch is not None:
            group.group_epoch, group.metadata_hash = self.epoch.epoch, self.epoch.metadata_hash
        if self.target_epoch is not None:
            group.assignment_epoch = self.target_epoch.assignment_epoch
            group.assignment_timestamp_ms = self.target_epoch.assignment_timestamp_ms
        group.partition_metadata_stored = self.partition_metadata_stored
        for member_id in self.subscriptions.keys() | self.assignments.keys():
            group.put_member(_member(member_id, self.subscriptions.get(member_id), self.assignments.get(member_id)))
        group.target = {member_id: dict(t.partitions) for member_id, t in self.targets.items()
                        if member_id in group.members}
        return group


def _member(member_id: str, subscription: MemberSubscription | None,
            assignment: CurrentAssignment | None) -> ConsumerMember:
    member = ConsumerMember(member_id)
    if subscription is not None:
        member = replace(
            member, instance_id=subscription.instance_id, rack_id=subscription.rack_id,
            client_id=subscription.client_id, client_host=subscription.client_host,
            rebalance_timeout_ms=subscription.rebalance_timeout_ms,
            subscribed_topic_names=tuple(subscription.subscribed_topic_names),
            subscribed_topic_regex=subscription.subscribed_topic_regex, server_assignor=subscription.server_assignor,
            classic=subscription.classic)
    if assignment is not None:
        epochs = {(t, p): e for partitions in (assignment.assigned, assignment.pending_revocation)
                  for t, by_partition in partitions.items() for p, e in by_partition.items()}
        member = replace(
            member, member_epoch=assignment.member_epoch, previous_member_epoch=assignment.previous_member_epoch,
            state=_STATES.get(assignment.state, MemberState.STABLE),
            assigned={t: frozenset(ps) for t, ps in assignment.assigned.items()},
            pending_revocation={t: frozenset(ps) for t, ps in assignment.pending_revocation.items()},
            assignment_epochs=epochs)
    return member


def apply(groups: dict[str, LoadedConsumerGroup], record: Record) -> None:
    """Replay one record of a consumer-group type into ``groups`` (by group id)."""
    key = record.key
    loaded = groups.get(key.group)
    if isinstance(record, Tombstone):
        if loaded is None:
            return
        if key.record_type == GROUP_EPOCH_TYPE:
            del groups[key.group]
        elif key.record_type == PARTITION_METADATA_TYPE:
            loaded.partition_metadata_stored = False
        elif key.record_type == TARGET_ASSIGNMENT_EPOCH_TYPE:
            loaded.target_epoch = None
        else:
            {MEMBER_METADATA_TYPE: loaded.subscriptions, TARGET_ASSIGNMENT_MEMBER_TYPE: loaded.targets,
             CURRENT_ASSIGNMENT_TYPE: loaded.assignments}[key.record_type].pop(key.member_id, None)
        return
    if loaded is None:
        loaded = groups[key.group] = LoadedConsumerGroup(key.group)
    if isinstance(record, GroupEpoch):
        loaded.epoch = record
    elif isinstance(record, PartitionMetadata):
        loaded.partition_metadata_stored = True
    elif isinstance(record, TargetAssignmentEpoch):
        loaded.target_epoch = record
    elif isinstance(record, MemberSubscription):
        loaded.subscriptions[record.member_id] = record
    elif isinstance(record, TargetAssignment):
        loaded.targets[record.member_id] = record
    else:
        loaded.assignments[record.member_id] = record
