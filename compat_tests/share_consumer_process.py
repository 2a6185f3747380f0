"""A confluent-kafka ShareConsumer in a process of its own, which a test can freeze (SIGSTOP) or
kill -9 while it holds records: what a crashed or hung consumer looks like to the broker.

It acknowledges explicitly: each record it polls is printed (one JSON line: offset, value,
delivery count) and, unless it was started to ``hold`` them, accepted and committed before the
next poll; once the broker confirms the acknowledgements, their offsets are printed too
(``accepted``). Holding, it polls once and then only waits.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

from .clients import TIMEOUT

_SCRIPT = r"""
import json, sys, time
import confluent_kafka
bootstrap, group, topic, hold = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "hold"
consumer = confluent_kafka.ShareConsumer({"bootstrap.servers": bootstrap, "group.id": group,
                                          "share.acknowledgement.mode": "explicit"})
consumer.subscribe([topic])
print(json.dumps({"ready": True}), flush=True)
while True:
    messages = [m for m in consumer.poll(0.2) if m.error() is None]
    for m in messages:
        print(json.dumps({"offset": m.offset(), "value": m.value().decode(),
                          "delivery_count": m.delivery_count()}), flush=True)
    if hold and messages:
        while True:
            time.sleep(1)
    for m in messages:
        consumer.acknowledge(m)
    if messages:
        try:
            results = consumer.commit_sync(30)
        except confluent_kafka.KafkaException:
            continue
        if all(error is None for error in results.values()):
            print(json.dumps({"accepted": [m.offset() for m in messages]}), flush=True)
"""


class ShareConsumerProcess:
    def __init__(self, broker, group: str, topic: str, hold: bool = False):
        self.records: list[dict] = []
        self.accepted: list[int] = []  # offsets whose acceptance the broker confirmed, in order
        self._lock = threading.Lock()
        self._process = subprocess.Popen([sys.executable, "-c", _SCRIPT, broker.bootstrap, group, topic,
                                          "hold" if hold else "ack"],
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self._process.stdout:
            entry = json.loads(line)
            with self._lock:
                if "offset" in entry:
                    entry["confirmed_before"] = len(self.accepted)
                    self.records.append(entry)
                elif "accepted" in entry:
                    self.accepted += entry["accepted"]

    def got(self) -> list[dict]:
        with self._lock:
            return list(self.records)

    def wait_for(self, count: int, timeout: float = TIMEOUT) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.got()) < count:
            if time.monotonic() >= deadline or self._process.poll() is not None:
                raise AssertionError(f"the share consumer process got {len(self.got())} of {count} records")
            time.sleep(0.05)
        return self.got()

    def confirmed(self) -> list[int]:
        with self._lock:
            return list(self.accepted)

    def freeze(self) -> None:
        self._process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)
            self._process.kill()
        self._process.wait(TIMEOUT)
