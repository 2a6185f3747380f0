"""The controller's view of the cluster, as ZooKeeper last said or as it last decided.

Only the controller's event task reads and changes it, so it is plain data. ``states`` holds each
partition's leader, leader epoch, ISR and the znode version that stamps it (its partition epoch);
``assignments`` each topic's replicas, with a reassignment's adding and removing replicas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..cluster.zk_data import BrokerRegistration, PartitionState, TopicAssignment

TopicPartition = tuple[str, int]


@dataclass
class ControllerContext:
    broker_id: int
    epoch: int = 0
    epoch_version: int = -1  # of /controller_epoch: every write is conditional on it
    live: dict[int, BrokerRegistration] = field(default_factory=dict)
    shutting_down: set[int] = field(default_factory=set)
    assignments: dict[str, TopicAssignment] = field(default_factory=dict)
    states: dict[TopicPartition, PartitionState] = field(default_factory=dict)
    deleting: set[str] = field(default_factory=set)
    # reassignments under way: partition -> target replicas
    reassigning: dict[TopicPartition, tuple[int, ...]] = field(default_factory=dict)

    def replicas(self, tp: TopicPartition) -> tuple[int, ...]:
        assignment = self.assignments.get(tp[0])
        return () if assignment is None else tuple(assignment.partitions.get(tp[1], ()))

    def partitions(self) -> list[TopicPartition]:
        return [(topic, p) for topic, assignment in sorted(self.assignments.items())
                for p in sorted(assignment.partitions)]

    def partitions_of(self, topic: str) -> list[TopicPartition]:
        assignment = self.assignments.get(topic)
        return [] if assignment is None else [(topic, p) for p in sorted(assignment.partitions)]

    def partitions_on(self, broker_id: int) -> list[TopicPartition]:
        return [tp for tp in self.partitions() if broker_id in self.replicas(tp)]

    def live_ids(self) -> set[int]:
        return set(self.live)

    def eligible_leaders(self) -> set[int]:
        """Live brokers that are not shutting down."""
        return set(self.live) - self.shutting_down

    def offline_replicas(self, tp: TopicPartition) -> tuple[int, ...]:
        return tuple(r for r in self.replicas(tp) if r not in self.live)
