"""Kafka's own perf tools (ProducerPerformance, ConsumerPerformance) run as their scripts run them.

The jars are the compat tests' Maven set (``compat_tests/java/pom.xml``, fetched on first use). The
JVM options are those ``kafka-producer-perf-test.sh`` / ``kafka-consumer-perf-test.sh`` give through
``kafka-run-class.sh`` (512 MB heap, G1), not the compat tests' quick-start flags, which slow the JIT.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from compat_tests.java.jars import classpath

PRODUCER_PERF = "org.apache.kafka.tools.ProducerPerformance"
CONSUMER_PERF = "org.apache.kafka.tools.ConsumerPerformance"
PERF_JVM_OPTIONS = ["-Xmx512M", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                    "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
                    "-Djava.awt.headless=true"]


def run_java(main_class: str, *args: str, timeout: float = 600.0) -> str:
    """Run a Kafka tool class to its end and return its stdout; a non-zero exit raises."""
    return _run_java(main_class, *args, timeout=timeout).stdout


def _run_java(main_class: str, *args: str, timeout: float) -> subprocess.CompletedProcess:
    command = ["java", *PERF_JVM_OPTIONS, "-cp", classpath(), main_class, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{main_class} {' '.join(args)} exited {done.returncode}:\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


@dataclass
class ProducerPerfResult:
    records_per_second: float
    mb_per_second: float
    avg_latency_ms: float
    p50_ms: float
    p99_ms: float
    p999_ms: float


def producer_perf(bootstrap: str, topic: str, records: int, size: int,
                  throughput: int = -1, **props: object) -> ProducerPerfResult:
    """``kafka-producer-perf-test`` with its non-deprecated options (4.x): producer settings go
    through ``--command-property k=v ...``, the broker through ``--bootstrap-server``."""
    args = ["--bootstrap-server", bootstrap, "--topic", topic, "--num-records", str(records),
            "--record-size", str(size), "--throughput", str(throughput)]
    if props:
        args += ["--command-property", *_properties(props)]
    out = run_java(PRODUCER_PERF, *args)
    final = [line for line in out.splitlines() if "records sent" in line and "50th" in line][-1]
    fields = [part.strip() for part in final.split(",")]
    number = lambda text: float(text.split()[0])  # noqa: E731 - "123.4 ms avg latency" -> 123.4
    return ProducerPerfResult(
        records_per_second=number(fields[1]),
        mb_per_second=float(fields[1].split("(")[1].split()[0]),
        avg_latency_ms=number(fields[2]),
        p50_ms=number(fields[4]), p99_ms=number(fields[6]), p999_ms=number(fields[7]),
    )


@dataclass
class ConsumerPerfResult:
    records_per_second: float        # over the fetch time, rebalance excluded
    mb_per_second: float             # likewise
    records: int
    rebalance_ms: float


def consumer_perf(bootstrap: str, topic: str, records: int, timeout_ms: int = 30000,
                  **props: object) -> ConsumerPerfResult:
    """``kafka-consumer-perf-test``: consume ``records`` from the start of ``topic`` in a new group."""
    args = ["--bootstrap-server", bootstrap, "--topic", topic, "--num-records", str(records),
            "--timeout", str(timeout_ms)]
    if props:
        args += ["--command-property", *_properties(props)]
    done = _run_java(CONSUMER_PERF, *args, timeout=600.0)
    values = _consumer_perf_figures(done.stdout)
    if values is None:  # it can exit 0 having printed nothing: say so rather than record garbage
        said = [line.strip() for line in done.stdout.splitlines() if line.startswith(("WARNING", "ERROR"))]
        raise RuntimeError(f"ConsumerPerformance printed no result line: {' '.join(said)[:200] or 'nothing'} "
                           f"(stdout: {done.stdout[-500:]!r}; stderr: {done.stderr[-1500:]!r})")
    return ConsumerPerfResult(
        records_per_second=float(values["fetch.nMsg.sec"]),
        mb_per_second=float(values["fetch.MB.sec"]),
        records=int(values["data.consumed.in.nMsg"]),
        rebalance_ms=float(values["rebalance.time.ms"]),
    )


def _properties(props: dict[str, object]) -> list[str]:
    """``batch_size=262144`` -> ``batch.size=262144``: Python keywords stand for dotted Kafka names."""
    return [f"{key.replace('_', '.')}={value}" for key, value in props.items()]


def _consumer_perf_figures(out: str) -> dict[str, str] | None:
    """ConsumerPerformance's result (its header line naming ``fetch.nMsg.sec`` and the line after
    it) as a dict, or None if it printed none; a WARNING it prints before is ignored."""
    lines = [line for line in out.splitlines() if line.strip()]
    for index, line in enumerate(lines[:-1]):
        if "fetch.nMsg.sec" in line and "data.consumed.in.nMsg" in line:
            header = [name.strip() for name in line.split(",")]
            values = [value.strip() for value in lines[index + 1].split(",")]
            if len(values) == len(header):
                return dict(zip(header, values))
    return None
