"""Creating topics and adding partitions, shared by CreateTopics, CreatePartitions and the
auto-creation that Metadata triggers, deleting topics, and reading and changing a topic's config
overrides (DescribeConfigs, AlterConfigs); single-node mode's ``broker.topic_admin`` (cluster mode
has ``cluster.topic_admin.ClusterTopicAdmin``, with the same calls).

Replication is a broker matter, not a storage one: with a single broker every replica list is just
this node, so a replication factor above 1 or an assignment naming another broker is refused here
with Kafka's errors before storage is touched.

A new topic's partitions are created on disk in a worker thread: thousands of directories and
files take seconds, and the event loop keeps serving every other connection meanwhile.  Its name
is reserved while that runs, and the topic becomes visible only once all of it exists.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence

import trio

from odradek.wire import ErrorCode

from .storage_errors import error_code_for

log = logging.getLogger("odradek.server")


class TopicAdminError(Exception):
    def __init__(self, code: ErrorCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class LocalTopicAdmin:
    """Topics on this broker alone; the timeouts mean nothing here, everything is done at once."""

    def __init__(self, broker):
        self.broker = broker

    async def create_topic(self, name: str, num_partitions: int = -1, replication_factor: int = -1,
                           configs: Mapping[str, str] | None = None, assignments: Sequence[Sequence[int]] = (),
                           validate_only: bool = False, timeout_ms: int = 0,
                           internal_replication_factor: int | None = None):
        if internal_replication_factor is not None:
            replication_factor = 1
        return await create_topic(self.broker, name, num_partitions, replication_factor, configs, assignments,
                                  validate_only)

    async def create_internal_topic(self, name: str, num_partitions: int, replication_factor: int,
                                    configs: Mapping[str, str]) -> None:
        """An internal topic (``__consumer_offsets``, ``__transaction_state``) on first use, unless
        it exists: created here and now, this broker its only replica."""
        logs = self.broker.logs
        if logs.get_topic(name) is None:
            logs.create_topic(name, num_partitions, configs)
            log.info("Created %s with %d partition(s)", name, num_partitions)

    async def create_partitions(self, name: str, new_total: int, assignments=None, validate_only: bool = False,
                                timeout_ms: int = 0) -> None:
        create_partitions(self.broker, name, new_total, assignments, validate_only)

    async def delete_topic(self, name: str, timeout_ms: int = 0) -> None:
        logs = self.broker.logs
        if logs.get_topic(name) is None:
            raise TopicAdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition.")
        with _as_topic_admin_error():  # KAFKA_STORAGE_ERROR: the metadata directory failed
            doomed = logs.delete_topic(name)
        self.broker.groups.on_topics_deleted([name])  # the groups' offsets of it go too, as in Kafka
        try:
            await trio.to_thread.run_sync(logs.remove_deleted, doomed)
        except OSError as exc:  # the topic is gone; what is left is removed at the next start-up
            logs.report_disk_error(doomed[0], exc)

    async def topic_configs(self, name: str) -> dict[str, str] | None:
        """The topic's config overrides; None if there is no such topic."""
        topic = self.broker.logs.get_topic(name)
        return None if topic is None else dict(topic.configs)

    async def alter_topic_configs(self, name: str, configs: Mapping[str, str], validate_only: bool = False) -> None:
        """Make ``configs`` the topic's whole set of overrides; storage's errors (StorageError)
        for an unknown topic or an invalid config, nothing changed then."""
        self.broker.logs.alter_topic_configs(name, configs, validate_only)


async def create_topic(
    broker,
    name: str,
    num_partitions: int = -1,
    replication_factor: int = -1,
    configs: Mapping[str, str] | None = None,
    assignments: Sequence[Sequence[int]] = (),
    validate_only: bool = False,
):
    config = broker.config
    if assignments:
        if num_partitions != -1 or replication_factor != -1:
            raise TopicAdminError(
                ErrorCode.INVALID_REQUEST,
                "Both numPartitions or replicationFactor and replicasAssignments were set. "
                "Both cannot be used at the same time.",
            )
        _check_assignments(broker, assignments)
        num_partitions = len(assignments)
        replication_factor = len(assignments[0])
    if num_partitions == -1:
        num_partitions = config.num_partitions
    if replication_factor == -1:
        replication_factor = config.default_replication_factor
    if num_partitions <= 0:
        raise TopicAdminError(ErrorCode.INVALID_PARTITIONS, "Number of partitions must be larger than 0.")
    if replication_factor <= 0:
        raise TopicAdminError(
            ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0."
        )
    if replication_factor > 1:
        raise TopicAdminError(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            f"Unable to replicate the partition {replication_factor} time(s): "
            "The target replication factor of "
            f"{replication_factor} cannot be reached because only 1 broker(s) are registered.",
        )
    logs = broker.logs
    with _as_topic_admin_error():
        if validate_only:
            return logs.create_topic(name, num_partitions, dict(configs or {}), validate_only=True)
        change = logs.plan_topic(name, num_partitions, dict(configs or {}))
    try:
        with _as_topic_admin_error():
            await trio.to_thread.run_sync(logs.build, change)
    except BaseException:
        logs.discard(change)
        raise
    with _as_topic_admin_error():
        logs.commit(change)
    return change.topic


@contextlib.contextmanager
def _as_topic_admin_error():
    """Storage's refusals as the Kafka errors they stand for; anything else propagates."""
    try:
        yield
    except Exception as exc:
        code = error_code_for(exc)
        if code == ErrorCode.UNKNOWN_SERVER_ERROR:
            raise
        raise TopicAdminError(code, str(exc)) from None


def create_partitions(broker, name: str, new_total: int, assignments=None, validate_only=False) -> None:
    topic = broker.logs.get_topic(name)
    if topic is None:
        raise TopicAdminError(
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"The topic '{name}' does not exist."
        )
    if new_total <= topic.num_partitions:
        raise TopicAdminError(
            ErrorCode.INVALID_PARTITIONS,
            f"Topic currently has {topic.num_partitions} partitions, which is higher than "
            f"the requested {new_total}."
            if new_total < topic.num_partitions
            else f"Topic already has {topic.num_partitions} partitions.",
        )
    if assignments is not None:
        if len(assignments) != new_total - topic.num_partitions:
            raise TopicAdminError(
                ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                f"Attempted to add {new_total - topic.num_partitions} additional partition(s), "
                f"but only {len(assignments)} assignment(s) were specified.",
            )
        _check_assignments(broker, assignments)
    if validate_only:
        return
    broker.logs.create_partitions(name, new_total)


def _check_assignments(broker, assignments: Sequence[Sequence[int]]) -> None:
    node_id = broker.config.node_id
    for replicas in assignments:
        if len(replicas) != 1 or replicas[0] != node_id:
            raise TopicAdminError(
                ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                f"Replica assignment {list(replicas)} names brokers other than the only one, {node_id}.",
            )
