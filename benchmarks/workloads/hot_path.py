"""What one request costs odradek's CPU, measured in-process: the codecs alone and whole requests.

The other workloads time clients and brokers together; this one isolates the broker's own share
per request, so a profile has numbers to start from. It runs odradek only (the others' internals
cannot be timed this way), in this process, with no network: a request frame is handed to the
broker's ``dispatch`` exactly as a connection hands it over, and the answer is encoded in full.
"""

from __future__ import annotations

import statistics
import tempfile
import time

import trio

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.dispatch import dispatch
from odradek.server.handlers.topic_lookup import NO_TOPIC_ID  # the zero UUID: fetch by name
from odradek.storage.log_slice import LogSlice
from odradek.wire import ApiKey, encode_request, encode_response_chunks, parse_request
from odradek.wire.protocol import RequestHeader
from odradek.wire.records import Record, build_batch

from ..measurement import Measurement
from ..session import Session

TITLE = "Hot path: broker CPU per request"

PRODUCE_VERSION = 11
FETCH_VERSION = 15
METADATA_VERSION = 12
REPEATS = 7  # timing runs; the median is kept

ABOUT = f"""\
odradek only, in one process, no sockets: microseconds of CPU per request (lower is better),
the median of {REPEATS} timed runs of many calls each.

- **parse** / **encode**: the Construct codecs generated from the schema tables, alone
  (Produce v{PRODUCE_VERSION} and Fetch v{FETCH_VERSION} requests parsed, Fetch and Metadata
  v{METADATA_VERSION} responses encoded).
- **dispatch**: a whole request as a connection hands it over: parse, handler (for Produce:
  CRC check, offsets assigned, `writev` to the segment file), response encoded. The Produce batch
  holds 1,000 records of 100 B, as a perf-test batch of `batch.size=131072` would.

At 1M records/s in batches of 1,000 the broker handles 1,000 Produce requests a second, so
*dispatch µs × 1,000* is the share of one core it spends on them.
"""


def run(session: Session) -> list[Measurement]:
    figures = _measure_all()
    return [Measurement("hot_path", case, "odradek", "µs per request", [value], higher_is_better=False)
            for case, value in figures.items()]


def _measure_all() -> dict[str, float]:
    batch = build_batch([Record(i, 0, None, bytes(100)) for i in range(1000)],
                        base_timestamp=int(time.time() * 1000))
    figures = {}
    for partitions in (1, 100):
        frame = _produce_frame("hot", partitions, batch)[4:]
        figures[f"parse Produce, {partitions} partition(s) x 1,000 records"] = _time(
            lambda: parse_request(frame))
    for partitions in (1, 1000):
        frame = _fetch_frame("hot", partitions)[4:]
        figures[f"parse Fetch, {partitions} partition(s)"] = _time(lambda: parse_request(frame))
        header = RequestHeader(ApiKey.FETCH, FETCH_VERSION, 1, "bench")
        body = _fetch_response("hot", partitions, LogSlice(fd=-1, position=0, size=len(batch)))
        figures[f"encode Fetch response, {partitions} partition(s)"] = _time(
            lambda: encode_response_chunks(header, body))
    with tempfile.TemporaryDirectory() as data_dir:
        figures.update(trio.run(_dispatch_figures, data_dir, batch))
    return figures


async def _dispatch_figures(data_dir: str, batch: bytes) -> dict[str, float]:
    broker = Broker(BrokerConfig.load(data_dir=data_dir, overrides=[]))
    broker.logs.startup()
    try:
        broker.logs.create_topic("hot", 1)
        broker.logs.create_topic("wide", 10_000)
        produce = _produce_frame("hot", 1, batch)[4:]
        fetch = _fetch_frame("hot", 1)[4:]
        metadata = encode_request(ApiKey.METADATA, METADATA_VERSION, 1, "bench",
                                  {"topics": [{"name": "wide"}]})[4:]
        return {
            "dispatch Produce, 1 partition x 1,000 records": await _atime(
                lambda: dispatch(broker, produce, "bench", "PLAINTEXT")),
            "dispatch Fetch, 1 partition (from offset 0)": await _atime(
                lambda: dispatch(broker, fetch, "bench", "PLAINTEXT")),
            "dispatch Metadata, 1 topic of 10,000 partitions": await _atime(
                lambda: dispatch(broker, metadata, "bench", "PLAINTEXT"), calls=5),
        }
    finally:
        broker.logs.close()


def _produce_frame(topic: str, partitions: int, batch: bytes) -> bytes:
    return encode_request(ApiKey.PRODUCE, PRODUCE_VERSION, 1, "bench", {
        "acks": 1, "timeout_ms": 30000,
        "topic_data": [{"name": topic, "partition_data": [
            {"index": index, "records": batch} for index in range(partitions)]}]})


def _fetch_frame(topic: str, partitions: int) -> bytes:
    return encode_request(ApiKey.FETCH, FETCH_VERSION, 1, "bench", {
        "replica_state": {"replica_id": -1}, "max_wait_ms": 0, "min_bytes": 1,
        "max_bytes": 52428800, "isolation_level": 0,
        "topics": [{"topic_id": NO_TOPIC_ID, "topic": topic, "partitions": [
            {"partition": index, "fetch_offset": 0, "partition_max_bytes": 1048576}
            for index in range(partitions)]}]})


def _fetch_response(topic: str, partitions: int, records: LogSlice) -> dict:
    """As the Fetch handler answers: each partition's batches a slice of its segment file, which
    the encoder leaves out for ``sendfile``."""
    return {"throttle_time_ms": 0, "error_code": 0, "session_id": 0, "responses": [
        {"topic": topic, "partitions": [
            {"partition_index": index, "error_code": 0, "high_watermark": 1000,
             "last_stable_offset": 1000, "log_start_offset": 0, "records": records}
            for index in range(partitions)]}]}


def _time(call, calls: int = 0) -> float:
    calls = calls or _calls_for(call)
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        runs.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(runs)


async def _atime(make, calls: int = 200) -> float:
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(calls):
            await make()
        runs.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(runs)


def _calls_for(call) -> int:
    """Enough calls for a run of about 50 ms."""
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-6)
    return max(1, min(10_000, int(0.05 / once)))
