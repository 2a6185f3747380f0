"""The ``odradek`` command: one entry point, one sub-command per tool."""

from __future__ import annotations

import argparse
import sys

from . import dump_log, serve

COMMANDS = {"serve": serve, "dump-log": dump_log}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="odradek", description="A Kafka-compatible broker.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    args = parser.parse_args(argv)
    return COMMANDS[args.command].run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
