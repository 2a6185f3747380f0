"""``odradek produce``: lines from stdin as records, like kafka-console-producer.sh.

Lines are sent as soon as stdin has nothing more ready (so typing works interactively), or in
batches of ``--batch-size`` when piped.  A missing topic is created on first use where the broker
allows it (``auto.create.topics.enable``), as for Kafka's console producer.
"""

from __future__ import annotations

import argparse
import select
import sys
from collections import defaultdict
from typing import TextIO

from odradek.wire.compression import COMPRESSION_TYPES

from .client import Client
from .client.partitioner import Partitioner
from .client.producer import Producer
from .options import add_bootstrap, connect, key_values

HELP = "write lines from stdin to a topic (optionally key<TAB>value)"
ACKS = {"all": -1, "-1": -1, "0": 0, "1": 1}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bootstrap(parser)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partition", type=int, help="write every record to this partition")
    parser.add_argument("--property", action="append", metavar="KEY=VALUE",
                        help="parse.key=true and key.separator=SEP (default a tab) read keys from lines")
    parser.add_argument("--producer-property", action="append", metavar="KEY=VALUE",
                        help="acks=all|1|0 and compression.type=... as producer settings")
    parser.add_argument("--request-required-acks", choices=sorted(ACKS), help="acks (default all)")
    parser.add_argument("--compression-codec", choices=COMPRESSION_TYPES, help="compression (default none)")
    parser.add_argument("--batch-size", type=int, default=500, help="most records in one request")


def run(args: argparse.Namespace) -> int:
    properties = key_values(args.property, "--property")
    settings = key_values(args.producer_property, "--producer-property")
    acks = ACKS[args.request_required_acks or settings.get("acks", "all")]
    compression = args.compression_codec or settings.get("compression.type", "none")
    parse_key = properties.get("parse.key", "false").lower() == "true"
    separator = properties.get("key.separator", "\t")
    with connect(args) as client:
        producer = Producer(client, acks=acks, compression=compression)
        partitioner = Partitioner()
        for lines in _line_batches(sys.stdin, args.batch_size):
            records = [_split(line, parse_key, separator) for line in lines]
            producer.send(route(client, args.topic, args.partition, records, partitioner))
    return 0


def route(client: Client, topic: str, partition: int | None, records, partitioner: Partitioner) -> dict:
    """The records grouped by the partition each goes to."""
    count = len(client.partitions([topic], auto_create=True)[topic].partitions)
    batches = defaultdict(list)
    for key, value in records:
        batches[(topic, partition if partition is not None else partitioner.partition(key, count))].append(
            (key, value))
    return batches


def _split(line: str, parse_key: bool, separator: str) -> tuple[bytes | None, bytes]:
    if not parse_key:
        return None, line.encode()
    key, sep, value = line.partition(separator)
    if not sep:
        raise SystemExit(f"odradek produce: no key separator {separator!r} in line {line!r}")
    return key.encode(), value.encode()


def _line_batches(stream: TextIO, size: int):
    """Lines without their newline, in lists of at most ``size``, cut early when no more input waits."""
    batch = []
    for line in stream:
        batch.append(line.rstrip("\n"))
        if len(batch) >= size or not _more_ready(stream):
            yield batch
            batch = []
    if batch:
        yield batch


def _more_ready(stream: TextIO) -> bool:
    try:
        return bool(select.select([stream], [], [], 0)[0])
    except (ValueError, OSError, TypeError):
        return True  # not a selectable file (a test's StringIO): batch by size only
