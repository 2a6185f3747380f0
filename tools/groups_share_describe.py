"""``odradek groups --describe`` of a share group (KIP-932): its start offsets with the lag (the
default), ``--members`` or ``--state``, each with ``--verbose``, in the columns and widths of
Kafka 4.3's kafka-share-groups.sh.

A share group has no committed offsets: each partition has a *start offset*, the first record the
group has not finished with, kept by the share coordinator; its lag is the records from there to
the end that are not yet acknowledged.  Both come from DescribeShareGroupOffsets (key 90) and the
members from ShareGroupDescribe (key 77), each asked of the group's coordinator, as Kafka's admin
client asks them.  As in Kafka's tool, an empty group's state is told on stderr before the
``--members`` and ``--state`` tables (the offsets table is printed for any state), and a partition
the group has no start offset for shows "-" in its offset, epoch and lag cells.
"""

from __future__ import annotations

import sys

from odradek.wire import ApiKey

from .client import Client, check
from .client.errors import retrying
from .groups_describe import MISSING, assignment_text
from .options import Fit, columns

SHARE_GROUP_TYPE = "share"  # ListGroups' group_type for a KIP-932 group


def describe_share(client: Client, name: str, view: str = "offsets", verbose: bool = False) -> None:
    """Print one share group's ``view``: "offsets", "members" or "state"."""
    coordinator = client.coordinator(name)
    group = retrying(lambda: _described(client, name, coordinator))
    if view == "members":
        lines = _members(group, verbose)
    elif view == "state":
        lines = _state(client, group, coordinator, verbose)
    else:
        lines = _offsets(client, name, coordinator, verbose)
    if lines:
        print("\n" + "\n".join(lines))


def _described(client: Client, name: str, coordinator: int):
    answer = client.send(ApiKey.SHARE_GROUP_DESCRIBE, {"group_ids": [name], "include_authorized_operations": False},
                         coordinator)
    [group] = answer.groups
    check(group.error_code, f"describing share group {name}", group.error_message)
    return group


def _announce_empty(group) -> None:
    if group.group_state == "Empty":
        print(f"\nShare group '{group.group_id}' has no active members.", file=sys.stderr)


def _offsets(client: Client, name: str, coordinator: int, verbose: bool) -> list[str]:
    """One row per partition the group has state for, by topic and partition; without any, the
    one line Kafka's tool prints instead of a table."""
    answer = retrying(lambda: _start_offsets(client, name, coordinator))
    rows = []
    for topic in answer.topics:
        for part in topic.partitions:
            if part.error_code:  # Kafka's admin client leaves out a partition answered with an error
                continue
            known = part.start_offset >= 0
            epoch = part.leader_epoch if known and part.leader_epoch >= 0 else MISSING
            lag = part.lag if known and part.lag >= 0 else MISSING
            rows.append([name, topic.topic_name, part.partition_index] + ([epoch] if verbose else [])
                        + [part.start_offset if known else MISSING, lag])
    if not rows:
        print(f"\nShare group '{name}' has no offset information.")
        return []
    rows.sort(key=lambda row: (row[1], row[2]))
    headers = ["GROUP", "TOPIC", "PARTITION"] + (["LEADER-EPOCH"] if verbose else []) + ["START-OFFSET", "LAG"]
    widths = [Fit(15), Fit(15), 10] + ([13] if verbose else []) + [13, None]
    return columns(headers, rows, widths)


def _start_offsets(client: Client, name: str, coordinator: int):
    """The group's start offsets and lags for every topic it has state for (``topics`` null)."""
    answer = client.send(ApiKey.DESCRIBE_SHARE_GROUP_OFFSETS, {"groups": [{"group_id": name, "topics": None}]},
                         coordinator)
    [group] = answer.groups
    check(group.error_code, f"describing the offsets of share group {name}", group.error_message)
    return group


def _members(group, verbose: bool) -> list[str]:
    """One row per member, by member id; an empty group gets no table, as in Kafka's tool."""
    _announce_empty(group)
    if not group.members:
        return []
    headers = ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"] + (
        ["MEMBER-EPOCH"] if verbose else []) + ["ASSIGNMENT"]
    widths: list = [Fit(15), Fit(15), Fit(15), Fit(15), 12] + ([13] if verbose else []) + [None]
    rows = []
    for member in sorted(group.members, key=lambda m: m.member_id):
        assigned = [(tp.topic_name, p) for tp in member.assignment.topic_partitions for p in tp.partitions]
        rows.append([group.group_id, member.member_id, member.client_host, member.client_id, len(assigned)]
                    + ([member.member_epoch] if verbose else []) + [assignment_text(assigned)])
    return columns(headers, rows, widths)


def _state(client: Client, group, coordinator: int, verbose: bool) -> list[str]:
    _announce_empty(group)
    host, port = client.broker_address(coordinator)
    headers = ["GROUP", "COORDINATOR (ID)", "STATE"] + (["GROUP-EPOCH", "ASSIGNMENT-EPOCH"] if verbose else []) + [
        "#MEMBERS"]
    widths = [Fit(15), Fit(25), 15] + ([12, 17] if verbose else []) + [None]
    row = [group.group_id, f"{host}:{port}  ({coordinator})", group.group_state]
    row += ([group.group_epoch, group.assignment_epoch] if verbose else []) + [len(group.members)]
    return columns(headers, [row], widths)
