"""A share group (KIP-932): its members, their epochs, the target assignment and which partitions have state.

Members of a share group do not own partitions: records are handed out one by one (ShareFetch),
so several members may read a partition at once and an assignment only tells a member where to
fetch from. There is no revocation step: a member moves to its new target as soon as it
heartbeats. Epochs are counted as in KIP-848 groups: the *group epoch* counts changes to what
the assignment depends on (members, subscriptions, subscribed topics' partitions, partitions
whose state got initialized); the *assignment epoch* is the group epoch the target was computed
for; a member's epoch is the target epoch it has been given. A new group starts at group and
assignment epoch 1, as in Kafka 4.3.

The states are Kafka's: Empty (no members), Stable (members), Dead (deleted).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from . import group_types
from .assignors import Assignment
from .share_partition_metadata import SharePartitionMetadata

LEAVE_EPOCH = -1
INITIAL_EPOCH = 1  # the group and assignment epochs of a new group
PROTOCOL_TYPE = "share"


class ShareGroupState(enum.Enum):
    EMPTY = "Empty"
    STABLE = "Stable"
    DEAD = "Dead"


@dataclass(frozen=True)
class ShareMember:
    """One member; immutable, so an update is a new member and can be compared with the old."""

    member_id: str
    member_epoch: int = 0
    previous_member_epoch: int = -1
    rack_id: str | None = None
    client_id: str = ""
    client_host: str = ""
    subscribed_topic_names: frozenset[str] = frozenset()
    assigned: Assignment = field(default_factory=dict)


@dataclass(eq=False)
class ShareGroup:
    group_id: str
    group_epoch: int = INITIAL_EPOCH
    metadata_hash: int = 0  # of the subscribed topics' metadata when the group epoch last moved
    assignment_epoch: int = INITIAL_EPOCH
    assignment_timestamp_ms: int = 0  # when the target was computed; 0: unknown
    members: dict[str, ShareMember] = field(default_factory=dict)
    target: dict[str, Assignment] = field(default_factory=dict)  # member id -> its target
    partitions: SharePartitionMetadata = field(default_factory=SharePartitionMetadata)
    dead: bool = False

    protocol_type = PROTOCOL_TYPE  # what ListGroups reports
    group_type = group_types.SHARE

    @property
    def state(self) -> ShareGroupState:
        if self.dead:
            return ShareGroupState.DEAD
        return ShareGroupState.STABLE if self.members else ShareGroupState.EMPTY

    @property
    def is_empty(self) -> bool:
        return not self.members
