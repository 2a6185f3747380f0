"""A consumer group of the KIP-848 protocol: its members, their epochs and the target assignment.

The coordinator, not a leader member, assigns partitions. The *group epoch* counts changes to
what the assignment depends on (members joining or leaving, subscriptions, the partitions of
subscribed topics); the *assignment epoch* is the group epoch the target assignment was
computed for; a member's epoch tells which target it has reconciled to. A member may only be
given a partition once its previous owner has revoked it, so the group tracks which epoch owns
each partition.

The states and their names are Kafka's: Empty (no members), Assigning (the target is older
than the group epoch), Reconciling (some member has not caught up with the target), Stable,
and Dead (deleted).

The group is kept in ``__consumer_offsets`` as Kafka keeps it (see ``consumer_group_changes``):
what is written is what these objects hold, and replay builds them back.
"""

from __future__ import annotations

import enum
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from odradek.wire import ErrorCode

from . import group_types
from .assignors import Assignment, TopicPartition
from .consumer_group_records import ClassicMemberMetadata
from .group_error import GroupError
from .member_epoch_offsets import MemberEpochOffsets

LEAVE_EPOCH = -1  # a member leaving for good
STATIC_LEAVE_EPOCH = -2  # a static member going away for now: its partitions wait for it


class ConsumerGroupState(enum.Enum):
    EMPTY = "Empty"
    ASSIGNING = "Assigning"
    RECONCILING = "Reconciling"
    STABLE = "Stable"
    DEAD = "Dead"


class MemberState(enum.Enum):
    STABLE = "stable"  # owns its target (or all of it that is free yet)
    UNREVOKED_PARTITIONS = "unrevoked_partitions"  # must give partitions up before going on
    UNRELEASED_PARTITIONS = "unreleased_partitions"  # waits for others to give partitions up


@dataclass(frozen=True)
class ConsumerMember:
    """One member; immutable, so an update is a new member and can be compared with the old."""

    member_id: str
    instance_id: str | None = None
    rack_id: str | None = None
    client_id: str = ""
    client_host: str = ""
    rebalance_timeout_ms: int = -1
    subscribed_topic_names: tuple[str, ...] = ()
    subscribed_topic_regex: str | None = None  # None or "" when the member has none
    server_assignor: str | None = None
    member_epoch: int = 0
    previous_member_epoch: int = 0
    state: MemberState = MemberState.STABLE
    assigned: Assignment = field(default_factory=dict)  # what it owns, or is told to take
    pending_revocation: Assignment = field(default_factory=dict)  # what it must give up
    # the member epoch each owned partition was assigned at (KIP-1251); kept for the records
    assignment_epochs: dict[TopicPartition, int] = field(default_factory=dict)
    classic: ClassicMemberMetadata | None = None  # set for a member that uses the classic protocol

    def assignment_epoch(self, topic_id: uuid.UUID, partition: int) -> int:
        """The epoch the member was given the partition at (its own epoch when not known)."""
        return self.assignment_epochs.get((topic_id, partition), self.member_epoch)

    def is_reconciled_to(self, epoch: int) -> bool:
        return self.state == MemberState.STABLE and self.member_epoch == epoch

    def subscribes_like(self, other: "ConsumerMember") -> bool:
        return (self.subscribed_topic_names == other.subscribed_topic_names
                and (self.subscribed_topic_regex or "") == (other.subscribed_topic_regex or ""))

    def metadata(self) -> tuple:
        """What its ConsumerGroupMemberMetadata record holds: a change is written."""
        return (self.instance_id, self.rack_id, self.client_id, self.client_host, self.rebalance_timeout_ms,
                tuple(sorted(self.subscribed_topic_names)), self.subscribed_topic_regex, self.server_assignor,
                self.classic)

    def current_assignment(self) -> tuple:
        """What its ConsumerGroupCurrentMemberAssignment record holds: a change is written."""
        return (self.member_epoch, self.previous_member_epoch, self.state,
                _with_epochs(self, self.assigned), _with_epochs(self, self.pending_revocation))


def _with_epochs(member: ConsumerMember, assignment: Assignment) -> dict[uuid.UUID, dict[int, int]]:
    return {topic_id: {p: member.assignment_epoch(topic_id, p) for p in partitions}
            for topic_id, partitions in assignment.items() if partitions}


@dataclass(eq=False)
class ConsumerGroup(MemberEpochOffsets):
    group_id: str
    # Kafka 4.3 starts both at 1, so a new group's first members get epoch 2
    group_epoch: int = 1
    metadata_hash: int = 0  # of the subscribed topics' metadata: a change bumps the group epoch
    assignment_epoch: int = 1
    assignment_timestamp_ms: int = 0  # when the target assignment was computed
    # a ConsumerGroupPartitionMetadata record (Kafka before 4.1) is stored: the next epoch bump deletes it
    partition_metadata_stored: bool = False
    members: dict[str, ConsumerMember] = field(default_factory=dict)
    static_members: dict[str, str] = field(default_factory=dict)  # group.instance.id -> member id
    target: dict[str, Assignment] = field(default_factory=dict)  # member id -> its target
    topic_metadata: dict[str, tuple[uuid.UUID, int]] = field(default_factory=dict)  # subscribed, existing
    regex_topics: dict[str, frozenset[str]] = field(default_factory=dict)  # regex -> topics it matches
    # With an authorizer: the topics (of those given) the principal of the group's last heartbeat
    # may DESCRIBE; regexes resolve to those only, as Kafka's filterTopicDescribeAuthorizedTopics
    describable: Callable[[set[str]], set[str]] | None = field(default=None, compare=False, repr=False)
    dead: bool = False
    _owner_epochs: dict[tuple[uuid.UUID, int], int] = field(default_factory=dict)

    protocol_type = "consumer"  # what ListGroups reports
    group_type = group_types.CONSUMER

    @property
    def state(self) -> ConsumerGroupState:
        if self.dead:
            return ConsumerGroupState.DEAD
        if not self.members:
            return ConsumerGroupState.EMPTY
        if self.group_epoch > self.assignment_epoch:
            return ConsumerGroupState.ASSIGNING
        if any(not m.is_reconciled_to(self.assignment_epoch) for m in self.members.values()):
            return ConsumerGroupState.RECONCILING
        return ConsumerGroupState.STABLE

    @property
    def is_empty(self) -> bool:
        return not self.members

    def bump_epoch(self) -> None:
        self.group_epoch += 1
        self.partition_metadata_stored = False

    # -- members -------------------------------------------------------------------------------

    def put_member(self, member: ConsumerMember) -> None:
        """Add or replace a member, moving the partition ownership it claims along."""
        self._release(self.members.get(member.member_id))
        self.members[member.member_id] = member
        if member.instance_id is not None:
            self.static_members[member.instance_id] = member.member_id
        for assignment in (member.assigned, member.pending_revocation):
            for topic_id, partitions in assignment.items():
                for partition in partitions:
                    self._owner_epochs[(topic_id, partition)] = member.member_epoch

    def remove_member(self, member_id: str) -> ConsumerMember | None:
        member = self.members.pop(member_id, None)
        if member is None:
            return None
        self._release(member)
        self.target.pop(member_id, None)
        if member.instance_id is not None and self.static_members.get(member.instance_id) == member_id:
            del self.static_members[member.instance_id]
        return member

    def _release(self, member: ConsumerMember | None) -> None:
        if member is None:
            return
        for assignment in (member.assigned, member.pending_revocation):
            for topic_id, partitions in assignment.items():
                for partition in partitions:
                    self._owner_epochs.pop((topic_id, partition), None)

    def owner_epoch(self, topic_id: uuid.UUID, partition: int) -> int:
        """The epoch of the member owning the partition, or -1 if it is free."""
        return self._owner_epochs.get((topic_id, partition), -1)

    # -- subscriptions -------------------------------------------------------------------------

    def member_topics(self, member: ConsumerMember) -> set[str]:
        """The topic names a member subscribes to: by name, and by what its regex matches."""
        topics = set(member.subscribed_topic_names)
        if member.subscribed_topic_regex:
            topics |= self.regex_topics.get(member.subscribed_topic_regex, frozenset())
        return topics

    def subscribed_topics(self) -> set[str]:
        topics: set[str] = set()
        for member in self.members.values():
            topics |= self.member_topics(member)
        return topics

    def regexes(self) -> set[str]:
        return {m.subscribed_topic_regex for m in self.members.values() if m.subscribed_topic_regex}

    def preferred_assignor(self) -> str | None:
        """The server assignor most members ask for, if any asks."""
        counts = Counter(m.server_assignor for m in self.members.values() if m.server_assignor)
        return max(sorted(counts), key=lambda name: counts[name]) if counts else None

    # -- offsets -------------------------------------------------------------------------------

    def _check_epoch_of(self, member: ConsumerMember, member_epoch: int) -> None:
        if member_epoch != member.member_epoch and member.classic is not None:
            raise GroupError(ErrorCode.ILLEGAL_GENERATION,  # a classic member's epoch is its generation
                             f"The received generation id {member_epoch} does not match the member epoch "
                             f"{member.member_epoch}.")
        super()._check_epoch_of(member, member_epoch)

