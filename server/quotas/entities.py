"""What a client quota applies to, and which keys each kind of entity takes.

An entity is a set of (type, name) pairs, ``user`` and/or ``client-id`` (or ``ip`` alone), the
name None for the default of that type (``--entity-default``); here it is a tuple of such pairs
sorted by type, so it can key a dict. The checks and messages are Kafka 4's
(ClientQuotaControlManager, with Kafka 4.3.1's messages for values: a byte rate may not be
fractional, no quota may be 0 or less), the keys its QuotaConfigs: byte rates are longs, the
request percentage and controller mutation rate doubles, and an ip entity takes only
``connection_creation_rate``.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

USER = "user"
CLIENT_ID = "client-id"
IP = "ip"
ENTITY_TYPES = (USER, CLIENT_ID, IP)

PRODUCER_BYTE_RATE = "producer_byte_rate"
CONSUMER_BYTE_RATE = "consumer_byte_rate"
REQUEST_PERCENTAGE = "request_percentage"
CONTROLLER_MUTATION_RATE = "controller_mutation_rate"
CONNECTION_CREATION_RATE = "connection_creation_rate"
#: key -> whether its value must be a whole number (Kafka's LONG/INT, else DOUBLE)
CLIENT_KEYS = {PRODUCER_BYTE_RATE: True, CONSUMER_BYTE_RATE: True, REQUEST_PERCENTAGE: False,
               CONTROLLER_MUTATION_RATE: False}
IP_KEYS = {CONNECTION_CREATION_RATE: True}
#: ZooKeeper's and ConfigCommand's name for a default entity
DEFAULT = "<default>"

Entity = tuple[tuple[str, "str | None"], ...]


class QuotaError(ValueError):
    """An alteration Kafka refuses with INVALID_REQUEST: the message is Kafka's."""


def entity_of(pairs) -> Entity:
    """The entity named by (type, name) pairs, checked as Kafka checks it."""
    found: dict[str, str | None] = {}
    for entity_type, name in pairs:
        if entity_type in found:
            raise QuotaError(f"Invalid empty client quota entity, duplicate entity entry {entity_type}")
        if entity_type not in ENTITY_TYPES:
            raise QuotaError(f"Unhandled client quota entity type: {entity_type}")
        if name is not None and name == "":
            raise QuotaError(f"Empty {entity_type} not supported")
        found[entity_type] = name
    if not found:
        raise QuotaError("Invalid empty client quota entity")
    if IP in found and len(found) > 1:
        raise QuotaError("Invalid empty client quota entity")
    return tuple(sorted(found.items()))


def keys_for(entity: Entity) -> dict[str, bool]:
    return IP_KEYS if entity[0][0] == IP else CLIENT_KEYS


def check_value(entity: Entity, key: str, value: float) -> None:
    whole = keys_for(entity).get(key)
    if whole is None:
        raise QuotaError(f"Invalid configuration key {key}")
    if whole and abs(int(value + 1e-6) - value) > 1e-6:
        raise QuotaError(f"{key} cannot be a fractional value.")
    if value <= 0:
        raise QuotaError(f"Quota {key} must be greater than 0")


def as_pairs(entity: Entity) -> list[dict]:
    """The entity as the wire's EntityData list."""
    return [{"entity_type": entity_type, "entity_name": name} for entity_type, name in entity]


def describe(entity: Entity) -> str:
    return ", ".join(f"{t}={DEFAULT if n is None else n}" for t, n in entity)


# ZooKeeper's layout (Kafka's ZK-era ConfigEntityName/Sanitizer): users/<user>, clients/<client>,
# users/<user>/clients/<client>, ips/<ip>; the default of a type is <default>.
_ZK_TYPES = {USER: "users", CLIENT_ID: "clients", IP: "ips"}
_FROM_ZK = {v: k for k, v in _ZK_TYPES.items()}


def sanitize(name: str | None) -> str:
    """A name as a znode name, as Kafka's Sanitizer makes it; <default> for the default."""
    return DEFAULT if name is None else quote(name, safe="-_.").replace("~", "%7E")


def zk_path(entity: Entity) -> str:
    """``users/alice/clients/app`` (the entity path of /config/... and of change notifications)."""
    ordered = sorted(entity, key=lambda pair: (pair[0] != USER, pair[0]))  # users first
    return "/".join(f"{_ZK_TYPES[t]}/{sanitize(n)}" for t, n in ordered)


def from_zk_path(path: str) -> Entity:
    parts = path.strip("/").split("/")
    if len(parts) % 2 or not parts:
        raise ValueError(f"not a quota entity path: {path}")
    return tuple(sorted((_FROM_ZK[parts[i]], None if parts[i + 1] == DEFAULT else unquote(parts[i + 1]))
                        for i in range(0, len(parts), 2)))
