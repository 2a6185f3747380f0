"""``odradek perf``: producer and consumer throughput and produce latency, like
kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh in one command.

The client is pure Python in one process, so it is built to do as little per record as it can:
records (keyless, all the same random value, as Kafka's tool sends them) are encoded in bulk into
one v2 batch per Produce request (``build_uniform_batch``), up to ``--max-in-flight`` requests
are outstanding per connection, and the consume phase counts records and bytes from the batch
headers without decoding a record. Even so its ceiling is this process's single core (the GIL),
well below what Kafka's Java tool drives through the same broker.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

from odradek.wire.compression import COMPRESSION_TYPES
from odradek.wire.records import build_uniform_batch

from .client import Client
from .client.fetcher import Fetcher
from .client.offsets import EARLIEST, list_offsets
from .client.pipelined_producer import MAX_IN_FLIGHT, PipelinedProducer
from .options import add_bootstrap, connect
from .perf_stats import ProgressBar, Stats
from .produce import ACKS

HELP = "measure produce and consume throughput and produce latency"
MAX_REQUEST_SIZE = 1024 * 1024  # the Java producer's max.request.size default: a batch stays below it
RECORD_OVERHEAD = 16  # bytes a keyless, headerless record adds to its value, at most (its varints)
EPILOG = """\
Produce latency is measured per batch, from sending its Produce request to reading the answer, and
counted once for each record of the batch (kafka-producer-perf-test times each record; here every
record of a batch shares its batch's time). The consumer's MB are the bytes of the record batches
fetched (batch and record headers included, compressed size if compressed), since records are
counted from the batch headers and never decoded; the producer's MB are the records' value bytes.
This is a pure-Python client in one process: its own CPU limits the figures, so Kafka's Java
kafka-producer-perf-test is the reference for a broker's own speed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_bootstrap(parser)
    parser.add_argument("--topic", required=True, help="an existing topic")
    parser.add_argument("--mode", choices=("produce", "consume", "both"), default="both")
    parser.add_argument("--num-records", type=int, required=True, help="records to write (and read back)")
    parser.add_argument("--record-size", type=int, default=100, help="value bytes per record")
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="records per batch (fewer if a batch would pass 1 MiB, the producer's default "
                             "max.request.size); each Produce request carries one batch, partitions take turns")
    parser.add_argument("--max-in-flight", type=int, default=MAX_IN_FLIGHT,
                        help="Produce requests awaiting an answer per connection "
                             "(max.in.flight.requests.per.connection)")
    parser.add_argument("--acks", choices=sorted(ACKS), default="all")
    parser.add_argument("--compression-codec", choices=COMPRESSION_TYPES, default="none")
    parser.add_argument("--timeout-ms", type=int, default=30_000,
                        help="consume: give up once no record has arrived for this long "
                             "(an idle timeout, like kafka-consumer-perf-test's --timeout)")
    parser.add_argument("--plot", type=Path, metavar="FILE.png",
                        help="draw the latency histogram and throughput over time (needs odradek[plot])")


def run(args: argparse.Namespace) -> int:
    for flag, value in (("--num-records", args.num_records), ("--batch-size", args.batch_size),
                        ("--max-in-flight", args.max_in_flight), ("--timeout-ms", args.timeout_ms)):
        if value < 1:
            print(f"odradek perf: {flag} must be at least 1, not {value}", file=sys.stderr)
            return 2
    if args.record_size < 0:
        print(f"odradek perf: --record-size must not be negative, not {args.record_size}", file=sys.stderr)
        return 2
    if args.plot:
        from .perf_plot import MISSING, require_matplotlib
        try:
            require_matplotlib()
        except ImportError:
            print(f"odradek perf: {MISSING}", file=sys.stderr)
            return 1
    produced = consumed = None
    with connect(args) as client:
        if args.mode in ("produce", "both"):
            produced = produce(client, args)
            print(produced.producer_summary(), flush=True)
        if args.mode in ("consume", "both"):
            consumed = consume(client, args)
            print(consumed.consumer_summary(), flush=True)
    if args.plot:
        from .perf_plot import plot
        plot(args.plot, produced, consumed)
    if consumed and consumed.records < args.num_records:
        print(f"odradek perf: only {consumed.records} of {args.num_records} records read: none arrived "
              f"for {args.timeout_ms} ms (--timeout-ms)", file=sys.stderr)
        return 1
    return 0


def produce(client: Client, args: argparse.Namespace) -> Stats:
    """Write ``--num-records`` records of one random value, a batch per request, the partitions
    taking turns batch by batch (as Kafka's sticky partitioner moves on when a batch is full)."""
    partitions = sorted(client.partitions([args.topic], auto_create=True)[args.topic].partitions)
    stats = Stats(args.num_records)
    bar = ProgressBar("produce")

    def acknowledged(records: int, latency_ms: float) -> None:
        stats.add(records, records * args.record_size, latency_ms)
        bar.update(stats)

    producer = PipelinedProducer(client, acknowledged, acks=ACKS[args.acks], max_in_flight=args.max_in_flight)
    per_batch = min(args.batch_size, max(1, (MAX_REQUEST_SIZE - 1024) // (args.record_size + RECORD_OVERHEAD)))
    values = [os.urandom(args.record_size)] * per_batch
    spread = itertools.cycle(partitions)
    for start in range(0, args.num_records, per_batch):
        count = min(per_batch, args.num_records - start)
        batch = build_uniform_batch(values if count == per_batch else values[:count],
                                    base_timestamp=int(time.time() * 1000), compression=args.compression_codec)
        producer.send((args.topic, next(spread)), count, batch)
    producer.flush()
    bar.close()
    return stats


def consume(client: Client, args: argparse.Namespace) -> Stats:
    """Read ``--num-records`` records from the start of every partition, counting them from the
    batch headers; stop early once none has arrived for ``--timeout-ms``."""
    partitions = [(args.topic, p) for p in sorted(client.partitions([args.topic])[args.topic].partitions)]
    fetcher = Fetcher(client, list_offsets(client, partitions, EARLIEST), max_wait_ms=100)
    stats = Stats(args.num_records)
    bar = ProgressBar("consume")
    idle_limit = args.timeout_ms / 1000
    last_record = time.monotonic()
    while stats.records < args.num_records:
        records, size = fetcher.poll_counts()
        now = time.monotonic()
        if records:
            stats.add(records, size)
            bar.update(stats)
            last_record = now
        elif now - last_record > idle_limit:
            break
    bar.close()
    return stats
