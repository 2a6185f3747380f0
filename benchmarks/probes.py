"""Single requests timed on the wire, through odradek's own codecs, against any broker.

A probe times from the first byte sent to the last byte of the answer read: decoding the answer
happens afterwards, so a large answer (Metadata for 10K partitions) measures the broker, not
Construct. Requests go one at a time on one blocking connection, as a client's first lookup would.
"""

from __future__ import annotations

import itertools
import socket
import statistics
import time
from collections.abc import Mapping

from construct import Container

from odradek.tools.client.cluster import parse_bootstrap
from odradek.tools.client.connection import shared_versions
from odradek.wire import ApiKey, ErrorCode, FrameSplitter, encode_request, parse_response

_API_VERSIONS_VERSION = 3
_MAX_FRAME = 1 << 30
STEP_PARTITIONS = 5_000     # partitions per operation for a broker that refuses larger ones


class Probe:
    """One connection with the API versions both sides speak; ``timed`` sends one request."""

    def __init__(self, bootstrap: str, timeout: float = 30.0, client_id: str = "odradek-bench"):
        host, port = parse_bootstrap(bootstrap)[0]
        self.client_id = client_id
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._splitter = FrameSplitter(_MAX_FRAME)
        self._frames: list[bytes] = []
        self._ids = itertools.count(1)
        _, answer = self.timed(ApiKey.API_VERSIONS, {"client_software_name": "odradek-bench",
                                                     "client_software_version": "0.1.0"},
                               version=_API_VERSIONS_VERSION)
        # every API the broker lists, including those our codecs do not know
        self.advertised = {entry.api_key: (entry.min_version, entry.max_version) for entry in answer.api_keys}
        self.versions = shared_versions(self.advertised)

    def timed(self, api_key: int, body: Mapping, version: int | None = None) -> tuple[float, Container]:
        """(seconds from sending to the answer's last byte, the decoded answer)."""
        if version is None:
            version = self.versions[api_key]
        correlation_id = next(self._ids)
        request = encode_request(api_key, version, correlation_id, self.client_id, body)
        start = time.perf_counter()
        self._sock.sendall(request)
        frame = self._read_frame()
        elapsed = time.perf_counter() - start
        got, answer = parse_response(api_key, version, frame)
        if got != correlation_id:
            raise ConnectionError(f"answer to request {got}, expected {correlation_id}")
        return elapsed, answer

    def request(self, api_key: int, body: Mapping) -> Container:
        return self.timed(api_key, body)[1]

    def metadata(self, topics: list[str] | None) -> Container:
        return self.request(ApiKey.METADATA, metadata_body(topics))

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> "Probe":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read_frame(self) -> bytes:
        while not self._frames:
            data = self._sock.recv(1 << 20)
            if not data:
                raise ConnectionError("the broker closed the connection")
            self._frames.extend(self._splitter.feed(data))
        return self._frames.pop(0)


def metadata_body(topics: list[str] | None) -> dict:
    return {"topics": None if topics is None else [{"name": name} for name in topics],
            "allow_auto_topic_creation": False, "include_topic_authorized_operations": False}


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000.0


def create_topic(probe: Probe, name: str, partitions: int, deadline_seconds: float) -> float:
    """Seconds from sending CreateTopics until Metadata shows every partition with a leader.

    A broker that refuses the operation as too large (Kafka's controller caps one operation at
    10,000 records, a topic of 10K partitions needs 10,001) gets the topic in steps: created with
    ``STEP_PARTITIONS``, then grown by CreatePartitions, all within the same clock. Metadata is
    asked again every 50 ms; ``TimeoutError`` past the deadline, saying how far it got.
    """
    start = time.perf_counter()
    timeout_ms = int(deadline_seconds * 1000)
    error, message = _create(probe, name, partitions, timeout_ms)
    if error == ErrorCode.POLICY_VIOLATION and partitions > STEP_PARTITIONS:
        error, message = _create(probe, name, STEP_PARTITIONS, timeout_ms)
        for count in range(2 * STEP_PARTITIONS, partitions + STEP_PARTITIONS, STEP_PARTITIONS):
            if not error:
                error, message = _grow(probe, name, min(count, partitions), timeout_ms)
    if error:
        raise RuntimeError(f"creating {name} with {partitions} partitions: error {error} {message or ''}")
    led = 0
    while time.perf_counter() - start < deadline_seconds:
        topic = probe.metadata([name]).topics[0]
        led = sum(1 for p in topic.partitions if p.error_code == 0 and p.leader_id >= 0)
        if topic.error_code == 0 and led == partitions:
            return time.perf_counter() - start
        time.sleep(0.05)
    raise TimeoutError(f"{name}: {led} of {partitions} partitions had a leader after {deadline_seconds:.0f} s")


def _create(probe: Probe, name: str, partitions: int, timeout_ms: int) -> tuple[int, str | None]:
    result = probe.request(ApiKey.CREATE_TOPICS, {"topics": [{
        "name": name, "num_partitions": partitions, "replication_factor": 1, "assignments": [],
        "configs": []}], "timeout_ms": timeout_ms, "validate_only": False}).topics[0]
    return result.error_code, result.error_message


def _grow(probe: Probe, name: str, count: int, timeout_ms: int) -> tuple[int, str | None]:
    result = probe.request(ApiKey.CREATE_PARTITIONS, {"topics": [{"name": name, "count": count, "assignments": None}],
                                                      "timeout_ms": timeout_ms, "validate_only": False}).results[0]
    return result.error_code, result.error_message
