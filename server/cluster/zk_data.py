"""Kafka's own ZooKeeper layout: the paths, and the JSON each znode holds.

A cluster of odradek brokers keeps its state where a ZooKeeper-era Kafka cluster keeps it, in the
same formats, so that the tools people know (``zookeeper-shell``, ``zkCli``, ZooNavigator) show
them what they expect::

    /cluster/id                          {"version":"1","id":"<cluster id>"}
    /controller                          {"version":1,"brokerid":1,"timestamp":"..."}   (ephemeral)
    /controller_epoch                    "3"
    /brokers/ids/<id>                    the broker's endpoints and rack                   (ephemeral)
    /brokers/topics/<topic>              {"version":3,"topic_id":..,"partitions":{"0":[1,2,3]},
                                          "adding_replicas":{},"removing_replicas":{}}
    /brokers/topics/<t>/partitions/<p>/state
                                         {"version":1,"leader":1,"leader_epoch":0,"isr":[1,2,3],
                                          "controller_epoch":3}
    /config/topics/<topic>               {"version":1,"config":{"retention.ms":"1000"}}
    /config/groups/<group>               {"version":1,"config":{"consumer.session.timeout.ms":"50000"}}
                                         (the group id percent-encoded, see ``group_config_path``)
    /config/users/<user>                 {"version":1,"config":{"SCRAM-SHA-256":"salt=..,stored_key=..,
                                          server_key=..,iterations=4096"}}   (see ``user_entity``)
    /config/changes/config_change_<seq>  {"version":2,"entity_path":"topics/<topic>"}
    /admin/delete_topics/<topic>         a topic being deleted
    /admin/reassign_partitions           {"version":1,"partitions":[{"topic":..,"partition":..,"replicas":[..]}]}
    /admin/preferred_replica_election    {"version":1,"partitions":[{"topic":..,"partition":..}]}
    /latest_producer_id_block            {"version":1,"broker":1,"block_start":"0","block_end":"999"}

Only the encoding lives here; what the znodes mean to the controller and the brokers is their own
modules' business.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from odradek.storage.topic_metadata import kafka_id_string

from ..listeners import Listener, parse_listener

CLUSTER_ID = "/cluster/id"
CONTROLLER = "/controller"
CONTROLLER_EPOCH = "/controller_epoch"
BROKER_IDS = "/brokers/ids"
TOPICS = "/brokers/topics"
CONFIG_TOPICS = "/config/topics"
CONFIG_GROUPS = "/config/groups"
CONFIG_USERS = "/config/users"
CONFIG_CHANGES = "/config/changes"
CONFIG_CHANGE_PREFIX = "config_change_"
DELETE_TOPICS = "/admin/delete_topics"
REASSIGN_PARTITIONS = "/admin/reassign_partitions"
PREFERRED_REPLICA_ELECTION = "/admin/preferred_replica_election"
PRODUCER_ID_BLOCK = "/latest_producer_id_block"

#: The persistent paths every broker makes sure exist when it starts, as Kafka's do (and the
#: groups' configs, which ZooKeeper-era Kafka did not have).
PERSISTENT_PATHS = (BROKER_IDS, TOPICS, "/brokers/seqid", CONFIG_CHANGES, CONFIG_TOPICS, "/config/brokers",
                    "/config/clients", CONFIG_USERS, CONFIG_GROUPS, DELETE_TOPICS, "/isr_change_notification",
                    "/log_dir_event_notification", "/cluster")

NO_LEADER = -1


def broker_path(broker_id: int) -> str:
    return f"{BROKER_IDS}/{broker_id}"


def topic_path(topic: str) -> str:
    return f"{TOPICS}/{topic}"


def partition_state_path(topic: str, partition: int) -> str:
    return f"{TOPICS}/{topic}/partitions/{partition}/state"


def topic_config_path(topic: str) -> str:
    return f"{CONFIG_TOPICS}/{topic}"


def group_entity(group_id: str) -> str:
    """A group id as a znode name: any character but letters, digits, ``-`` and ``_`` percent-encoded
    (UTF-8), much as Kafka sanitizes client ids for ``/config/clients``, and ``.`` too, so that no
    group id (``a/b``, ``..``) makes a bad path."""
    return quote(group_id, safe="-_").replace(".", "%2E").replace("~", "%7E")


def group_id_of(entity: str) -> str:
    return unquote(entity)


def group_config_path(group_id: str) -> str:
    return f"{CONFIG_GROUPS}/{group_entity(group_id)}"


def user_entity(user: str) -> str:
    """A user name as a znode name, as Kafka's Sanitizer makes it: URL-encoded (UTF-8), with ``*``
    and ``~`` encoded too and a space as ``%20``; letters, digits, ``.``, ``-`` and ``_`` kept."""
    return quote(user, safe="-_.").replace("~", "%7E")


def user_of(entity: str) -> str:
    return unquote(entity)


def user_config_path(user: str) -> str:
    return f"{CONFIG_USERS}/{user_entity(user)}"


def _dump(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _load(data: bytes) -> dict:
    return json.loads(data.decode("utf-8"))


def _millis() -> str:
    return str(time.time_ns() // 1_000_000)


# --- /cluster/id, /controller, /controller_epoch ------------------------------------------------

def encode_cluster_id(cluster_id: str) -> bytes:
    return _dump({"version": "1", "id": cluster_id})


def decode_cluster_id(data: bytes) -> str:
    return _load(data)["id"]


def encode_controller(broker_id: int) -> bytes:
    return _dump({"version": 1, "brokerid": broker_id, "timestamp": _millis()})


def decode_controller(data: bytes) -> int:
    return int(_load(data)["brokerid"])


def encode_controller_epoch(epoch: int) -> bytes:
    return str(epoch).encode()


def decode_controller_epoch(data: bytes) -> int:
    return int(data.decode())


# --- /brokers/ids/<id> ----------------------------------------------------------------------------

@dataclass(frozen=True)
class BrokerRegistration:
    broker_id: int
    endpoints: tuple[Listener, ...]  # advertised, in the order of ``listeners``
    protocols: Mapping[str, str]  # listener name -> security protocol
    rack: str | None = None
    epoch: int = -1  # Kafka's broker epoch: the registration znode's creation zxid (czxid)

    def endpoint(self, listener: str) -> Listener | None:
        return next((endpoint for endpoint in self.endpoints if endpoint.name == listener), None)


def encode_broker(registration: BrokerRegistration) -> bytes:
    """Version 5 of the registration, as Kafka 2.7+ writes it: ``host``/``port`` are the first
    PLAINTEXT endpoint's, for old clients."""
    plaintext = next((e for e in registration.endpoints if registration.protocols.get(e.name) == "PLAINTEXT"), None)
    document = {
        "features": {},
        "listener_security_protocol_map": {e.name: registration.protocols[e.name] for e in registration.endpoints},
        "endpoints": [str(e) for e in registration.endpoints],
        "jmx_port": -1,
        "port": plaintext.port if plaintext else -1,
        "host": plaintext.host if plaintext else None,
        "version": 5,
        "timestamp": _millis(),
    }
    if registration.rack is not None:
        document["rack"] = registration.rack
    return _dump(document)


def decode_broker(broker_id: int, data: bytes, epoch: int = -1) -> BrokerRegistration:
    document = _load(data)
    endpoints = tuple(parse_listener(text) for text in document.get("endpoints", []))
    protocols = document.get("listener_security_protocol_map") or {e.name: e.name for e in endpoints}
    return BrokerRegistration(broker_id, endpoints, dict(protocols), document.get("rack"), epoch)


# --- /brokers/topics/<topic> ----------------------------------------------------------------------

@dataclass(frozen=True)
class TopicAssignment:
    """A topic's replicas per partition, with a reassignment's adding and removing replicas."""

    topic_id: uuid.UUID | None
    partitions: Mapping[int, tuple[int, ...]]
    adding: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    removing: Mapping[int, tuple[int, ...]] = field(default_factory=dict)


def encode_topic(assignment: TopicAssignment) -> bytes:
    def by_partition(replicas: Mapping[int, Iterable[int]]) -> dict[str, list[int]]:
        return {str(p): list(r) for p, r in sorted(replicas.items()) if r}

    document = {
        "version": 3,
        "partitions": by_partition(assignment.partitions),
        "adding_replicas": by_partition(assignment.adding),
        "removing_replicas": by_partition(assignment.removing),
    }
    if assignment.topic_id is not None:
        document["topic_id"] = kafka_id_string(assignment.topic_id)
    return _dump(document)


def decode_topic(data: bytes) -> TopicAssignment:
    document = _load(data)

    def by_partition(key: str) -> dict[int, tuple[int, ...]]:
        return {int(p): tuple(r) for p, r in (document.get(key) or {}).items()}

    topic_id = document.get("topic_id")
    return TopicAssignment(parse_topic_id(topic_id) if topic_id else None, by_partition("partitions"),
                           by_partition("adding_replicas"), by_partition("removing_replicas"))


def parse_topic_id(text: str) -> uuid.UUID:
    """Kafka's URL-safe base64 Uuid, or (written by very old tools) the dashed form."""
    if "-" in text and len(text) == 36:
        return uuid.UUID(text)
    import base64

    return uuid.UUID(bytes=base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


# --- /brokers/topics/<t>/partitions/<p>/state -----------------------------------------------------

@dataclass(frozen=True)
class PartitionState:
    """Kafka's LeaderIsrAndControllerEpoch; ``version`` is the znode's (the partition epoch)."""

    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    controller_epoch: int
    version: int = 0


def encode_partition_state(state: PartitionState) -> bytes:
    return _dump({"controller_epoch": state.controller_epoch, "leader": state.leader, "version": 1,
                  "leader_epoch": state.leader_epoch, "isr": list(state.isr)})


def decode_partition_state(data: bytes, version: int) -> PartitionState:
    document = _load(data)
    return PartitionState(int(document["leader"]), int(document["leader_epoch"]), tuple(document["isr"]),
                          int(document["controller_epoch"]), version)


# --- /config/... ----------------------------------------------------------------------------------

def encode_config(config: Mapping[str, str]) -> bytes:
    return _dump({"version": 1, "config": dict(config)})


def decode_config(data: bytes | None) -> dict[str, str]:
    if not data:
        return {}
    return {k: str(v) for k, v in (_load(data).get("config") or {}).items()}


def encode_config_change(entity_type: str, entity_name: str) -> bytes:
    return _dump({"version": 2, "entity_path": f"{entity_type}/{entity_name}"})


def decode_config_change(data: bytes) -> tuple[str, str]:
    entity_type, _, entity_name = _load(data)["entity_path"].partition("/")
    return entity_type, entity_name


# --- /admin/... -----------------------------------------------------------------------------------

def encode_reassignment(replicas: Mapping[tuple[str, int], Iterable[int]]) -> bytes:
    return _dump({"version": 1, "partitions": [{"topic": t, "partition": p, "replicas": list(r)}
                                               for (t, p), r in sorted(replicas.items())]})


def decode_reassignment(data: bytes) -> dict[tuple[str, int], tuple[int, ...]]:
    return {(item["topic"], int(item["partition"])): tuple(item["replicas"])
            for item in _load(data).get("partitions", [])}


def decode_partition_list(data: bytes) -> list[tuple[str, int]]:
    """/admin/preferred_replica_election's partitions."""
    return [(item["topic"], int(item["partition"])) for item in _load(data).get("partitions", [])]


def encode_partition_list(partitions: Iterable[tuple[str, int]]) -> bytes:
    return _dump({"version": 1, "partitions": [{"topic": t, "partition": p} for t, p in partitions]})


# --- /latest_producer_id_block --------------------------------------------------------------------

def encode_producer_id_block(broker_id: int, start: int, end: int) -> bytes:
    return _dump({"version": 1, "broker": broker_id, "block_start": str(start), "block_end": str(end)})


def decode_producer_id_block(data: bytes) -> tuple[int, int]:
    document = _load(data)
    return int(document["block_start"]), int(document["block_end"])
