"""Share-group consumers (KIP-932) in processes of their own, driven by the workload over pipes.

Each consumer is confluent-kafka's ``ShareConsumer`` with the client's defaults (implicit
acknowledgement: the records one ``poll`` returned are accepted by the next ``poll``), run as
``python -m benchmarks.share_probe MODE BOOTSTRAP TOPIC GROUP``, so that several consumers never
share a GIL. It talks in lines: commands on its stdin, reports on its stdout, times as
``time.monotonic_ns()`` (CLOCK_MONOTONIC, one clock for every process on the machine).

Joining a share group takes a broker's heartbeat interval or so (5 s by Kafka's default), and a
group reading with ``share.auto.offset.reset=latest`` (Kafka's default) only sees what is written
after its partition was first fetched. So the workload first writes small *ping* records until
every consumer has had one (each then reports ``ready``), and only then the records it measures.

- ``drain``: once ready, the consumer acknowledges its pings (``commit_sync``) and stops polling
  until ``go BASE``; the librdkafka share consumer fetches only inside ``poll``, so meanwhile it
  acquires nothing. Then it polls as fast as it can and reports each batch as ``batch TIME
  RANGES``, the offsets from BASE on as runs ``first-last``. On ``stop`` it acknowledges its last
  batch and prints one JSON line: its CPU seconds from ``go`` on, and failed acknowledgements.
- ``hold``: the consumer keeps polling. A *mark* record delivered for the first time is reported
  as ``acquired OFFSET TIME`` and then held: the consumer stops polling (so never acknowledges it)
  until told ``resume``, while its lock runs out on the broker. A mark delivered again is reported
  as ``redelivered OFFSET TIME DELIVERY_COUNT``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import select
import subprocess
import sys
import time
from pathlib import Path

from confluent_kafka import KafkaException, ShareConsumer

PING = b"ping"
MARK = b"mark"
POLL = 0.1                 # seconds a poll waits when nothing is there
STOP_WAIT = 15.0           # seconds the consumers get to close once told to stop
REPO = Path(__file__).resolve().parents[1]


# -- the consumer process -------------------------------------------------------------------------

def _consumer(bootstrap: str, group: str) -> ShareConsumer:
    return ShareConsumer({"bootstrap.servers": bootstrap, "group.id": group})


def _say(*words: object) -> None:
    print(*words, flush=True)


def _command(wait: float | None) -> str | None:
    """The next line on stdin, waiting up to ``wait`` seconds (None: for ever)."""
    ready, _, _ = select.select([sys.stdin], [], [], wait)
    if not ready:
        return None
    line = sys.stdin.readline()
    return line.strip() if line else "stop"       # the workload went away: stop


def _checked(batch) -> list:
    for message in batch:
        if message.error() is not None:
            raise KafkaException(message.error())
    return batch


def _until_first_record(consumer: ShareConsumer) -> list:
    """Poll until a record arrives (the workload writes pings meanwhile); that batch."""
    while True:
        batch = _checked(consumer.poll(POLL))
        if batch:
            return batch


def ranges(offsets: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive offsets, in the order given: [5, 6, 7, 9] -> [(5, 7), (9, 9)]."""
    runs: list[tuple[int, int]] = []
    for offset in offsets:
        if runs and offset == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], offset)
        else:
            runs.append((offset, offset))
    return runs


def drain(bootstrap: str, topic: str, group: str) -> None:
    failed: list[str] = []
    consumer = _consumer(bootstrap, group)
    consumer.set_acknowledgement_commit_callback(
        lambda offsets, error: failed.append(str(error)) if error is not None else None)
    consumer.subscribe([topic])
    try:
        _until_first_record(consumer)
        consumer.commit_sync()               # the pings, so that none waits out its lock
        _say("ready")
        command = _command(None)
        if not command.startswith("go "):
            return
        base = int(command.split()[1])
        cpu = time.process_time()
        while True:
            batch = _checked(consumer.poll(POLL))
            now = time.monotonic_ns()
            if batch:
                runs = ranges([m.offset() for m in batch if m.offset() >= base])
                if runs:
                    _say("batch", now, " ".join(f"{first}-{last}" for first, last in runs))
            if _command(0) == "stop":
                break
        consumer.commit_sync()               # the last batch
        _say(json.dumps({"cpu s": time.process_time() - cpu, "failed acknowledgements": len(failed),
                         "first failure": failed[0] if failed else None}))
    finally:
        consumer.close()


def hold(bootstrap: str, topic: str, group: str) -> None:
    consumer = _consumer(bootstrap, group)
    consumer.subscribe([topic])
    ready = False
    try:
        while True:
            batch = _checked(consumer.poll(POLL))
            now = time.monotonic_ns()
            for message in batch:
                if not message.value().startswith(MARK):
                    if not ready:
                        _say("ready")
                        ready = True
                elif message.delivery_count() == 1:
                    _say("acquired", message.offset(), now)
                    if _command(None) == "stop":    # held: no poll, so no acknowledgement
                        return
                else:
                    _say("redelivered", message.offset(), now, message.delivery_count())
            if _command(0) == "stop":
                return
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["drain", "hold"])
    parser.add_argument("bootstrap")
    parser.add_argument("topic")
    parser.add_argument("group")
    args = parser.parse_args()
    try:
        {"drain": drain, "hold": hold}[args.mode](args.bootstrap, args.topic, args.group)
    except Exception as error:
        _say(json.dumps({"error": f"{type(error).__name__}: {error}"}))


# -- the workload's side --------------------------------------------------------------------------

class ConsumerProcesses:
    """Share-probe processes, their report lines read with a deadline.

    A process told ``stop`` prints its last report and exits, and the end of its output may be
    read before the other processes' last reports: only the end of one not told to stop is an
    error."""

    def __init__(self, commands: list[list[str]]):
        self.processes = [subprocess.Popen(command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                          for command in commands]
        self._pending: dict[int, bytes] = {p.stdout.fileno(): b"" for p in self.processes}
        self._lines: list[tuple[int, str]] = []
        self._stopping: set[int] = set()

    @classmethod
    def probes(cls, mode: str, bootstrap: str, topic: str, group: str, count: int) -> "ConsumerProcesses":
        """``count`` consumers of ``group`` in ``mode`` ("drain" or "hold")."""
        return cls([[sys.executable, "-m", "benchmarks.share_probe", mode, bootstrap, topic, group]] * count)

    def send(self, index: int, command: str) -> None:
        if command == "stop":
            self._stopping.add(index)
        stdin = self.processes[index].stdin
        stdin.write(command.encode() + b"\n")
        stdin.flush()

    def send_all(self, command: str) -> None:
        for index in range(len(self.processes)):
            self.send(index, command)

    def line(self, timeout: float) -> tuple[int, str] | None:
        """(which process, its next line), or None once ``timeout`` seconds passed without one.
        A process that reports an error raises it here."""
        deadline = time.monotonic() + timeout
        while not self._lines:
            left = deadline - time.monotonic()
            if left <= 0 or not self._pending:
                return None
            readable, _, _ = select.select(list(self._pending), [], [], left)
            for fd in readable:
                self._read(fd)
        index, text = self._lines.pop(0)
        if text.startswith('{"error"'):
            raise RuntimeError(f"share consumer {index + 1}: {json.loads(text)['error']}")
        return index, text

    def _read(self, fd: int) -> None:
        data = os.read(fd, 1 << 16)
        index = next(i for i, p in enumerate(self.processes) if p.stdout.fileno() == fd)
        if not data:
            del self._pending[fd]
            code = self.processes[index].wait()
            reported = any(i == index and text.startswith('{"error"') for i, text in self._lines)  # raised first
            if index not in self._stopping and not reported:
                raise RuntimeError(f"share consumer {index + 1} exited ({code}) unexpectedly")
            return
        *complete, self._pending[fd] = (self._pending[fd] + data).split(b"\n")
        self._lines += [(index, line.decode()) for line in complete]

    def close(self) -> None:
        """End of input tells each consumer to stop (and leave its group); one that does not
        within ``STOP_WAIT`` is killed."""
        for process in self.processes:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        deadline = time.monotonic() + STOP_WAIT
        for process in self.processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()

    def __enter__(self) -> "ConsumerProcesses":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class OffsetTally:
    """Which of ``count`` offsets from ``base`` on were delivered, and how many more than once."""

    def __init__(self, base: int, count: int):
        self.base, self.count = base, count
        self._seen = bytearray(count)
        self.distinct = self.duplicates = self.outside = 0

    def add(self, first: int, last: int) -> None:
        for offset in range(first, last + 1):
            index = offset - self.base
            if not 0 <= index < self.count:
                self.outside += 1
            elif self._seen[index]:
                self.duplicates += 1
            else:
                self._seen[index] = 1
                self.distinct += 1

    @property
    def complete(self) -> bool:
        return self.distinct == self.count


def parse_ranges(text: str) -> list[tuple[int, int]]:
    """``"5-7 9-9"`` -> [(5, 7), (9, 9)], as ``drain`` reports a batch."""
    return [(int(first), int(last)) for first, last in (part.split("-") for part in text.split())]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, as the latency workload takes them."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


if __name__ == "__main__":
    main()
