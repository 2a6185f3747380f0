"""``odradek consume``: print a topic's records, like kafka-console-consumer.sh.

Without ``--group`` every partition is read, from the start (``--from-beginning``) or the end.
With one, the tool joins the group (classic protocol, ``range`` assignor), starts from the
group's committed offsets and commits what it printed.  Ctrl-C or SIGTERM ends it cleanly: it
leaves the group at once and prints how many records it processed, as the console consumer does;
so does a closed stdout (``| head``), with SIGPIPE's exit status.
"""

from __future__ import annotations

import argparse
import sys
import time

from .client import Client
from .client.fetcher import ConsumedRecord, Fetcher
from .client.group_member import GroupMember
from .client.offsets import EARLIEST, LATEST, commit, fetch_committed, list_offsets
from .closed_pipe import EXIT_CODE as OUTPUT_CLOSED, discard_stdout
from .interrupts import sigterm_as_interrupt
from .options import add_bootstrap, connect, key_values

HELP = "print records of a topic, optionally as a member of a consumer group"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bootstrap(parser)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", help="consume as a member of this group and commit offsets")
    parser.add_argument("--from-beginning", action="store_true",
                        help="start at the earliest offset (where the group has none committed)")
    parser.add_argument("--partition", type=int, help="read only this partition (no --group)")
    parser.add_argument("--offset", help="with --partition: earliest, latest or an offset")
    parser.add_argument("--max-messages", type=int, help="stop after this many records")
    parser.add_argument("--timeout-ms", type=int, help="stop when no record came for this long")
    parser.add_argument("--property", action="append", metavar="KEY=VALUE",
                        help="print.key, print.partition, print.offset, print.timestamp (true/false), "
                             "key.separator (default a tab)")


def run(args: argparse.Namespace) -> int:
    if args.group and args.partition is not None:
        raise SystemExit("odradek consume: --partition cannot be used with --group")
    show = Printer(key_values(args.property, "--property"))
    count = 0
    output_closed = False
    with connect(args) as client, sigterm_as_interrupt():
        member = None
        try:
            member = GroupMember(client, args.group, [args.topic]) if args.group else None
            fetcher = Fetcher(client, _start(client, args, member), max_wait_ms=200)
            last_record = time.monotonic()
            while args.max_messages is None or count < args.max_messages:
                if member and not member.heartbeat():
                    fetcher = Fetcher(client, _start(client, args, member), max_wait_ms=200)
                fetched = fetcher.poll()
                records = fetched[:None if args.max_messages is None else args.max_messages - count]
                for record in reversed(fetched[len(records):]):  # not printed: read again next time
                    fetcher.positions[(record.topic, record.partition)] = record.offset
                if not _print_all(records, show):
                    print("Unable to write to standard out, closing consumer.", file=sys.stderr)
                    output_closed = True  # the reader went away (``| head``): stop, as Kafka's consumer does
                    break
                count += len(records)
                if records:
                    last_record = time.monotonic()
                    if member:
                        commit(client, args.group, member.coordinator, fetcher.positions,
                               member.generation, member.member_id)
                elif args.timeout_ms is not None and (time.monotonic() - last_record) * 1000 >= args.timeout_ms:
                    break
        except KeyboardInterrupt:
            pass  # Ctrl-C or SIGTERM: the way a console consumer is meant to be stopped
        finally:
            if member:
                member.leave()  # at once, so the group rebalances now and not after the session timeout
        print(f"Processed a total of {count} messages", file=sys.stderr)
    if output_closed:
        discard_stdout()
        return OUTPUT_CLOSED
    return 0


def _print_all(records: list[ConsumedRecord], show: "Printer") -> bool:
    """Print and flush the records; False if stdout's reader has gone (none of them is counted
    then, nor committed)."""
    try:
        for record in records:
            print(show(record))
        if records:
            sys.stdout.flush()
    except BrokenPipeError:
        return False
    return True


def _start(client: Client, args: argparse.Namespace, member: GroupMember | None) -> dict:
    """The position of every partition to read: committed, else earliest or latest."""
    if member:
        partitions = member.join()
    else:
        info = client.partitions([args.topic])[args.topic]
        partitions = [(args.topic, p) for p in sorted(info.partitions)
                      if args.partition is None or p == args.partition]
    positions = fetch_committed(client, args.group, member.coordinator, partitions) if member else {}
    if args.offset not in (None, "earliest", "latest"):
        return {tp: int(args.offset) for tp in partitions}
    reset = EARLIEST if args.from_beginning or args.offset == "earliest" else LATEST
    missing = [tp for tp in partitions if tp not in positions]
    if missing:
        positions.update(list_offsets(client, missing, reset))
    return positions


class Printer:
    """Formats a record as the console consumer's default formatter does with the same properties."""

    def __init__(self, properties: dict[str, str]):
        flag = lambda name: properties.get(name, "false").lower() == "true"  # noqa: E731
        self.timestamp, self.key = flag("print.timestamp"), flag("print.key")
        self.partition, self.offset = flag("print.partition"), flag("print.offset")
        self.separator = properties.get("key.separator", "\t")

    def __call__(self, record: ConsumedRecord) -> str:
        parts = []
        if self.timestamp:
            parts.append(f"CreateTime:{record.timestamp}")
        if self.partition:
            parts.append(f"Partition:{record.partition}")
        if self.offset:
            parts.append(f"Offset:{record.offset}")
        if self.key:
            parts.append(_text(record.key))
        parts.append(_text(record.value))
        return self.separator.join(parts)


def _text(data: bytes | None) -> str:
    return "null" if data is None else data.decode("utf-8", errors="replace")
