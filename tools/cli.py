"""The ``odradek`` command: one entry point, one sub-command per tool."""

from __future__ import annotations

import argparse
import importlib
import sys

# Sub-command -> module.  Modules are imported only when their command runs (or for the full
# help), so ``odradek serve`` does not pay for the client tools' imports at start-up.
COMMANDS = {
    "serve": "serve", "dump-log": "dump_log", "topics": "topics", "produce": "produce",
    "consume": "consume", "groups": "groups", "offsets": "offsets", "configs": "configs",
    "perf": "perf",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser for every command, or for just ``only`` when the command is already known."""
    parser = argparse.ArgumentParser(prog="odradek", description="A Kafka-compatible broker and its tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in [only] if only else COMMANDS:
        module = _module(name)
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(chosen).parse_args(argv)
    from .client import KafkaError  # the client tools' error; imported late like the tools

    try:
        return _module(args.command).run(args) or 0
    except (KafkaError, ConnectionError, TimeoutError, argparse.ArgumentTypeError) as exc:
        print(f"odradek {args.command}: {exc}", file=sys.stderr)
        return 1


def _module(command: str):
    return importlib.import_module(f".{COMMANDS[command]}", __package__)


if __name__ == "__main__":
    sys.exit(main())
