"""The cluster as a client sees it: brokers, topics, partition leaders and group coordinators.

``Client`` keeps one ``Connection`` per broker, opened on first use, and routes each request
to the broker that must answer it: partition requests to the leader, group requests to the
group's coordinator, everything else to any broker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from construct import Container

from odradek.wire import ApiKey, ErrorCode

from .connection import Connection
from .errors import KafkaError, check, retrying

DEFAULT_PORT = 9092
_ANY = -1  # a connection key for the bootstrap broker before its node ID is known
AUTO_CREATE_WAIT = 3.0  # seconds a topic the broker was asked to create may stay unknown
_LEADERLESS = frozenset({ErrorCode.LEADER_NOT_AVAILABLE})  # what a topic's first moments are answered with
_UNKNOWN = frozenset({ErrorCode.UNKNOWN_TOPIC_OR_PARTITION})
_NOT_CREATED = "the broker did not create it: is its auto.create.topics.enable false?"


@dataclass(frozen=True)
class PartitionInfo:
    index: int
    leader: int
    leader_epoch: int
    replicas: list[int]
    isr: list[int]
    error_code: int = 0
    elr: list[int] | None = None  # eligible leader replicas: only DescribeTopicPartitions tells them
    last_known_elr: list[int] | None = None


@dataclass(frozen=True)
class TopicInfo:
    name: str
    topic_id: UUID
    is_internal: bool
    partitions: dict[int, PartitionInfo] = field(default_factory=dict)
    error_code: int = 0


@dataclass(frozen=True)
class Metadata:
    cluster_id: str | None
    controller_id: int
    brokers: dict[int, tuple[str, int]]
    topics: dict[str, TopicInfo]


def parse_bootstrap(servers: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` (the port defaults to 9092) as address pairs."""
    addresses = []
    for server in filter(None, (part.strip() for part in servers.split(","))):
        host, _, port = server.rpartition(":")
        if not host:
            host, port = server, str(DEFAULT_PORT)
        addresses.append((host.strip("[]"), int(port)))
    if not addresses:
        raise ValueError("--bootstrap-server names no broker")
    return addresses


class Client:
    def __init__(self, bootstrap_servers: str, client_id: str = "odradek-tools", timeout: float = 30.0):
        self.client_id = client_id
        self.timeout = timeout
        self._bootstrap = parse_bootstrap(bootstrap_servers)
        self._connections: dict[int, Connection] = {}
        self._brokers: dict[int, tuple[str, int]] = {}
        self._ids: dict[UUID, str] = {}
        self._names: dict[str, UUID] = {}

    # sending
    def send(self, api_key: int, body: Mapping, node_id: int = _ANY) -> Container:
        return self.connection(node_id).request(api_key, body)

    def connection(self, node_id: int = _ANY) -> Connection:
        """The open connection to ``node_id`` (any broker for ``_ANY``); one closed by an abandoned
        request (see ``Connection``) is replaced by a new one."""
        for key, connection in list(self._connections.items()):
            if connection.closed:
                del self._connections[key]
        if node_id == _ANY and self._connections:
            return next(iter(self._connections.values()))
        if node_id not in self._connections:
            self._connections[node_id] = self._connect(node_id)
        return self._connections[node_id]

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # cluster knowledge
    def metadata(self, topics: Iterable[str] | None = None, auto_create: bool = False) -> Metadata:
        """Metadata for ``topics`` (all topics for None).  With ``auto_create`` the broker may
        create the missing ones, as it does for a producer's first use of a topic (it decides, by
        its ``auto.create.topics.enable``); see ``partitions`` for what it answers meanwhile."""
        request_topics = None if topics is None else [{"name": name} for name in topics]
        answer = self.send(ApiKey.METADATA, {"topics": request_topics, "allow_auto_topic_creation": auto_create})
        brokers = {b.node_id: (b.host, b.port) for b in answer.brokers}
        self._brokers.update(brokers)
        found = {}
        for topic in answer.topics:
            partitions = {p.partition_index: PartitionInfo(
                p.partition_index, p.leader_id, p.leader_epoch, list(p.replica_nodes), list(p.isr_nodes),
                p.error_code) for p in topic.partitions}
            topic_id = topic.topic_id
            info = TopicInfo(topic.name, topic_id, topic.is_internal, partitions, topic.error_code)
            found[topic.name] = info
            if topic.error_code == 0 and topic_id.int:
                self._ids[topic_id] = topic.name
                self._names[topic.name] = topic_id
        return Metadata(answer.cluster_id, answer.controller_id, brokers, found)

    def describe_topics(self, topics: list[str]) -> dict[str, TopicInfo]:
        """Like ``metadata`` for named topics, but through DescribeTopicPartitions (paged by its
        cursor) where the broker has it, as Kafka 4's admin client does, so ELR fields are known."""
        if ApiKey.DESCRIBE_TOPIC_PARTITIONS not in self.connection().versions:
            return self.metadata(topics).topics
        found: dict[str, TopicInfo] = {}
        cursor = None
        while True:
            answer = self.send(ApiKey.DESCRIBE_TOPIC_PARTITIONS, {
                "topics": [{"name": name} for name in topics], "cursor": cursor})
            for topic in answer.topics:
                info = found.setdefault(topic.name, TopicInfo(topic.name, topic.topic_id, topic.is_internal, {},
                                                              topic.error_code))
                info.partitions.update((p.partition_index, PartitionInfo(
                    p.partition_index, p.leader_id, p.leader_epoch, list(p.replica_nodes), list(p.isr_nodes),
                    p.error_code, p.eligible_leader_replicas, p.last_known_elr)) for p in topic.partitions)
            cursor = answer.next_cursor
            if cursor is None:
                return found

    def partitions(self, topics: Iterable[str], auto_create: bool = False) -> dict[str, TopicInfo]:
        """The named topics' metadata, every partition with a leader; ``KafkaError`` if one does
        not exist (with ``auto_create``: was not created by the broker within a few seconds).

        A topic or partition without a leader yet (just created) is asked about again for a while.
        Kafka 4 answers the Metadata request that asks it to create a topic with
        UNKNOWN_TOPIC_OR_PARTITION (the controller creates it a moment later), just as it answers
        when its ``auto.create.topics.enable`` is false, so that answer is only final after
        ``AUTO_CREATE_WAIT``."""
        wanted = list(topics)
        lookup = lambda: retrying(lambda: self._partitions(wanted, auto_create), retriable=_LEADERLESS)  # noqa: E731
        if not auto_create:
            return lookup()
        return retrying(lookup, timeout=AUTO_CREATE_WAIT, retriable=_UNKNOWN)

    def _partitions(self, topics: list[str], auto_create: bool) -> dict[str, TopicInfo]:
        found = self.metadata(topics, auto_create).topics
        for name, info in found.items():
            not_created = auto_create and info.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            check(info.error_code, f"topic {name}", _NOT_CREATED if not_created else None)
            for partition in info.partitions.values():
                if partition.leader < 0:
                    raise KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, f"{name}-{partition.index}")
        return found

    def topic_id(self, name: str) -> UUID:
        if name not in self._names:
            self.partitions([name])
        return self._names[name]

    def topic_name(self, entry: Mapping) -> str:
        """The topic an answer's entry is about, whether it names it or gives its ID."""
        name = entry.get("name", entry.get("topic"))
        if name:
            return name
        topic_id = entry["topic_id"]
        if topic_id not in self._ids:
            self.metadata()
        return self._ids.get(topic_id, str(topic_id))

    def by_leader(self, partitions: Iterable[tuple[str, int]]) -> dict[int, list[tuple[str, int]]]:
        """Group ``(topic, partition)`` pairs by the broker leading them."""
        wanted = list(partitions)
        topics = self.partitions({topic for topic, _ in wanted})
        routed: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for topic, partition in wanted:
            info = topics[topic].partitions.get(partition)
            if info is None:
                raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{partition}")
            routed[info.leader].append((topic, partition))
        return dict(routed)

    def broker_address(self, node_id: int) -> tuple[str, int]:
        """The host and port the cluster advertises for ``node_id``."""
        if node_id not in self._brokers:
            self.metadata([])
        if node_id not in self._brokers:
            raise ConnectionError(f"broker {node_id} is not in the cluster's metadata")
        return self._brokers[node_id]

    def coordinator(self, group: str) -> int:
        """The node ID of ``group``'s coordinator (FindCoordinator, key type 0)."""
        return retrying(lambda: self._find_coordinator(group))

    def _find_coordinator(self, group: str) -> int:
        answer = self.send(ApiKey.FIND_COORDINATOR, {"key": group, "key_type": 0, "coordinator_keys": [group]})
        found = answer.coordinators[0] if answer.coordinators else answer
        check(found.error_code, f"FindCoordinator for group {group}", found.error_message)
        self._brokers[found.node_id] = (found.host, found.port)
        return found.node_id

    def _connect(self, node_id: int) -> Connection:
        if node_id == _ANY:
            errors = []
            for host, port in self._bootstrap:
                try:
                    return Connection(host, port, self.client_id, self.timeout)
                except OSError as exc:
                    errors.append(f"{host}:{port}: {exc}")
            raise ConnectionError("no bootstrap broker answered: " + "; ".join(errors))
        host, port = self.broker_address(node_id)
        return Connection(host, port, self.client_id, self.timeout)
