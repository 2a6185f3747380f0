"""What counting for ``/metrics`` costs: odradek with and without ``metrics.port``, side by side."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
import urllib.request

import trio

from .. import confluent_load
from ..brokers.process import free_port
from ..measurement import Measurement
from ..session import Session

TITLE = "Metrics on and off: what counting costs"

RECORDS = 2_000_000  # of 100 B at full scale, per round and variant
SIZE = 100
SCRAPE_INTERVAL_S = 1.0
DISPATCH_CALLS, DISPATCH_BLOCKS = 300, 40  # in-process: calls per timed block, blocks per variant
VARIANTS = {"off": "metrics.port unset", "on": f"metrics.port set, scraped every {SCRAPE_INTERVAL_S:g} s"}

ABOUT = f"""\
odradek only. Kafka's own figure for this is its JMX exporter's, which no run here compares; the
question is odradek's issue target: **Produce and Fetch throughput with metrics on stay within 3%
of metrics off**. Per repetition, two fresh brokers in turn (their order alternating): one with
`metrics.port` unset (the broker then counts nothing: its recorder is a null one, chosen at
start-up), one with `metrics.port` set and `/metrics` scraped every {SCRAPE_INTERVAL_S:g} s by a
thread of the benchmark during the run (Prometheus' default is every 15 s). On each,
confluent-kafka ({confluent_load.CLIENT_VERSION}) produces {RECORDS:,} records of {SIZE} B at
full scale to a new 1-partition topic and reads them back (the produce and consume workloads'
settings). The **on ÷ off** rows are each repetition's ratio (1.00 = no cost; below 1, slower
with metrics on).

The **dispatch** rows isolate the broker's own CPU per request, as the hot-path workload does:
one broker in this process, small requests (Produce of one 100 B record, Fetch of one partition)
handed to `dispatch` in blocks of {DISPATCH_CALLS}, the recorder swapped between the null one and
the counting one every block ({DISPATCH_BLOCKS} blocks each), so the machine's load drifts alike
over both; µs of this thread's CPU time per request (not wall time: time spent waiting for a
core on a loaded machine is left out), the median block (lower is better).
"""


def run(session: Session) -> list[Measurement]:
    if "odradek" not in session.brokers:
        return []
    count = session.scaled(RECORDS, minimum=10_000)
    table: dict[tuple[str, str], Measurement] = {}

    def add(case: str, metric: str, value: float, higher_is_better: bool = True) -> None:
        key = (case, metric)
        if key not in table:
            table[key] = Measurement("metrics", case, "odradek", metric, higher_is_better=higher_is_better)
        table[key].values.append(value)

    for repetition in range(session.repetitions):
        figures = {}
        order = ("off", "on") if repetition % 2 == 0 else ("on", "off")
        for variant in order:
            figures[variant] = _round(session, variant, count)
            for what, rate in figures[variant].items():
                add(f"confluent-kafka {what} 100 B, {VARIANTS[variant]}", "records/s", rate)
        for what in ("produce", "consume"):
            add(f"confluent-kafka {what}: on ÷ off", "ratio", figures["on"][what] / figures["off"][what])
    for case, (off, on) in trio.run(_dispatch_figures).items():
        add(f"dispatch {case}, metrics.port unset", "µs per request", off, higher_is_better=False)
        add(f"dispatch {case}, metrics on", "µs per request", on, higher_is_better=False)
    return list(table.values())


def _round(session: Session, variant: str, count: int) -> dict[str, float]:
    overrides = {}
    port = 0
    if variant == "on":
        port = free_port()
        overrides = {"metrics.port": port, "metrics.host": "127.0.0.1"}
    with session.broker("odradek", overrides) as running:
        topic = f"metrics-{variant}"
        confluent_load.create_topic(running.bootstrap, topic)
        with _Scraper(f"http://127.0.0.1:{port}/metrics" if port else None):
            produced = confluent_load.produce(running.bootstrap, topic, count, SIZE)
            consumed = confluent_load.consume(running.bootstrap, topic, count)
    return {"produce": produced, "consume": consumed}


class _Scraper:
    """Scrapes ``url`` every ``SCRAPE_INTERVAL_S`` in a thread while in the ``with`` (no-op for None)."""

    def __init__(self, url: str | None):
        self.url = url
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        if self.url:
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        if self.url:
            self.thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stop.wait(SCRAPE_INTERVAL_S):
            with urllib.request.urlopen(self.url, timeout=10) as response:
                response.read()


async def _dispatch_figures() -> dict[str, tuple[float, float]]:
    from odradek.server.broker import Broker
    from odradek.server.broker_config import BrokerConfig
    from odradek.server.dispatch import dispatch
    from odradek.server.stats import NULL_STATS, BrokerStats

    from .hot_path import _fetch_frame, _produce_frame
    from odradek.wire.records import Record, build_batch

    batch = build_batch([Record(0, 0, None, bytes(SIZE))], base_timestamp=int(time.time() * 1000))
    with tempfile.TemporaryDirectory() as data_dir:
        broker = Broker(BrokerConfig.load(data_dir=data_dir, overrides=[]))
        broker.logs.startup()
        try:
            broker.logs.create_topic("hot", 1)
            frames = {"Produce, 1 record of 100 B": _produce_frame("hot", 1, batch)[4:],
                      "Fetch, 1 partition": _fetch_frame("hot", 1)[4:]}
            figures = {}
            for case, frame in frames.items():
                blocks: dict[bool, list[float]] = {False: [], True: []}
                for block in range(2 * DISPATCH_BLOCKS):
                    counting = bool(block % 2)
                    broker.stats = BrokerStats() if counting else NULL_STATS
                    start = time.thread_time()
                    for _ in range(DISPATCH_CALLS):
                        await dispatch(broker, frame, "bench", "PLAINTEXT")
                    blocks[counting].append((time.thread_time() - start) / DISPATCH_CALLS * 1e6)
                figures[case] = (statistics.median(blocks[False]), statistics.median(blocks[True]))
            return figures
        finally:
            broker.logs.close()
