"""The ``odradek`` command: one entry point, one sub-command per tool."""

from __future__ import annotations

import argparse
import sys

from . import configs, consume, dump_log, groups, offsets, perf, produce, serve, topics
from .client import KafkaError

COMMANDS = {
    "serve": serve, "dump-log": dump_log, "topics": topics, "produce": produce, "consume": consume,
    "groups": groups, "offsets": offsets, "configs": configs, "perf": perf,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="odradek", description="A Kafka-compatible broker and its tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(args) or 0
    except (KafkaError, ConnectionError, TimeoutError, argparse.ArgumentTypeError) as exc:
        print(f"odradek {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
