"""The ``odradek`` command: one entry point, one sub-command per tool."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys

# Sub-command -> module.  Modules are imported only when their command runs (or for the full
# help), so ``odradek serve`` does not pay for the client tools' imports at start-up.
COMMANDS = {
    "serve": "serve", "dump-log": "dump_log", "topics": "topics", "produce": "produce",
    "consume": "consume", "groups": "groups", "offsets": "offsets", "configs": "configs",
    "perf": "perf", "cluster": "cluster",
}


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line naming it (and where help is), not the whole
    usage text followed by the error: the same one-line form as every other odradek error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser for every command, or for just ``only`` when the command is already known."""
    parser = OneLineParser(prog="odradek", description="A Kafka-compatible broker and its tools.")
    parser.add_argument("-V", "--version", action=_VersionAction)
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
    except KeyboardInterrupt:
        return 130  # Ctrl-C where a tool has nothing to clean up: the shell's code for SIGINT, no traceback


class _VersionAction(argparse.Action):
    """``--version``, the installed version looked up only when asked for (importlib.metadata
    costs a tenth of a second, which every ``odradek serve`` would pay)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0,
                         help=help or "show program's version number and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"odradek {_version()}")  # on stdout, as argparse's own version action prints it
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("odradek")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _module(command: str):
    """The command's module, imported with the cyclic garbage collector paused, then frozen:
    importing makes tens of thousands of objects that live as long as the process, and the
    collections their allocations would trigger only scan them again and again (15 ms of
    ``odradek serve``'s start-up, and every later full collection)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return importlib.import_module(f".{COMMANDS[command]}", __package__)
    finally:
        gc.freeze()  # what was imported is never garbage: no later collection scans it
        if collecting:
            gc.enable()


if __name__ == "__main__":
    sys.exit(main())
