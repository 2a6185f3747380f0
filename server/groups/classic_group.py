"""A classic consumer group (the JoinGroup/SyncGroup protocol) and its members.

The states and their meaning are Kafka's: Empty (no members, maybe committed offsets),
PreparingRebalance (waiting for members to rejoin), CompletingRebalance (waiting for the leader's
assignment), Stable, and Dead (deleted).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from odradek.wire import DecodeError
from odradek.wire.embedded import CONSUMER_PROTOCOL_SUBSCRIPTION, decode_embedded

from . import group_types
from .reply import Reply


class GroupState(enum.Enum):
    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"


@dataclass
class ClassicMember:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    protocol_type: str
    protocols: list[tuple[str, bytes]]  # (assignor name, subscription metadata), in preference order
    assignment: bytes = b""
    join_reply: Reply | None = None  # set while the member waits in JoinGroup
    sync_reply: Reply | None = None  # set while the member waits in SyncGroup
    is_new: bool = True  # joined during this rebalance for the first time

    def metadata_for(self, protocol: str) -> bytes:
        for name, metadata in self.protocols:
            if name == protocol:
                return metadata
        raise KeyError(protocol)

    def protocol_names(self) -> list[str]:
        return [name for name, _ in self.protocols]


@dataclass
class ClassicGroup:
    group_type = group_types.CLASSIC

    group_id: str
    state: GroupState = GroupState.EMPTY
    generation: int = 0
    protocol_type: str | None = None
    protocol_name: str | None = None
    leader_id: str | None = None
    members: dict[str, ClassicMember] = field(default_factory=dict)
    static_members: dict[str, str] = field(default_factory=dict)  # group.instance.id -> member id
    pending_members: set[str] = field(default_factory=set)  # ids handed out with MEMBER_ID_REQUIRED
    state_timestamp_ms: int = -1
    initial_rebalance_until: float | None = None  # trio time the initial delay ends, while in it
    rebalance_started: float = 0.0

    @property
    def is_empty(self) -> bool:
        return not self.members

    def add(self, member: ClassicMember) -> None:
        if not self.members:
            self.protocol_type = member.protocol_type
        self.members[member.member_id] = member
        if member.group_instance_id is not None:
            self.static_members[member.group_instance_id] = member.member_id
        if self.leader_id is None:
            self.leader_id = member.member_id

    def remove(self, member_id: str) -> ClassicMember | None:
        member = self.members.pop(member_id, None)
        if member is None:
            return None
        if member.group_instance_id is not None and self.static_members.get(member.group_instance_id) == member_id:
            del self.static_members[member.group_instance_id]
        if self.leader_id == member_id:
            self.leader_id = next(iter(self.members), None)
        return member

    def supports(self, protocol_type: str, protocols: list[str]) -> bool:
        """Whether a member with these protocols may join: same protocol type, and at least one
        assignor every current member also supports."""
        if not self.members:
            return bool(protocol_type) and bool(protocols)
        if protocol_type != self.protocol_type:
            return False
        return bool(self.common_protocols() & set(protocols))

    def common_protocols(self) -> set[str]:
        common: set[str] | None = None
        for member in self.members.values():
            names = set(member.protocol_names())
            common = names if common is None else common & names
        return common or set()

    def select_protocol(self) -> str:
        """Kafka's vote: each member votes for its most preferred protocol that all support."""
        candidates = self.common_protocols()
        votes: dict[str, int] = {}
        for member in self.members.values():
            choice = next(name for name in member.protocol_names() if name in candidates)
            votes[choice] = votes.get(choice, 0) + 1
        return max(sorted(votes), key=lambda name: votes[name])

    def all_rejoined(self) -> bool:
        return not self.pending_members and all(m.join_reply is not None for m in self.members.values())

    def max_rebalance_timeout_ms(self) -> int:
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    def subscribed_topics(self) -> set[str] | None:
        """Topics the members subscribe to, if the group uses the consumer protocol (else None)."""
        if self.protocol_type != "consumer" or self.protocol_name is None:
            return None
        topics: set[str] = set()
        for member in self.members.values():
            try:
                _, subscription = decode_embedded(
                    CONSUMER_PROTOCOL_SUBSCRIPTION, member.metadata_for(self.protocol_name)
                )
            except (DecodeError, KeyError):
                continue  # not the consumer protocol's layout: nothing we can read
            topics.update(subscription.topics)
        return topics
