"""A streams group (KIP-1071): Kafka Streams instances sharing an application's tasks.

The group holds the topology its members run (one per topology epoch), the members (each a
Streams consumer thread, grouped into processes by ``process_id``), and the tasks: a task is a
subtopology and a partition number; a member runs some as *active* (processing), some as
*standby* (keeping a copy of the state). Epochs count as in KIP-848 groups: the *group epoch*
moves whenever what the assignment depends on changes (members, topology, the topics'
partitions); the *assignment epoch* is the group epoch the target was computed for; a member's
epoch is the target epoch it has reached. A member gives up the active tasks it loses before
it gets its new epoch (UNREVOKED_TASKS), and gets a task another member still holds only once
that member released it (UNRELEASED_TASKS).

States are Kafka's: Empty, NotReady (the topology's topics are not all there), Assigning (the
target is behind the group epoch), Reconciling (members are not all at the target), Stable,
Dead.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from . import group_types
from .member_epoch_offsets import MemberEpochOffsets

LEAVE_EPOCH = -1
STATIC_LEAVE_EPOCH = -2
PROTOCOL_TYPE = "streams"

#: A task set: subtopology id -> partitions.
Tasks = dict[str, frozenset[int]]


class StreamsGroupState(enum.Enum):
    EMPTY = "Empty"
    NOT_READY = "NotReady"
    ASSIGNING = "Assigning"
    RECONCILING = "Reconciling"
    STABLE = "Stable"
    DEAD = "Dead"


class MemberState(enum.IntEnum):
    """Kafka's MemberState values, as its current-assignment records store them."""

    STABLE = 1
    UNREVOKED_TASKS = 2
    UNRELEASED_TASKS = 3
    UNKNOWN = 127


@dataclass(frozen=True)
class TaskSets:
    """Active, standby and warm-up tasks (warm-ups are never assigned here, as Kafka's sticky assignor)."""

    active: Tasks = field(default_factory=dict)
    standby: Tasks = field(default_factory=dict)
    warmup: Tasks = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not any(self.active.values()) and not any(self.standby.values()) and not any(self.warmup.values())


EMPTY_TASKS = TaskSets()


@dataclass(frozen=True)
class TopicInfo:
    name: str
    partitions: int = 0  # 0: decided by the broker
    replication_factor: int = 0  # 0: the broker's default
    configs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Subtopology:
    subtopology_id: str
    source_topics: tuple[str, ...] = ()
    repartition_sink_topics: tuple[str, ...] = ()
    state_changelog_topics: tuple[TopicInfo, ...] = ()
    repartition_source_topics: tuple[TopicInfo, ...] = ()
    # each group: indexes into source_topics and into repartition_source_topics, as the protocol sends them
    copartition_groups: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = ()

    def copartitioned_topics(self) -> list[tuple[str, ...]]:
        """The co-partition groups as topic names (indexes out of range are skipped)."""
        groups = []
        for sources, repartitions in self.copartition_groups:
            names = [self.source_topics[i] for i in sources if 0 <= i < len(self.source_topics)]
            names += [self.repartition_source_topics[i].name for i in repartitions
                      if 0 <= i < len(self.repartition_source_topics)]
            groups.append(tuple(names))
        return groups


@dataclass(frozen=True)
class Topology:
    epoch: int
    subtopologies: tuple[Subtopology, ...]

    def required_topics(self) -> set[str]:
        names: set[str] = set()
        for s in self.subtopologies:
            names.update(s.source_topics)
            names.update(t.name for t in s.repartition_source_topics)
            names.update(t.name for t in s.state_changelog_topics)
        return names


@dataclass(frozen=True)
class StreamsMember:
    """One member; immutable, so an update is a new member and can be compared with the old."""

    member_id: str
    member_epoch: int = 0
    previous_member_epoch: int = -1
    state: MemberState = MemberState.STABLE
    instance_id: str | None = None
    rack_id: str | None = None
    client_id: str = ""
    client_host: str = ""
    rebalance_timeout_ms: int = -1
    topology_epoch: int = -1
    process_id: str = ""
    user_endpoint: tuple[str, int] | None = None
    client_tags: tuple[tuple[str, str], ...] = ()
    assigned: TaskSets = EMPTY_TASKS
    pending_revocation: TaskSets = EMPTY_TASKS


@dataclass(eq=False)
class StreamsGroup(MemberEpochOffsets):
    group_id: str
    group_epoch: int = 0
    metadata_hash: int = 0
    validated_topology_epoch: int = -1
    assignment_epoch: int = 0
    topology: Topology | None = None
    members: dict[str, StreamsMember] = field(default_factory=dict)
    target: dict[str, TaskSets] = field(default_factory=dict)  # member id -> its target
    # what the broker decided about the topology's topics (not stored: recomputed from metadata)
    partitions_by_subtopology: dict[str, int] | None = None
    topology_status: list[tuple[int, str]] = field(default_factory=list)
    shutdown_requested: bool = False
    dead: bool = False

    protocol_type = PROTOCOL_TYPE  # what ListGroups reports
    group_type = group_types.STREAMS

    @property
    def state(self) -> StreamsGroupState:
        if self.dead:
            return StreamsGroupState.DEAD
        if not self.members:
            return StreamsGroupState.EMPTY
        if self.topology is None or self.partitions_by_subtopology is None:
            return StreamsGroupState.NOT_READY
        if self.assignment_epoch != self.group_epoch:
            return StreamsGroupState.ASSIGNING
        if any(m.member_epoch != self.assignment_epoch or m.state != MemberState.STABLE
               for m in self.members.values()):
            return StreamsGroupState.RECONCILING
        return StreamsGroupState.STABLE

    @property
    def is_empty(self) -> bool:
        return not self.members

    def active_owner(self, subtopology: str, partition: int, except_member: str) -> str | None:
        """The member other than ``except_member`` still running the task as active (or revoking it)."""
        for m in self.members.values():
            if m.member_id == except_member:
                continue
            if partition in m.assigned.active.get(subtopology, ()) or \
                    partition in m.pending_revocation.active.get(subtopology, ()):
                return m.member_id
        return None

    def subscribed_topics(self) -> set[str]:
        """The topics the members read (OffsetDelete refuses to delete their offsets): none when empty."""
        if not self.members or self.topology is None:
            return set()
        return {t for s in self.topology.subtopologies
                for t in (*s.source_topics, *(i.name for i in s.repartition_source_topics))}
