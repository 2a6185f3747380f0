"""Creating, growing and deleting topics in cluster mode: written to ZooKeeper, done by the
controller; and topics' config overrides, kept in ZooKeeper and applied by every broker.

Any broker can take the request, as Kafka's AdminZkClient lets any of them: it checks it, places
the replicas (``controller.replica_placement``) over the brokers its metadata lists, and writes
Kafka's znodes: the topic's configs first, then its assignment (``/brokers/topics/<topic>``);
for more partitions, the assignment with the new ones added (conditionally on the version it
read); for a deletion, a mark under ``/admin/delete_topics``. The controller watches these paths
and does the rest: leaders, ISRs, LeaderAndIsr to the replicas, UpdateMetadata to everyone. The
request is answered once this broker's metadata shows the outcome, or when its timeout passes
(the work then goes on regardless, as in Kafka).

A topic's configs are read from and written to ``/config/topics/<topic>`` by whichever broker gets
the request (``topic_configs``): the change notification it leaves makes every broker that hosts
the topic apply them, as in Kafka.

Internal topics get their replication factor capped to the live brokers, so that a cluster
smaller than ``offsets.topic.replication.factor`` (default 3) still has a group coordinator.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from odradek.storage.errors import UnknownTopicError
from odradek.storage.log_config import LogConfig, validate_topic_configs
from odradek.storage.topic_metadata import TopicInfo, new_kafka_uuid
from odradek.storage.topic_names import validate_topic_name
from odradek.wire import ErrorCode

from ..controller.replica_placement import PlacementError, assign_replicas
from ..storage_errors import error_code_for
from ..topic_admin import TopicAdminError
from . import zk_data
from .zk_client import BadVersionError, NodeExistsError

DEFAULT_TIMEOUT_MS = 30000

log = logging.getLogger("odradek.cluster")


class ClusterTopicAdmin:
    def __init__(self, member):
        self.member = member
        self.broker = member.broker

    async def create_topic(self, name: str, num_partitions: int = -1, replication_factor: int = -1,
                           configs: Mapping[str, str] | None = None, assignments: Sequence[Sequence[int]] = (),
                           validate_only: bool = False, timeout_ms: int = DEFAULT_TIMEOUT_MS,
                           internal_replication_factor: int | None = None) -> TopicInfo:
        config = self.broker.config
        metadata = self.member.metadata
        configs = dict(configs or {})
        try:
            validate_topic_name(name)
            validate_topic_configs(configs)
            LogConfig.from_props(self.broker.config.props, configs)
        except Exception as exc:  # storage's refusals carry their Kafka error
            code = error_code_for(exc)
            if code == ErrorCode.UNKNOWN_SERVER_ERROR:
                raise
            raise TopicAdminError(code, str(exc)) from None
        if await self.member.zk.stat(f"{zk_data.DELETE_TOPICS}/{name}") is not None:
            raise TopicAdminError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' is marked for deletion.")
        if metadata.topic(name) is not None or await self.member.zk.stat(zk_data.topic_path(name)) is not None:
            raise TopicAdminError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
        brokers = {b.broker_id: b.rack for b in metadata.live_brokers()}
        if assignments:
            if num_partitions != -1 or replication_factor != -1:
                raise TopicAdminError(ErrorCode.INVALID_REQUEST,
                                      "Both numPartitions or replicationFactor and replicasAssignments were set. "
                                      "Both cannot be used at the same time.")
            placement = {p: list(replicas) for p, replicas in enumerate(assignments)}
            self._check_assignment(placement, brokers)
        else:
            num_partitions = config.num_partitions if num_partitions == -1 else num_partitions
            replication_factor = config.default_replication_factor if replication_factor == -1 else replication_factor
            if internal_replication_factor is not None:
                replication_factor = max(1, min(internal_replication_factor, len(brokers)))
            if num_partitions <= 0:
                raise TopicAdminError(ErrorCode.INVALID_PARTITIONS, "Number of partitions must be larger than 0.")
            try:
                placement = assign_replicas(brokers, num_partitions, replication_factor)
            except PlacementError as exc:
                raise TopicAdminError(ErrorCode.INVALID_REPLICATION_FACTOR,
                                      f"Unable to replicate the partition {replication_factor} time(s): {exc}") from None
        topic_id = new_kafka_uuid()
        info = TopicInfo(name, topic_id, len(placement), configs)
        if validate_only:
            return info
        zk = self.member.zk
        await self.member.topic_configs.write(name, configs, notify=False)
        try:
            await zk.create(zk_data.topic_path(name),
                            zk_data.encode_topic(zk_data.TopicAssignment(topic_id, placement)))
        except NodeExistsError:
            raise TopicAdminError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.") from None
        await self._wait(lambda: self._has_leaders(name, len(placement)), timeout_ms)
        return metadata.topic(name) or info

    async def create_internal_topic(self, name: str, num_partitions: int, replication_factor: int,
                                    configs: Mapping[str, str]) -> None:
        """An internal topic on first use (a FindCoordinator for it), unless it exists: its
        ``replication_factor`` capped to the live brokers. Not waited for, as Kafka's brokers do
        not wait: the coordinator is not available until the controller has elected leaders,
        and clients ask again."""
        try:
            await self.create_topic(name, num_partitions, configs=configs,
                                    internal_replication_factor=replication_factor, timeout_ms=0)
        except TopicAdminError as exc:
            if exc.code != ErrorCode.TOPIC_ALREADY_EXISTS:
                raise
            return
        except NodeExistsError:  # another broker is creating it at this very moment
            return
        log.info("Created %s with %d partition(s)", name, num_partitions)

    def _check_assignment(self, placement: dict[int, list[int]], brokers: Mapping[int, str | None]) -> None:
        sizes = {len(replicas) for replicas in placement.values()}
        if len(sizes) != 1:
            raise TopicAdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                                  "All partitions should have the same number of replicas")
        for partition, replicas in placement.items():
            if len(set(replicas)) != len(replicas):
                raise TopicAdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                                      f"Duplicate brokers not allowed in replica assignment: {replicas} "
                                      f"for partition id {partition}.")
            unknown = [r for r in replicas if r not in brokers]
            if unknown:
                raise TopicAdminError(ErrorCode.BROKER_NOT_AVAILABLE,
                                      f"Unknown broker(s) {unknown} in replica assignment {replicas} for partition "
                                      f"{partition}.")

    def _has_leaders(self, topic: str, count: int) -> bool:
        partitions = self.member.metadata.partitions(topic)
        return len(partitions) == count and all(p.leader >= 0 for p in partitions)

    async def _wait(self, ready, timeout_ms: int) -> bool:
        return await self.member.wait_for_metadata(ready, max(timeout_ms, 0) / 1000)

    async def create_partitions(self, name: str, new_total: int, assignments=None, validate_only: bool = False,
                                timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        zk = self.member.zk
        found = await zk.get(zk_data.topic_path(name))
        if found is None or name in await zk.children(zk_data.DELETE_TOPICS):
            raise TopicAdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"The topic '{name}' does not exist.")
        data, version = found
        assignment = zk_data.decode_topic(data)
        current = len(assignment.partitions)
        if new_total <= current:
            raise TopicAdminError(ErrorCode.INVALID_PARTITIONS,
                                  f"Topic currently has {current} partitions, which is higher than the requested "
                                  f"{new_total}." if new_total < current else f"Topic already has {current} partitions.")
        brokers = {b.broker_id: b.rack for b in self.member.metadata.live_brokers()}
        factor = len(next(iter(assignment.partitions.values())))
        if assignments is not None:
            if len(assignments) != new_total - current:
                raise TopicAdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                                      f"Attempted to add {new_total - current} additional partition(s), but only "
                                      f"{len(assignments)} assignment(s) were specified.")
            added = {current + i: list(replicas) for i, replicas in enumerate(assignments)}
            self._check_assignment({**{p: list(r) for p, r in assignment.partitions.items()}, **added}, brokers)
        else:
            try:
                added = assign_replicas(brokers, new_total - current, factor, first_partition=current)
            except PlacementError as exc:
                raise TopicAdminError(ErrorCode.INVALID_REPLICATION_FACTOR, str(exc)) from None
        if validate_only:
            return
        grown = zk_data.TopicAssignment(assignment.topic_id, {**assignment.partitions, **added},
                                        assignment.adding, assignment.removing)
        try:
            await zk.set(zk_data.topic_path(name), zk_data.encode_topic(grown), version)
        except BadVersionError:
            raise TopicAdminError(ErrorCode.REASSIGNMENT_IN_PROGRESS,
                                  f"The topic {name} changed while adding partitions; try again.") from None
        await self._wait(lambda: self._has_leaders(name, new_total), timeout_ms)

    async def delete_topic(self, name: str, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        zk = self.member.zk
        if not self.member.config.delete_topic_enable:
            raise TopicAdminError(ErrorCode.TOPIC_DELETION_DISABLED, "Topic deletion is disabled.")
        if await zk.stat(zk_data.topic_path(name)) is None or \
                await zk.stat(f"{zk_data.DELETE_TOPICS}/{name}") is not None:  # gone, or going
            raise TopicAdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                                  "This server does not host this topic-partition.")
        try:
            await zk.create(f"{zk_data.DELETE_TOPICS}/{name}")
        except NodeExistsError:
            pass  # marked by another request meanwhile
        await self._wait(lambda: self.member.metadata.topic(name) is None, timeout_ms)

    async def topic_configs(self, name: str) -> dict[str, str] | None:
        """The topic's config overrides, as ZooKeeper holds them; None if there is no such topic."""
        if self.member.metadata.topic(name) is None:
            return None
        return await self.member.topic_configs.read(name)

    async def alter_topic_configs(self, name: str, configs: Mapping[str, str], validate_only: bool = False) -> None:
        """Check ``configs`` as storage does (raising its errors), then make them the topic's
        overrides in ZooKeeper, for every broker to apply."""
        if self.member.metadata.topic(name) is None:
            raise UnknownTopicError(f"Topic '{name}' does not exist.")
        configs = dict(configs)
        validate_topic_configs(configs)
        LogConfig.from_props(self.broker.logs.broker_props, configs)
        if not validate_only:
            await self.member.topic_configs.write(name, configs)
