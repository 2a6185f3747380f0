"""Log growth: append rate, ListOffsets and seek latency while one partition grows to 20 GB."""

from __future__ import annotations

import random
import shutil
import statistics
import struct
import time
from collections.abc import Iterator

from odradek.wire import ApiKey

from ..java_tools import producer_perf
from ..measurement import Measurement
from ..probes import Probe, create_topic, median_ms
from ..rounds import _progress
from ..session import Session

TITLE = "Log growth"

GB = 1 << 30
TARGET_BYTES = 20 * GB         # at scale 1
WINDOWS = 20                   # produce windows of TARGET_BYTES / WINDOWS each, probed after each
RECORD_SIZE = 1024
PERF_PROPS = {"acks": 1, "batch.size": 524288, "linger.ms": 10}
TANSU_CAP = 2 * GB             # its memory engine holds every record in RAM
FREE_RESERVE = 10 * GB         # disk left free whatever the target
PROBES = 50
SEEK_WAIT_MS = 500             # never waited out (the data is there); Tansu answers nothing with 0
TOPIC = "growth"
CREATE_DEADLINE = 60.0
METRICS = {"append MB/s": True, "ListOffsets ms": False, "ListOffsets latest ms": False, "seek ms": False}
FLATNESS = "flatness"

ABOUT = f"""\
One partition grows from empty to {TARGET_BYTES // GB} GB (GB = 2^30 bytes; `--scale` shrinks the
target) in {WINDOWS} equal windows, on one fresh broker with its default segment size and retention
(Kafka: 1 GB segments, 7 days). **One repetition per broker**: the run is long and its figures come
from {WINDOWS} windows each. Before a broker starts, the free disk space of the scratch directory is
checked and the target capped so that at least {FREE_RESERVE // GB} GB stay free (the note says so
when it happens). Tansu runs on its memory engine, which keeps every record in RAM: its target is
capped at {TANSU_CAP // GB} GB, so it has fewer windows.

Each window is written by Apache Kafka 4.3.1's `ProducerPerformance`, {RECORD_SIZE} B records,
unthrottled, `acks=1 batch.size=524288 linger.ms=10` (one JVM per window; Kafka's tool times only its
own sending). After each window, case *at N GB*:
- *append MB/s*: the tool's MB/s over that window (MiB/s, as the tool divides by 1024²);
- *ListOffsets ms*: median of {PROBES} ListOffsets requests, each for a random timestamp between the
  first record's and now (a time-index lookup into any segment);
- *ListOffsets latest ms*: median of {PROBES} ListOffsets requests for the latest offset;
- *seek ms*: median of {PROBES} Fetch requests (`min_bytes=1`, `max_bytes=1` and
  `partition_max_bytes=1`, which a broker answers with the first whole batch; `max_wait_ms={SEEK_WAIT_MS}`,
  never waited out as the data is there, because Tansu answers `max_wait_ms=0` with no records) at
  random offsets from 0 to the log end, checked to return the batch holding that offset.
Each request is timed from sending to the last byte of the answer, on one connection, decoded
afterwards (`benchmarks/probes.py`). Earlier parts of the log may still be in the page cache; the
machine has less RAM than a 20 GB log plus everything else, so the oldest segments are partly cold.

Case *{FLATNESS}*: for each metric above, with n windows and k = max(1, n // 3), the figure is
`|median(last k windows) - median(first k windows)| / median(first k windows) * 100` (%, lower is
better): how far the log's last third has drifted from its first third, each third's median
taken so that one window's hiccup (a JVM warm-up, the kernel starting writeback) does not decide
it; every window is in the table above for the whole curve. The target is within 10 for
*append MB/s* and *seek ms*. Each window's rate includes the tool's JVM
warm-up, so windows much shorter than 1 GB (`--scale` well below 1) give noisy rates and a flatness
that says little; sub-millisecond latencies also make a few hundredths of a millisecond a large %.
"""


def run(session: Session) -> list[Measurement]:
    full = int(TARGET_BYTES * session.scale)
    window = max(RECORD_SIZE, full // WINDOWS)
    measurements: list[Measurement] = []
    for name in session.brokers:
        target, notes = _target(session, name, full)
        series: list[dict[str, float]] = []
        try:
            with session.broker(name) as broker:
                for figures in grow(broker.bootstrap, target // window, window, name):
                    series.append(figures)   # kept window by window: a later failure keeps them
        except Exception as error:  # one broker failing must not end the others' measurements
            notes.append(f"failed after {len(series)} windows: {type(error).__name__}: "
                         f"{str(error).strip()[:300]}")
        note = "; ".join(notes)
        for index in range(full // window):   # every broker gets every row; a capped one has no values past its cap
            case = f"at {_size_label((index + 1) * window)}"
            for metric, higher in METRICS.items():
                values = [series[index][metric]] if index < len(series) else []
                measurements.append(Measurement("log_growth", case, name, metric, values, higher, note))
        measurements += _flatness(name, series, note)
    return measurements


def _target(session: Session, name: str, full: int) -> tuple[int, list[str]]:
    """The bytes to write to ``name``, and notes on every cap applied."""
    target, notes = full, []
    if name == "tansu" and target > TANSU_CAP:
        target = TANSU_CAP
        notes.append(f"capped at {TANSU_CAP // GB} GB: Tansu's memory engine keeps every record in RAM")
    session.scratch.mkdir(parents=True, exist_ok=True)
    room = shutil.disk_usage(session.scratch).free - FREE_RESERVE
    if target > room:
        target = max(0, room)
        notes.append(f"capped at {target / GB:.1f} GB to leave {FREE_RESERVE // GB} GB of disk free")
    return target, notes


def grow(bootstrap: str, windows: int, window: int, name: str) -> Iterator[dict[str, float]]:
    """Write ``windows`` windows of ``window`` bytes, probing after each; the figures of each window."""
    records = max(1, window // RECORD_SIZE)
    with Probe(bootstrap) as probe:
        create_topic(probe, TOPIC, 1, CREATE_DEADLINE)
        topic_id = probe.metadata([TOPIC]).topics[0].topic_id
        first_ms = int(time.time() * 1000)
        for index in range(windows):
            rate = producer_perf(bootstrap, TOPIC, records, RECORD_SIZE, **PERF_PROPS).mb_per_second
            figures = {"append MB/s": rate, **_probe_reads(probe, topic_id, first_ms)}
            _progress("log_growth", 0, name, f"at {_size_label((index + 1) * window)}", figures)
            yield figures


def _probe_reads(probe: Probe, topic_id, first_ms: int) -> dict[str, float]:
    now_ms = int(time.time() * 1000)
    by_time = [_list_offsets(probe, random.randint(first_ms, now_ms))[0] for _ in range(PROBES)]
    latest = [_list_offsets(probe, -1) for _ in range(PROBES)]
    end = latest[-1][1]
    seeks = [_seek(probe, topic_id, random.randrange(end)) for _ in range(PROBES)]
    return {"ListOffsets ms": median_ms(by_time), "ListOffsets latest ms": median_ms([t for t, _ in latest]),
            "seek ms": median_ms(seeks)}


def _list_offsets(probe: Probe, timestamp: int) -> tuple[float, int]:
    """(seconds, offset) of one ListOffsets for partition 0 at ``timestamp`` (-1: the latest)."""
    seconds, answer = probe.timed(ApiKey.LIST_OFFSETS, {
        "replica_id": -1, "isolation_level": 0, "timeout_ms": 30_000,
        "topics": [{"name": TOPIC, "partitions": [{"partition_index": 0, "timestamp": timestamp}]}]})
    part = answer.topics[0].partitions[0]
    if part.error_code:
        raise RuntimeError(f"ListOffsets at {timestamp}: error {part.error_code}")
    return seconds, part.offset


def _seek(probe: Probe, topic_id, offset: int) -> float:
    """Seconds for a Fetch at ``offset`` to return the batch holding it."""
    seconds, answer = probe.timed(ApiKey.FETCH, {
        "replica_id": -1, "max_wait_ms": SEEK_WAIT_MS, "min_bytes": 1, "max_bytes": 1, "isolation_level": 0,
        "session_id": 0, "session_epoch": -1, "forgotten_topics_data": [], "rack_id": "",
        "topics": [{"topic": TOPIC, "topic_id": topic_id, "partitions": [{
            "partition": 0, "fetch_offset": offset, "partition_max_bytes": 1}]}]})
    part = answer.responses[0].partitions[0]
    records = bytes(part.records or b"")
    if part.error_code or len(records) < 12:
        raise RuntimeError(f"Fetch at offset {offset}: error {part.error_code}, {len(records)} bytes")
    base_offset, = struct.unpack_from(">q", records)
    if base_offset > offset:
        raise RuntimeError(f"Fetch at offset {offset} returned a batch from {base_offset}")
    return seconds


def _flatness(name: str, series: list[dict[str, float]], note: str) -> list[Measurement]:
    """Per metric, how far (%) the last third's median is from the first third's."""
    found = []
    k = max(1, len(series) // 3)
    for metric in METRICS:
        values = [figures[metric] for figures in series]
        measurement = Measurement("log_growth", FLATNESS, name, f"{metric} deviation %",
                                  higher_is_better=False, note=note)
        if len(values) >= 2:
            first, last = statistics.median(values[:k]), statistics.median(values[-k:])
            measurement.values.append(abs(last - first) / first * 100)
        elif not note:
            measurement.note = "fewer than 2 windows"
        found.append(measurement)
    return found


def _size_label(size: int) -> str:
    return f"{size / GB:.3g} GB"
