"""What a broker knows of the whole cluster: live brokers, topics, and every partition's leader,
replicas and ISR, as the controller last told it (Kafka's MetadataCache).

The controller sends UpdateMetadata to every live broker whenever something changes: the whole
state when a broker joins or a controller takes over, only the changed partitions otherwise. A
partition whose leader is ``LEADER_DURING_DELETE`` (-2) belongs to a topic being deleted. Client
requests for metadata (Metadata, DescribeCluster, FindCoordinator's address, ...) are answered
from here, never from ZooKeeper.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from odradek.storage.topic_metadata import TopicInfo
from odradek.wire import EncodedOnce, ErrorCode

LEADER_DURING_DELETE = -2
NO_LEADER = -1


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int


@dataclass(frozen=True)
class LiveBroker:
    broker_id: int
    endpoints: dict[str, Endpoint]  # listener name -> address
    rack: str | None


@dataclass(frozen=True)
class PartitionMetadata:
    topic: str
    index: int
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    replicas: tuple[int, ...]
    offline_replicas: tuple[int, ...]
    partition_epoch: int  # the state znode's version


class MetadataCache:
    def __init__(self, broker_id: int):
        self.broker_id = broker_id
        self.controller_id = -1
        self.controller_epoch = -1
        self._brokers: dict[int, LiveBroker] = {}
        self._partitions: dict[str, dict[int, PartitionMetadata]] = {}
        self._topic_ids: dict[str, uuid.UUID] = {}
        self._names: dict[uuid.UUID, str] = {}
        self._entries: dict[tuple[str, str], tuple[dict, ...]] = {}  # Metadata's partition entries, by (topic, listener)
        self.generation = 0  # bumped on every update, so callers can tell the cache changed

    # --- updates (UpdateMetadata) ------------------------------------------------------------

    def update(self, request) -> list[str]:
        """Apply an UpdateMetadata request; the topics deleted by it."""
        self.controller_id = request.controller_id
        self.controller_epoch = request.controller_epoch
        self._brokers = {
            broker.id: LiveBroker(broker.id, {e.listener: Endpoint(e.host, e.port) for e in broker.endpoints},
                                  broker.rack)
            for broker in request.live_brokers
        }
        deleted = []
        for topic_state in request.topic_states:
            name = topic_state.topic_name
            if topic_state.topic_id is not None and topic_state.topic_id.int:
                self._remember_id(name, topic_state.topic_id)
            partitions = self._partitions.setdefault(name, {})
            for state in topic_state.partition_states:
                if state.leader == LEADER_DURING_DELETE:
                    partitions.pop(state.partition_index, None)
                    continue
                partitions[state.partition_index] = PartitionMetadata(
                    name, state.partition_index, state.leader, state.leader_epoch, tuple(state.isr),
                    tuple(state.replicas), tuple(state.offline_replicas), state.zk_version)
            if not partitions:
                deleted.append(name)
                self._forget(name)
        self._entries.clear()  # a leader's liveness may have changed too: rebuild on demand
        self.generation += 1
        return deleted

    def _remember_id(self, name: str, topic_id: uuid.UUID) -> None:
        self._topic_ids[name] = topic_id
        self._names[topic_id] = name

    def _forget(self, name: str) -> None:
        self._partitions.pop(name, None)
        topic_id = self._topic_ids.pop(name, None)
        if topic_id is not None:
            self._names.pop(topic_id, None)

    def clear(self) -> None:
        """Forget the partitions (a broker registering again after its session expired): topics
        deleted while it was away would otherwise linger, since the controller's full update
        that follows names only the topics that exist."""
        self._partitions.clear()
        self._topic_ids.clear()
        self._names.clear()
        self._entries.clear()
        self.generation += 1

    def forget_leaders(self, keys, broker_id: int) -> None:
        """Partitions this broker stopped leading on its own (fenced): no leader until the
        controller says who, so clients asking here look elsewhere instead of coming back."""
        for topic, index in keys:
            current = self._partitions.get(topic, {}).get(index)
            if current is not None and current.leader == broker_id:
                self._partitions[topic][index] = PartitionMetadata(
                    topic, index, NO_LEADER, current.leader_epoch, current.isr, current.replicas,
                    current.offline_replicas, current.partition_epoch)
        self._entries.clear()
        self.generation += 1

    # --- brokers -----------------------------------------------------------------------------

    def live_brokers(self) -> list[LiveBroker]:
        return [self._brokers[i] for i in sorted(self._brokers)]

    def is_alive(self, broker_id: int) -> bool:
        return broker_id in self._brokers

    def endpoint(self, broker_id: int, listener: str) -> Endpoint | None:
        broker = self._brokers.get(broker_id)
        return None if broker is None else broker.endpoints.get(listener)

    def brokers_on(self, listener: str) -> list[tuple[int, Endpoint, str | None]]:
        """(id, address, rack) of every live broker reachable on ``listener``."""
        return [(b.broker_id, b.endpoints[listener], b.rack) for b in self.live_brokers() if listener in b.endpoints]

    # --- topics and partitions ---------------------------------------------------------------

    def topic_names(self) -> list[str]:
        return sorted(self._partitions)

    def topic(self, name: str) -> TopicInfo | None:
        partitions = self._partitions.get(name)
        if not partitions:
            return None
        return TopicInfo(name, self._topic_ids.get(name, uuid.UUID(int=0)), max(partitions) + 1)

    def topic_by_id(self, topic_id: uuid.UUID) -> TopicInfo | None:
        name = self._names.get(topic_id)
        return None if name is None else self.topic(name)

    def topics(self) -> list[TopicInfo]:
        return [self.topic(name) for name in self.topic_names()]

    def partition(self, topic: str, index: int) -> PartitionMetadata | None:
        return self._partitions.get(topic, {}).get(index)

    def partitions(self, topic: str) -> list[PartitionMetadata]:
        found = self._partitions.get(topic, {})
        return [found[i] for i in sorted(found)]

    def all_partitions(self) -> Iterable[PartitionMetadata]:
        for partitions in self._partitions.values():
            yield from partitions.values()

    def partition_entries(self, topic: str, listener: str) -> tuple[dict, ...]:
        """The Metadata answer's partition entries for ``topic``, built once per change.
        Shared: never mutate. A leader not reachable on ``listener`` is reported as unavailable."""
        cached = self._entries.get((topic, listener))
        if cached is None:
            # encoded once per Metadata version until the next change replaces it (``EncodedOnce``)
            cached = self._entries[topic, listener] = EncodedOnce(self._entry(p, listener) for p in self.partitions(topic))
        return cached

    def _entry(self, partition: PartitionMetadata, listener: str) -> dict:
        leader = partition.leader
        if leader != NO_LEADER and self.endpoint(leader, listener) is None:
            code, leader = ErrorCode.LEADER_NOT_AVAILABLE, NO_LEADER
        else:
            code = ErrorCode.NONE if leader != NO_LEADER else ErrorCode.LEADER_NOT_AVAILABLE
        return {
            "error_code": code,
            "partition_index": partition.index,
            "leader_id": leader,
            "leader_epoch": partition.leader_epoch,
            "replica_nodes": partition.replicas,
            "isr_nodes": partition.isr,
            "offline_replicas": partition.offline_replicas,
        }
