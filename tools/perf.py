"""``odradek perf``: producer and consumer throughput and produce latency, like
kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh in one command."""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

from odradek.wire.compression import COMPRESSION_TYPES

from .client import Client
from .client.fetcher import Fetcher
from .client.offsets import EARLIEST, list_offsets
from .client.producer import Producer
from .options import add_bootstrap, connect
from .perf_stats import ProgressBar, Stats
from .produce import ACKS

HELP = "measure produce and consume throughput and produce latency"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bootstrap(parser)
    parser.add_argument("--topic", required=True, help="an existing topic")
    parser.add_argument("--mode", choices=("produce", "consume", "both"), default="both")
    parser.add_argument("--num-records", type=int, required=True, help="records to write (and read back)")
    parser.add_argument("--record-size", type=int, default=100, help="value bytes per record")
    parser.add_argument("--batch-size", type=int, default=1000, help="records per Produce request")
    parser.add_argument("--acks", choices=sorted(ACKS), default="all")
    parser.add_argument("--compression-codec", choices=COMPRESSION_TYPES, default="none")
    parser.add_argument("--timeout-ms", type=int, default=30_000, help="consume: give up after this long")
    parser.add_argument("--plot", type=Path, metavar="FILE.png",
                        help="draw the latency histogram and throughput over time (needs odradek[plot])")


def run(args: argparse.Namespace) -> int:
    produced = consumed = None
    with connect(args) as client:
        if args.mode in ("produce", "both"):
            produced = produce(client, args)
            print(produced.producer_summary())
        if args.mode in ("consume", "both"):
            consumed = consume(client, args)
            print(consumed.consumer_summary())
    if args.plot:
        from .perf_plot import plot
        plot(args.plot, produced, consumed)
    if consumed and consumed.records < args.num_records:
        print(f"odradek perf: only {consumed.records} of {args.num_records} records read "
              f"within {args.timeout_ms} ms")
        return 1
    return 0


def produce(client: Client, args: argparse.Namespace) -> Stats:
    """Write ``--num-records`` records of random bytes, spread over the partitions round-robin."""
    partitions = sorted(client.partitions([args.topic], auto_create=True)[args.topic].partitions)
    producer = Producer(client, acks=ACKS[args.acks], compression=args.compression_codec)
    value = os.urandom(args.record_size)
    stats = Stats(args.num_records)
    bar = ProgressBar("produce")
    spread = itertools.cycle(partitions)
    while stats.records < args.num_records:
        count = min(args.batch_size, args.num_records - stats.records)
        batches: dict = {}
        for _ in range(count):
            batches.setdefault((args.topic, next(spread)), []).append((None, value))
        sent = time.monotonic()
        producer.send(batches)
        stats.add(count, count * args.record_size, (time.monotonic() - sent) * 1000)
        bar.update(stats)
    bar.close()
    return stats


def consume(client: Client, args: argparse.Namespace) -> Stats:
    """Read ``--num-records`` records from the start of every partition."""
    partitions = [(args.topic, p) for p in sorted(client.partitions([args.topic])[args.topic].partitions)]
    fetcher = Fetcher(client, list_offsets(client, partitions, EARLIEST), max_wait_ms=100)
    stats = Stats(args.num_records)
    bar = ProgressBar("consume")
    deadline = time.monotonic() + args.timeout_ms / 1000
    while stats.records < args.num_records and time.monotonic() < deadline:
        records = fetcher.poll()
        if records:
            stats.add(len(records), sum(len(r.value or b"") for r in records))
            bar.update(stats)
    bar.close()
    return stats
