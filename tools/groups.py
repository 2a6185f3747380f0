"""``odradek groups``: list, describe (offsets with lag, members or state), reset the offsets of and
delete consumer groups, like kafka-consumer-groups.sh; ``--describe`` of a share group shows it as
kafka-share-groups.sh does (start offsets and lag, members, state)."""

from __future__ import annotations

import argparse

from odradek.wire import ApiKey

from .client import Client, check
from .groups_describe import describe
from .groups_reset import reset_groups
from .groups_share_describe import SHARE_GROUP_TYPE, describe_share
from .options import add_bootstrap, connect

HELP = ("list, describe (offsets with lag, members, state), reset offsets of and delete consumer groups; "
        "describe share groups")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bootstrap(parser)
    action = parser.add_mutually_exclusive_group(required=True)
    for name in ("list", "describe", "reset-offsets", "delete"):
        action.add_argument(f"--{name}", action="store_true")
    parser.add_argument("--group", action="append", help="the group (repeatable)")
    parser.add_argument("--all-groups", action="store_true", help="every group (--describe, --reset-offsets, --delete)")
    view = parser.add_mutually_exclusive_group()
    view.add_argument("--offsets", action="store_true",
                      help="--describe: each partition's committed offset, log end and lag (the default)")
    view.add_argument("--members", action="store_true", help="--describe: the group's members")
    view.add_argument("--state", action="store_true", help="--describe: the group's coordinator, state and size")
    parser.add_argument("--verbose", action="store_true",
                        help="--describe: leader epochs (--offsets), assignments (--members), epochs (--state)")
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
    if not args.describe and (args.offsets or args.members or args.state or args.verbose):
        raise SystemExit("odradek groups: --offsets, --members, --state and --verbose go with --describe")
    with connect(args) as client:
        if args.list:
            print("\n".join(sorted(list_groups(client))))
            return 0
        groups = sorted(list_groups(client) if args.all_groups else set(args.group or []))
        if not groups:
            raise SystemExit("odradek groups: --group or --all-groups is required")
        if args.describe:
            view = "members" if args.members else "state" if args.state else "offsets"
            for group in groups:
                shown = describe_share if group_type(client, group) == SHARE_GROUP_TYPE else describe
                shown(client, group, view, args.verbose)
        elif args.reset_offsets:
            reset_groups(client, groups, args)
        else:
            delete(client, groups)
            print("Deletion of requested consumer groups (" + ", ".join(f"'{g}'" for g in groups)
                  + ") was successful.")
    return 0


def list_groups(client: Client) -> list[str]:
    answer = client.send(ApiKey.LIST_GROUPS, {})
    check(answer.error_code, "ListGroups")
    return [group.group_id for group in answer.groups]


def group_type(client: Client, group: str) -> str | None:
    """The group's type ("classic", "consumer", "share") as its coordinator lists it; None when
    it does not know the group."""
    answer = client.send(ApiKey.LIST_GROUPS, {}, client.coordinator(group))
    check(answer.error_code, "ListGroups")
    return next((g.group_type for g in answer.groups if g.group_id == group), None)


def delete(client: Client, groups: list[str]) -> None:
    by_coordinator: dict[int, list[str]] = {}
    for group in groups:
        by_coordinator.setdefault(client.coordinator(group), []).append(group)
    for coordinator, names in by_coordinator.items():
        answer = client.send(ApiKey.DELETE_GROUPS, {"groups_names": names}, coordinator)
        for result in answer.results:
            check(result.error_code, f"deleting group {result.group_id}")
