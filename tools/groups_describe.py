"""``odradek groups --describe``: a consumer group's offsets (the default), ``--members`` or
``--state``, each with ``--verbose``, in the columns and widths of Kafka 4.3's
kafka-consumer-groups.sh.

As Kafka's tool does, a group's state is told on stderr before its table ("has no active
members", "is rebalancing"); the tables go to stdout, each after an empty line.  The group is
read with the classic protocol's DescribeGroups, so the epochs that only KIP-848 groups have are
"-", as Kafka's tool shows them for classic groups.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from odradek.wire import ApiKey, DecodeError
from odradek.wire.embedded import CONSUMER_PROTOCOL_ASSIGNMENT, decode_embedded

from .client import Client, check
from .client.offsets import LATEST, fetch_committed_with_epochs, list_offsets
from .options import Fit, columns

MISSING = "-"  # Kafka's tool's cell for "no value"
CONSUMER_PROTOCOL_TYPE = "consumer"
REBALANCING = frozenset({"PreparingRebalance", "CompletingRebalance", "Assigning", "Reconciling"})

TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class Member:
    member_id: str
    instance_id: str | None
    client_id: str
    host: str
    assignment: list[TopicPartition] = field(default_factory=list)


@dataclass(frozen=True)
class Group:
    name: str
    state: str
    strategy: str  # the assignor the group chose; "" while it has none
    coordinator: int
    members: list[Member]


def describe_group(client: Client, name: str) -> Group:
    """The group as its coordinator describes it; ``KafkaError`` (GROUP_ID_NOT_FOUND) if it does not exist."""
    coordinator = client.coordinator(name)
    described = client.send(ApiKey.DESCRIBE_GROUPS, {"groups": [name]}, coordinator).groups[0]
    check(described.error_code, f"describing group {name}", described.error_message)
    consumer = described.protocol_type == CONSUMER_PROTOCOL_TYPE
    members = [Member(m.member_id, m.group_instance_id, m.client_id, m.client_host,
                      _assignment(m.member_assignment) if consumer else []) for m in described.members]
    return Group(name, described.group_state, described.protocol_data, coordinator, members)


def describe(client: Client, name: str, view: str = "offsets", verbose: bool = False) -> None:
    """Print one group's ``view``: "offsets", "members" or "state"."""
    group = describe_group(client, name)
    _announce_state(group)
    if view == "members":
        lines = _members(group, verbose)
    elif view == "state":
        lines = _state(client, group, verbose)
    else:
        lines = _offsets(client, group, verbose)
    if lines:
        print("\n" + "\n".join(lines))


def _announce_state(group: Group) -> None:
    if group.state == "Dead":
        raise SystemExit(f"odradek groups: Consumer group '{group.name}' does not exist.")
    if group.state == "Empty":
        print(f"\nConsumer group '{group.name}' has no active members.", file=sys.stderr)
    elif group.state in REBALANCING:
        print(f"\nWarning: Consumer group '{group.name}' is rebalancing.", file=sys.stderr)


def _offsets(client: Client, group: Group, verbose: bool) -> list[str]:
    """One row per partition: the members' partitions (members holding most first), then the
    partitions with a committed offset that no member holds; no table when there are none."""
    committed = fetch_committed_with_epochs(client, group.name, group.coordinator)
    owned = [(tp, member) for member in sorted(group.members, key=lambda m: -len(m.assignment))
             for tp in sorted(member.assignment)]
    held = {tp for tp, _ in owned}
    owned += [(tp, None) for tp in sorted(committed) if tp not in held]
    if not owned:
        return []
    ends = list_offsets(client, [tp for tp, _ in owned], LATEST)
    rows = []
    for tp, member in owned:
        offset, epoch = committed.get(tp, (None, -1))
        row = [group.name, tp[0], tp[1]] + ([MISSING if epoch < 0 else epoch] if verbose else [])
        row += [_or_missing(offset), ends[tp], MISSING if offset is None else ends[tp] - offset]
        row += [member.member_id, member.host, member.client_id] if member else [MISSING] * 3
        rows.append(row)
    headers = ["GROUP", "TOPIC", "PARTITION"] + (["LEADER-EPOCH"] if verbose else []) + [
        "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]
    widths = [Fit(15), Fit(15), 10] + ([15] if verbose else []) + [15, 15, 15, Fit(15), Fit(15), None]
    return columns(headers, rows, widths)


def _members(group: Group, verbose: bool) -> list[str]:
    """One row per member; the GROUP-INSTANCE-ID column only when a member is static.  The
    header is printed even for a group without members, as Kafka prints it."""
    static = any(member.instance_id for member in group.members)
    headers = ["GROUP", "CONSUMER-ID"] + (["GROUP-INSTANCE-ID"] if static else []) + [
        "HOST", "CLIENT-ID", "#PARTITIONS"]
    widths: list = [Fit(15), Fit(15)] + ([Fit(17)] if static else []) + [Fit(15), Fit(15), 15]
    if verbose:
        headers += ["CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT"]
        widths += [15, Fit(20), 15, Fit(20)]
    rows = []
    for member in group.members:
        row = [group.name, member.member_id] + ([member.instance_id or ""] if static else [])
        row += [member.host, member.client_id, len(member.assignment)]
        if verbose:  # a classic member has no epochs and no target assignment
            row += [MISSING, assignment_text(member.assignment) or MISSING, MISSING, MISSING]
        rows.append(row)
    return columns(headers, rows, widths)


def _state(client: Client, group: Group, verbose: bool) -> list[str]:
    host, port = client.broker_address(group.coordinator)
    headers = ["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE"] + (
        ["GROUP-EPOCH", "TARGET-ASSIGNMENT-EPOCH"] if verbose else []) + ["#MEMBERS"]
    widths = [Fit(15), Fit(25), 20, 20] + ([15, 25] if verbose else []) + [None]
    row = [group.name, f"{host}:{port}  ({group.coordinator})", group.strategy or MISSING, group.state]
    row += ([MISSING, MISSING] if verbose else []) + [len(group.members)]
    return columns(headers, [row], widths)


def _assignment(data: bytes) -> list[TopicPartition]:
    """A consumer member's partitions, from its ConsumerProtocolAssignment (none while it has none)."""
    if not data:
        return []
    try:
        _, assignment = decode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, data)
    except DecodeError:
        return []
    return [(entry.topic, p) for entry in assignment.assigned_partitions for p in entry.partitions]


def assignment_text(assignment: list[TopicPartition]) -> str:
    """``other:2;topic:0,1``: per topic its partitions in order, the topics' texts in order."""
    by_topic: dict[str, list[int]] = {}
    for topic, partition in assignment:
        by_topic.setdefault(topic, []).append(partition)
    return ";".join(sorted(f"{topic}:{','.join(map(str, sorted(parts)))}" for topic, parts in by_topic.items()))


def _or_missing(value: object) -> object:
    return MISSING if value is None else value
