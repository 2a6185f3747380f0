"""Leader elections and replica reassignments: what ElectLeaders, AlterPartitionReassignments and
ListPartitionReassignments ask of ``broker.partition_admin``.

Alone, a broker is the only replica and the leader of every partition (``LocalPartitionAdmin``):
an election is never needed, a reassignment can only name this broker (it is then complete at
once: ``kafka-reassign-partitions`` sends one before moving log directories), and nothing is ever
being reassigned. In cluster mode the controller does both
(``cluster.partition_admin.ClusterPartitionAdmin``), with the same calls and answers.

Answers are Kafka 4's: per partition an error code and message, as its controller words them;
a request that cannot be served at all (no controller to serve it) raises ``PartitionAdminError``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from odradek.wire import ErrorCode

TopicPartition = tuple[str, int]
#: A partition's answer: its error code and message.
Result = tuple[int, str | None]

PREFERRED, UNCLEAN = 0, 1  # ElectLeaders' election types

NOT_NEEDED: Result = (ErrorCode.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition.")
PREFERRED_NOT_AVAILABLE: Result = (ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, "The preferred leader was not available.")
ELIGIBLE_NOT_AVAILABLE: Result = (ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
                                  "Eligible topic partition leaders are not available.")
NO_REASSIGNMENT: Result = (ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, None)
OK: Result = (ErrorCode.NONE, None)


class PartitionAdminError(Exception):
    """The whole request fails with this error (e.g. NOT_CONTROLLER: the client retries)."""

    def __init__(self, code: ErrorCode, message: str | None = None):
        super().__init__(message or code.name)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Reassignment:
    """A reassignment in progress: every replica (targets first), and those coming and going."""

    partition: TopicPartition
    replicas: tuple[int, ...]
    adding: tuple[int, ...]
    removing: tuple[int, ...]


def unknown_topic(topic: str) -> Result:
    return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"No such topic as {topic}"


def unknown_partition(topic: str, index: int) -> Result:
    return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"No such partition as {topic}-{index}"


def election_failed(election_type: int) -> Result:
    return PREFERRED_NOT_AVAILABLE if election_type == PREFERRED else ELIGIBLE_NOT_AVAILABLE


def reassignment_unknown_topic(topic: str) -> Result:
    return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Unable to find a topic named {topic}."


def reassignment_unknown_partition(topic: str, index: int) -> Result:
    return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Unable to find partition {topic}:{index}."


def check_target(index: int, target: Sequence[int], registered: Collection[int], usable: Collection[int],
                 current_factor: int, allow_replication_factor_change: bool) -> Result | None:
    """Kafka's checks of a reassignment's target replicas, in its order; the refusal, or None.

    ``registered`` are the brokers the target may name, ``usable`` those that may lead;
    ``current_factor`` is the replication factor the partition has (before any reassignment in
    progress), which must stay as it is unless ``allow_replication_factor_change``."""
    if not target:
        return ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes an empty replica list."
    previous = None
    for broker in sorted(target):
        if broker not in registered:
            return (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                    f"The manual partition assignment includes broker {broker}, but no such broker is registered.")
        if broker == previous:
            return (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                    f"The manual partition assignment includes the broker {broker} more than once.")
        previous = broker
    if not any(broker in usable for broker in target):
        return (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                f"All brokers specified in the manual partition assignment for partition {index} are fenced "
                f"or in controlled shutdown.")
    if not allow_replication_factor_change and len(target) != current_factor:
        return (ErrorCode.INVALID_REPLICATION_FACTOR,
                f"The replication factor is changed from {current_factor} to {len(target)}")
    return None


def without_not_needed(results: dict[TopicPartition, Result]) -> dict[TopicPartition, Result]:
    """An election of every partition answers only those it elected or could not (as Kafka's)."""
    return {tp: result for tp, result in results.items() if result[0] != ErrorCode.ELECTION_NOT_NEEDED}


class LocalPartitionAdmin:
    """A single broker: every partition's only replica is here, and leads."""

    def __init__(self, broker):
        self.broker = broker

    async def elect_leaders(self, election_type: int, partitions: Iterable[TopicPartition] | None,
                            timeout_ms: int) -> dict[TopicPartition, Result]:
        logs = self.broker.logs
        everything = partitions is None
        if everything:
            partitions = [(t.name, i) for t in logs.topics() for i in range(t.num_partitions)]
        results = {}
        for topic, index in partitions:
            info = logs.get_topic(topic)
            if info is None:
                results[topic, index] = unknown_topic(topic)
            elif not 0 <= index < info.num_partitions:
                results[topic, index] = unknown_partition(topic, index)
            elif logs.is_offline(topic, index):  # no leader, and no other replica to take over
                results[topic, index] = election_failed(election_type)
            else:
                results[topic, index] = NOT_NEEDED
        return without_not_needed(results) if everything else results

    async def alter_reassignments(self, targets: dict[TopicPartition, Sequence[int] | None],
                                  allow_replication_factor_change: bool, timeout_ms: int
                                  ) -> dict[TopicPartition, Result]:
        logs = self.broker.logs
        node = self.broker.config.node_id
        results = {}
        for (topic, index), target in targets.items():
            info = logs.get_topic(topic)
            if info is None:
                results[topic, index] = reassignment_unknown_topic(topic)
            elif not 0 <= index < info.num_partitions:
                results[topic, index] = reassignment_unknown_partition(topic, index)
            elif target is None:
                results[topic, index] = NO_REASSIGNMENT
            else:  # the only possible target is where the replica already is: done at once
                results[topic, index] = check_target(index, target, {node}, {node}, 1,
                                                     allow_replication_factor_change) or OK
        return results

    async def list_reassignments(self, partitions: Iterable[TopicPartition] | None) -> list[Reassignment]:
        return []
