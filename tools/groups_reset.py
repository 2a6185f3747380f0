"""``odradek groups --reset-offsets``: plan new committed offsets for inactive groups, and commit
them with ``--execute``, as kafka-consumer-groups.sh does.

Without ``--execute`` nothing is committed: the plan is printed, and unless ``--dry-run`` was
asked for explicitly, a warning on stderr says so in the words of Kafka 4.3's tool.  A group
with members is refused, since its members would commit over the new offsets.
"""

from __future__ import annotations

import argparse
import sys

from odradek.wire import ErrorCode

from .client import Client, KafkaError
from .client.offsets import EARLIEST, LATEST, commit, fetch_committed, list_offsets
from .groups_describe import describe_group
from .options import Fit, columns

TopicPartition = tuple[str, int]
INACTIVE = frozenset({"Empty", "Dead"})
DRY_RUN_WARNING = (
    "WARN: No action will be performed as the --execute option is missing. In version 5.0, this command "
    "will require either --dry-run or --execute to be specified. You should add the --dry-run option "
    "explicitly if you are scripting this command and want to keep the current default behavior without "
    "prompting.")


def reset_groups(client: Client, groups: list[str], args: argparse.Namespace) -> None:
    """Plan (and with --execute commit) every group's new offsets; print the plan."""
    if not args.execute and not args.dry_run:
        print(DRY_RUN_WARNING, file=sys.stderr)
    planned = {group: reset_offsets(client, group, args) for group in groups}
    rows = [[group, topic, partition, offset]
            for group, offsets in planned.items() for (topic, partition), offset in offsets.items()]
    print("\n" + "\n".join(columns(["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"], rows, [Fit(15), Fit(15), 10, None])))


def reset_offsets(client: Client, group: str, args: argparse.Namespace) -> dict[TopicPartition, int]:
    """The group's new offsets, committed with --execute."""
    _check_inactive(client, group)
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
    return {tp: offsets[tp] for tp in partitions}


def _check_inactive(client: Client, group: str) -> None:
    try:
        state = describe_group(client, group).state
    except KafkaError as exc:
        if exc.code == ErrorCode.GROUP_ID_NOT_FOUND:
            return  # a group nobody has used yet: its offsets may be set before its first member comes
        raise
    if state not in INACTIVE:
        raise SystemExit(f"odradek groups: Assignments can only be reset if the group '{group}' is inactive, "
                         f"but the current state is {state}.")
