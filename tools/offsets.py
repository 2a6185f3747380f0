"""``odradek offsets``: partition offsets by time, like kafka-get-offsets.sh (``topic:partition:offset``)."""

from __future__ import annotations

import argparse

from .client.offsets import list_offsets
from .options import add_bootstrap, connect

HELP = "print partition offsets for a time: -1 latest, -2 earliest, -3 max timestamp, or epoch ms"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bootstrap(parser)
    parser.add_argument("--topic", help="the topic (all non-internal topics when left out)")
    parser.add_argument("--partitions", help="comma-separated partition numbers (all when left out)")
    parser.add_argument("--time", type=int, default=-1, help="-1 (latest, the default), -2 (earliest), "
                                                             "-3 (max timestamp) or a timestamp in ms")


def run(args: argparse.Namespace) -> int:
    with connect(args) as client:
        topics = client.metadata([args.topic] if args.topic else None).topics
        chosen = None if args.partitions is None else {int(p) for p in args.partitions.split(",")}
        wanted = [(name, p) for name, info in topics.items() if info.error_code == 0
                  and (args.topic or not info.is_internal)
                  for p in info.partitions if chosen is None or p in chosen]
        if args.topic and not wanted:
            raise SystemExit(f"odradek offsets: topic {args.topic} has no such partitions")
        for (topic, partition), offset in sorted(list_offsets(client, wanted, args.time).items()):
            if offset >= 0:  # no record that recent: kafka-get-offsets prints nothing for the partition
                print(f"{topic}:{partition}:{offset}")
    return 0
