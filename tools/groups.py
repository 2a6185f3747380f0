"""``odradek groups``: list, describe (with lag), reset the offsets of and delete consumer groups,
like kafka-consumer-groups.sh."""

from __future__ import annotations

import argparse

from odradek.wire import ApiKey
from odradek.wire.embedded import CONSUMER_PROTOCOL_ASSIGNMENT, decode_embedded

from .client import Client, check
from .client.offsets import EARLIEST, LATEST, commit, fetch_committed, list_offsets
from .options import add_bootstrap, connect, table

HELP = "list, describe (with lag), reset offsets of and delete consumer groups"
DESCRIBE_COLUMNS = ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                    "CONSUMER-ID", "HOST", "CLIENT-ID"]
RESET_COLUMNS = ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bootstrap(parser)
    action = parser.add_mutually_exclusive_group(required=True)
    for name in ("list", "describe", "reset-offsets", "delete"):
        action.add_argument(f"--{name}", action="store_true")
    parser.add_argument("--group", action="append", help="the group (repeatable)")
    parser.add_argument("--all-groups", action="store_true", help="every group (--describe, --delete)")
    parser.add_argument("--topic", action="append", help="reset this topic's offsets (repeatable)")
    parser.add_argument("--all-topics", action="store_true", help="reset every topic the group committed")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--to-earliest", action="store_true")
    target.add_argument("--to-latest", action="store_true")
    target.add_argument("--to-offset", type=int)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--execute", action="store_true", help="commit the new offsets")
    mode.add_argument("--dry-run", action="store_true", help="only print them (the default)")


def run(args: argparse.Namespace) -> int:
    with connect(args) as client:
        if args.list:
            print("\n".join(sorted(list_groups(client))))
            return 0
        groups = sorted(list_groups(client)) if args.all_groups else (args.group or [])
        if not groups:
            raise SystemExit("odradek groups: --group or --all-groups is required")
        if args.describe:
            for group in groups:
                print(describe(client, group))
        elif args.reset_offsets:
            for group in groups:
                print("\n" + table(reset_offsets(client, group, args), RESET_COLUMNS))
        else:
            delete(client, groups)
            print("Deletion of requested consumer groups (" + ", ".join(f"'{g}'" for g in groups)
                  + ") was successful.")
    return 0


def list_groups(client: Client) -> list[str]:
    answer = client.send(ApiKey.LIST_GROUPS, {})
    check(answer.error_code, "ListGroups")
    return [group.group_id for group in answer.groups]


def describe(client: Client, group: str) -> str:
    """The group's partitions: committed offset, log end, lag, and the member holding each."""
    coordinator = client.coordinator(group)
    answer = client.send(ApiKey.DESCRIBE_GROUPS, {"groups": [group]}, coordinator)
    described = answer.groups[0]
    check(described.error_code, f"describing group {group}", described.error_message)
    owners = {}
    for member in described.members:
        if member.member_assignment:
            assigned = decode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, member.member_assignment)[1]
            for entry in assigned.assigned_partitions:
                owners.update({(entry.topic, p): member for p in entry.partitions})
    committed = fetch_committed(client, group, coordinator)
    partitions = sorted(set(committed) | set(owners))
    ends = list_offsets(client, partitions, LATEST) if partitions else {}
    rows = []
    for tp in partitions:
        current = committed.get(tp)
        member = owners.get(tp)
        rows.append([group, tp[0], tp[1], "-" if current is None else current, ends[tp],
                     "-" if current is None else ends[tp] - current,
                     member.member_id if member else "-", member.client_host if member else "-",
                     member.client_id if member else "-"])
    header = "" if described.members else f"\nConsumer group '{group}' has no active members.\n"
    return header + "\n" + table(rows, DESCRIBE_COLUMNS)


def reset_offsets(client: Client, group: str, args: argparse.Namespace) -> list[list]:
    """Compute (and with --execute commit) the new offsets; the rows to print."""
    coordinator = client.coordinator(group)
    if args.all_topics:
        partitions = sorted(fetch_committed(client, group, coordinator))
    elif args.topic:
        topics = client.partitions(args.topic)
        partitions = [(name, p) for name in args.topic for p in sorted(topics[name].partitions)]
    else:
        raise SystemExit("odradek groups: --reset-offsets needs --topic or --all-topics")
    if args.to_offset is not None:
        low, high = list_offsets(client, partitions, EARLIEST), list_offsets(client, partitions, LATEST)
        offsets = {tp: min(max(args.to_offset, low[tp]), high[tp]) for tp in partitions}
    elif args.to_earliest or args.to_latest:
        offsets = list_offsets(client, partitions, EARLIEST if args.to_earliest else LATEST)
    else:
        raise SystemExit("odradek groups: --reset-offsets needs --to-earliest, --to-latest or --to-offset")
    if args.execute:
        commit(client, group, coordinator, offsets)
    return [[group, topic, partition, offsets[(topic, partition)]] for topic, partition in partitions]


def delete(client: Client, groups: list[str]) -> None:
    by_coordinator: dict[int, list[str]] = {}
    for group in groups:
        by_coordinator.setdefault(client.coordinator(group), []).append(group)
    for coordinator, names in by_coordinator.items():
        answer = client.send(ApiKey.DELETE_GROUPS, {"groups_names": names}, coordinator)
        for result in answer.results:
            check(result.error_code, f"deleting group {result.group_id}")
