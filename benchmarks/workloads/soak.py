"""Soak: good clients beside a hostile mix for 30 minutes; RSS, open files, loop lag and p99 over time."""

from __future__ import annotations

import os
import statistics
import time
import urllib.request
from pathlib import Path

from ..brokers.process import free_port
from ..confluent_load import create_topic
from ..measurement import Measurement
from ..session import Session
from ..soak_clients import ADMIN_EVERY, CONSUMERS, PRODUCE_RATE, TRANSACTION_RECORDS, GoodClients, read_back
from ..soak_hostile import FLOOD_BURST, PARTIAL_CONNECTIONS, PARTIAL_SENT, PIPELINE_EVERY, PIPELINED, \
    SLOWLORIS_CONNECTIONS, SOURCE, Hostile
from ..soak_samples import LAG_COUNT, LAG_LAST, LAG_SUM, LIMITS, broker_counts, loop_lag_ms, metric_values, p99, \
    status_field_kb, verdict

TITLE = "Soak under hostile load"

DURATION = 1800.0             # seconds at scale 1
MIN_DURATION = 60.0
SAMPLE_EVERY = 5.0            # seconds
MB = 1024 * 1024
MAX_REQUEST = 10 * MB
POOL = 50 * MB
PER_IP = 40                   # connections the hostile address may hold
IDLE_MS = 10_000
TOPIC, TX_TOPIC, PARTITIONS = "soak", "soak-tx", 3
OVER_TIME, BY_QUARTER, TOTALS, FLATNESS = "over time", "by quarter", "totals", "flatness"
SERIES = ["elapsed s", "RSS MB", "open files", "loop lag ms", "produce p99 ms", "machine load"]
OVERRIDES = {"queued.max.request.bytes": POOL, "socket.request.max.bytes": MAX_REQUEST,
             "max.connections.per.ip.overrides": f"{SOURCE}:{PER_IP}", "connections.max.idle.ms": IDLE_MS}

ABOUT = f"""\
odradek only (the issue's soak; the other brokers are not run). One broker started with
`queued.max.request.bytes={POOL // MB} MB`, `socket.request.max.bytes={MAX_REQUEST // MB} MB`,
`max.connections.per.ip.overrides={SOURCE}:{PER_IP}` (the hostile clients' address) and
`connections.max.idle.ms={IDLE_MS}`, runs for {DURATION / 60:.0f} minutes (`--scale` shrinks it, at
least {MIN_DURATION:.0f} s). **One repetition.**

Good clients (confluent-kafka, threads of the suite's process, from 127.0.0.1): an idempotent `acks=all`
producer at {PRODUCE_RATE} records/s of 200 B to a {PARTITIONS}-partition topic, {CONSUMERS} consumers in
one group reading it, a transactional producer committing a {TRANSACTION_RECORDS}-record transaction
every second, and an admin client listing topics and groups every {ADMIN_EVERY:.0f} s. Hostile clients
(raw sockets from {SOURCE}, `benchmarks/soak_hostile.py`): {PARTIAL_CONNECTIONS} connections that
announce a {MAX_REQUEST // MB - 2} MB request, send {PARTIAL_SENT // MB} MB of it and stall (reopened when the
broker closes them), a 100 MB frame every 10 s, a burst of {FLOOD_BURST} connections every 3 s (beyond the
per-IP limit), 4 KB of random bytes as a request every 0.5 s, a reader pipelining 2,000 Fetch
requests for 1 MB answers without reading any, {SLOWLORIS_CONNECTIONS} slowloris connections each sending
an ApiVersions request one byte a second, and every {PIPELINE_EVERY:.0f} s a connection that sends
{PIPELINED} ApiVersions/Metadata requests at once, reads nothing and hangs up (every other one with a reset).

Every {SAMPLE_EVERY:.0f} s (case *{OVER_TIME}*; each cell is the median over the samples, their number in
parentheses): the broker's RSS (`/proc/<pid>/status`), its open files (`/proc/<pid>/fd`), the mean
event-loop lag between two scrapes of `/metrics` (`odradek_event_loop_lag_seconds` sum ÷ count), and the
p99 of the good producer's latencies (`produce` call to delivery report) in that window (a window
without one acknowledgement counts as the window's length), and the machine's 1-minute load average
(`/proc/loadavg`: the suite shares its machine).

Case *{BY_QUARTER}*: each of those figures' median over each quarter of the run (Q1 holds the warm-up).

Case *{FLATNESS}*: a figure is flat when the median of its last quarter of samples is at most
{LIMITS['RSS MB'].percent:g} % (RSS, or +{LIMITS['RSS MB'].slack:g} MB) / {LIMITS['produce p99 ms'].percent:g} %
(p99, or +{LIMITS['produce p99 ms'].slack:g} ms) above its second quarter's. The second quarter, not the
first, because the first holds the warm-up (pool first filled, group joined, allocator grown); medians,
so one pause on a shared machine does not decide; only growth fails, since a leak or a slowing broker
grows. Case *{TOTALS}*: what the clients did, and the broker's own counts at the end (`/metrics`:
connections refused and closed, by reason); every acknowledged record must be read back at the end.
"""


def run(session: Session) -> list[Measurement]:
    duration = max(MIN_DURATION, DURATION * session.scale)
    metrics_port = free_port()
    with session.broker("odradek", {**OVERRIDES, "metrics.port": metrics_port}) as broker:
        create_topic(broker.bootstrap, TOPIC, PARTITIONS)
        create_topic(broker.bootstrap, TX_TOPIC, 1)
        sampler = Sampler(broker.pid, f"http://127.0.0.1:{metrics_port}/metrics")
        with GoodClients(broker.bootstrap, TOPIC, TX_TOPIC) as good, \
                Hostile(broker.port, MAX_REQUEST - 2 * MB, TOPIC) as hostile:
            started = time.monotonic()
            next_sample = started + SAMPLE_EVERY
            while time.monotonic() < started + duration:
                time.sleep(max(0.0, next_sample - time.monotonic()))
                next_sample += SAMPLE_EVERY
                sample = sampler.sample(time.monotonic() - started, good.take_latencies())
                print(f"[soak] {', '.join(f'{k} {v:.3g}' for k, v in sample.items() if v is not None)}",
                      flush=True)
            good.stop()
        totals = dict(good.counts)
        totals["read back"] = read_back(broker.bootstrap, TOPIC)
        totals["transactional records read back"] = read_back(broker.bootstrap, TX_TOPIC, committed_only=True)
        totals.update({f"hostile: {k}": v for k, v in hostile.counts.items()})
        totals.update(sampler.broker_counts())
    errors = good.errors + hostile.errors
    return measurements(sampler.series, totals, errors)


class Sampler:
    """One row of figures every call: the broker's process and metrics, the producer's p99."""

    def __init__(self, pid: int, metrics_url: str):
        self.pid = pid
        self.metrics_url = metrics_url
        self.series: dict[str, list[float | None]] = {name: [] for name in SERIES}
        self._scrape = self._metrics()

    def _metrics(self) -> dict[str, float]:
        with urllib.request.urlopen(self.metrics_url, timeout=10) as answer:
            return metric_values(answer.read().decode(), {LAG_SUM, LAG_COUNT, LAG_LAST})

    def broker_counts(self) -> dict[str, int]:
        with urllib.request.urlopen(self.metrics_url, timeout=10) as answer:
            return broker_counts(answer.read().decode())

    def sample(self, elapsed: float, latencies: list[float]) -> dict[str, float | None]:
        scrape = self._metrics()
        worst = p99(latencies)
        row = {"elapsed s": elapsed,
               "RSS MB": status_field_kb(Path(f"/proc/{self.pid}/status").read_text()) / 1024,
               "open files": float(len(os.listdir(f"/proc/{self.pid}/fd"))),
               "loop lag ms": loop_lag_ms(self._scrape, scrape),
               # a window without one acknowledgement: its p99 is at least the window
               "produce p99 ms": SAMPLE_EVERY * 1000 if worst is None else worst * 1000,
               # the shared machine's 1-minute load average: what the p99 and loop lag ran beside
               "machine load": float(Path("/proc/loadavg").read_text().split()[0])}
        self._scrape = scrape
        for name, value in row.items():
            self.series[name].append(value)
        return row


def measurements(series: dict[str, list[float | None]], totals: dict[str, int],
                 errors: list[str]) -> list[Measurement]:
    """The table's rows: every sample, the flatness verdicts (their text in the note), the totals."""
    found = [Measurement("soak", OVER_TIME, "odradek", name, [v for v in values if v is not None],
                         higher_is_better=False) for name, values in series.items()]
    found += quarter_rows(series)
    for name, limit in LIMITS.items():
        values = [v for v in series.get(name, []) if v is not None]
        row = Measurement("soak", FLATNESS, "odradek", f"{name.rsplit(' ', 1)[0]} drift %", higher_is_better=False)
        if len(values) >= 4:
            judged = verdict(values, limit)
            row.values.append(judged.drift_percent)
            row.note = f"{name}: {judged.describe(name.split()[-1])}"
        else:
            row.note = f"{name}: fewer than 4 samples"
        found.append(row)
    lost = totals.get("acknowledged", 0) - totals.get("read back", 0)
    read = "all" if lost == 0 else f"{lost} missing" if lost > 0 else f"all, and {-lost} more (written, not acknowledged)"
    notes = [f"acknowledged records read back: {read}"]
    notes += [f"client error: {error}"[:300] for error in errors]
    for index, (name, count) in enumerate(sorted(totals.items())):
        found.append(Measurement("soak", TOTALS, "odradek", name, [float(count)], higher_is_better=True,
                                 note="; ".join(notes) if index == 0 else ""))
    return found


def quarter_rows(series: dict[str, list[float | None]]) -> list[Measurement]:
    """Each sampled figure's median in each quarter of the run (Q1 holds the warm-up), in time order."""
    rows = []
    for name in SERIES[1:]:
        values = series.get(name, [])
        n = len(values)
        if n < 4:
            continue
        for quarter in range(4):
            part = [v for v in values[quarter * n // 4:(quarter + 1) * n // 4] if v is not None]
            if part:
                rows.append(Measurement("soak", BY_QUARTER, "odradek", f"{name}, Q{quarter + 1} median",
                                        [statistics.median(part)], higher_is_better=False))
    return rows


def charts(measurements: list[Measurement], out_dir: Path) -> list[Path]:
    """``soak-timeline.png``: each sampled figure over time, its second and last quarters shaded."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    series = {m.metric: m.values for m in measurements if m.case == OVER_TIME}
    elapsed = [t / 60 for t in series.get("elapsed s", [])]
    shown = [name for name in SERIES[1:] if len(series.get(name, [])) == len(elapsed) and elapsed]
    if not shown:
        return []
    figure, axes = pyplot.subplots(len(shown), 1, figsize=(9, 2.4 * len(shown)), sharex=True, squeeze=False)
    n = len(elapsed)
    for ax, name in zip(axes.flat, shown):
        ax.plot(elapsed, series[name], color="#2a7ab0", linewidth=1)
        for start, end in ((n // 4, n // 2 - 1), (n - n // 4, n - 1)):
            if n >= 4:
                ax.axvspan(elapsed[start], elapsed[end], color="#cccccc", alpha=0.4)
                ax.hlines(statistics.median(series[name][start:end + 1]), elapsed[start], elapsed[end],
                          color="#d9822b", linewidth=2)
        ax.set_ylabel(name, fontsize=9)
        if name.endswith(" ms") and min(series[name]) > 0:
            ax.set_yscale("log")    # one slow window (the first, connecting) would flatten the rest
        else:
            ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=8)
    axes.flat[0].set_title("odradek soak: shaded, the second and last quarters; orange, their medians",
                           fontsize=10)
    axes.flat[-1].set_xlabel("minutes", fontsize=9)
    figure.tight_layout()
    path = out_dir / "soak-timeline.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return [path]
