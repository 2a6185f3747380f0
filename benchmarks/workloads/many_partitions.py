"""Many partitions (1K and 10K in one topic) and many connections (1K idle ones beside a load)."""

from __future__ import annotations

import functools
import time

from odradek.wire import ApiKey

from ..idle_connections import IdleConnections
from ..java_tools import consumer_perf, producer_perf
from ..measurement import Measurement
from ..probes import Probe, create_topic, median_ms, metadata_body
from ..rounds import Case, run_cases
from ..session import Session

TITLE = "Many partitions and many connections"

PARTITION_COUNTS = [1_000, 10_000]
RECORDS = 2_000_000            # at scale 1, for every produce in this workload
RECORD_SIZE = 100
PERF_PROPS = {"acks": 1, "batch.size": 262144, "linger.ms": 10}
CREATE_DEADLINE = 300.0        # seconds for CreateTopics until every partition has a leader
METADATA_PROBES = 20
FETCH_PROBES = 20
CONSUME_TIMEOUT_MS = 120_000   # ConsumerPerformance's --timeout: 10K partitions take long to be assigned
IDLE_CONNECTIONS = 1_000
OPEN_DEADLINE = 300.0          # seconds to open all idle connections
MB = 1e6

PARTITION_METRICS = {"create s": False, "produce records/s": True, "consume records/s": True,
                     "Metadata ms": False, "full Fetch ms": False, "idle Fetch ms": False}
CONNECTIONS_TOPIC = "connections"
QUIET = "1 partition, no idle connections"
CROWDED = f"1 partition, {IDLE_CONNECTIONS:,} idle connections"

ABOUT = f"""\
**Many partitions.** One fresh broker per case and round; one topic with 1,000 or 10,000 partitions
(replication factor 1). *create s*: from sending CreateTopics until a Metadata answer for the topic
(asked every 50 ms) shows every partition with a leader, at most {CREATE_DEADLINE:.0f} s. Apache
Kafka refuses 10,000 partitions in one CreateTopics (POLICY_VIOLATION, "excessively large batch
operation": its controller caps one operation at 10,000 records); a broker that answers so gets the
topic in steps of 5,000 (CreateTopics, then CreatePartitions), timed on the same clock. Then
Apache Kafka 4.3.1's `ProducerPerformance` writes {RECORDS:,} records of {RECORD_SIZE} B at full
scale, unthrottled, `acks=1 batch.size=262144 linger.ms=10` (the same for every broker; no keys, so
Kafka 4's default partitioner spreads batches over all partitions): *produce records/s* is the tool's
own figure. `ConsumerPerformance` then reads them all back in a new group (subscribe, so the group
assigns all partitions): *consume records/s* is its fetch-time rate, rebalance excluded. *Metadata
ms* is the median of {METADATA_PROBES} Metadata requests for that topic, each timed from sending
to the last byte of the answer on one connection (decoding afterwards, so the client's parsing of
10K partitions is not counted). *full Fetch ms* and *idle Fetch ms* are Fetch round trips on one
connection with nothing new to read (every partition asked for at its end offset, `max_wait_ms=0`),
medians of {FETCH_PROBES}: a full fetch naming every partition (sessionless, as a fetch without a
KIP-227 session), and an incremental fetch in a session that a full fetch opened, naming nothing and
answered with nothing (a broker that opens no session gets the full figure here too).

**Many connections.** One fresh broker per round; a 1-partition topic. First the same
`ProducerPerformance` load with no other client connected (*{QUIET}*), and the broker's RSS after
it. Then {IDLE_CONNECTIONS:,} client connections are opened one after another, each doing a real
ApiVersions (v3) and Metadata exchange for the topic and then staying silent (*open s* is the time
to open them all, *RSS MB* the broker's resident memory with them open), and with them held open
the same load runs again (*{CROWDED}*). The idle count does not shrink with `--scale`; record
counts do.
"""


def run(session: Session) -> list[Measurement]:
    records = session.scaled(RECORDS, minimum=10_000)
    measurements = []
    for partitions in PARTITION_COUNTS:   # a fresh broker per count: 10K must not weigh on 1K
        case = Case(f"{partitions:,} partitions", PARTITION_METRICS,
                    functools.partial(_many_partitions, partitions=partitions, records=records))
        measurements += run_cases(session, "many_partitions", [case])
    return measurements + _many_connections(session, records)


def _many_partitions(bootstrap: str, *, partitions: int, records: int) -> dict[str, float]:
    topic = f"partitions-{partitions}"
    with Probe(bootstrap, timeout=CREATE_DEADLINE) as probe:  # a CreateTopics answer may take long
        created = create_topic(probe, topic, partitions, CREATE_DEADLINE)
    await_leaders(bootstrap, topic, partitions, CREATE_DEADLINE)
    produced = producer_perf(bootstrap, topic, records, RECORD_SIZE, **PERF_PROPS)
    consumed = consumer_perf(bootstrap, topic, records, timeout_ms=CONSUME_TIMEOUT_MS)
    if consumed.records < records:
        raise RuntimeError(f"ConsumerPerformance read {consumed.records} of {records} records")
    full_fetch, idle_fetch = fetch_ms(bootstrap, topic)
    return {"create s": created, "produce records/s": produced.records_per_second,
            "consume records/s": consumed.records_per_second, "Metadata ms": metadata_ms(bootstrap, topic),
            "full Fetch ms": full_fetch, "idle Fetch ms": idle_fetch}


def await_leaders(bootstrap: str, topic: str, partitions: int, deadline_seconds: float) -> None:
    """Return once a Metadata answer shows every partition of ``topic`` with a leader, as the
    producer will need (Kafka once left 5,000 of 10,000 without one after creating them); raise,
    saying how many had one, past the deadline, rather than measure a half-led topic."""
    start = time.perf_counter()
    with Probe(bootstrap, timeout=deadline_seconds) as probe:
        while True:
            described = probe.metadata([topic]).topics[0]
            led = sum(1 for p in described.partitions if p.error_code == 0 and p.leader_id >= 0)
            if described.error_code == 0 and led == partitions:
                return
            if time.perf_counter() - start > deadline_seconds:
                raise TimeoutError(f"{topic}: {led} of {partitions} partitions had a leader before producing "
                                   f"(waited {deadline_seconds:.0f} s)")
            time.sleep(0.1)


def fetch_ms(bootstrap: str, topic: str) -> tuple[float, float]:
    """(full, idle) Fetch times for every partition of ``topic``, at its end (nothing to read):
    the median of FETCH_PROBES full fetches that name every partition (sessionless, epoch -1), and
    of FETCH_PROBES incremental ones in a session opened by a full fetch, which name nothing. A
    broker without fetch sessions answers the full fetch with session id 0, and then the idle
    figure is the full one's."""
    with Probe(bootstrap) as probe:
        [described] = probe.metadata([topic]).topics
        indexes = [p.partition_index for p in described.partitions]
        ends = probe.request(ApiKey.LIST_OFFSETS, {"replica_id": -1, "isolation_level": 0, "topics": [
            {"name": topic, "partitions": [{"partition_index": i, "timestamp": -1} for i in indexes]}]})
        offsets = {p.partition_index: p.offset for p in ends.topics[0].partitions}
        parts = [{"partition": i, "fetch_offset": offsets[i], "partition_max_bytes": 1 << 20} for i in indexes]

        def fetch(session_id: int, epoch: int, partitions: list) -> tuple[float, object]:
            return probe.timed(ApiKey.FETCH, {
                "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 50 << 20, "isolation_level": 0,
                "session_id": session_id, "session_epoch": epoch, "forgotten_topics_data": [], "rack_id": "",
                "topics": [{"topic": topic, "topic_id": described.topic_id, "partitions": partitions}]})
        full = [fetch(0, -1, parts)[0] for _ in range(FETCH_PROBES)]
        _, opened = fetch(0, 0, parts)
        if opened.session_id == 0:
            return median_ms(full), median_ms(full)
        idle = [fetch(opened.session_id, epoch, [])[0] for epoch in range(1, FETCH_PROBES + 1)]
        return median_ms(full), median_ms(idle)


def metadata_ms(bootstrap: str, topic: str) -> float:
    """The median time of Metadata requests for ``topic`` alone, on one connection."""
    with Probe(bootstrap) as probe:
        return median_ms([probe.timed(ApiKey.METADATA, metadata_body([topic]))[0]
                          for _ in range(METADATA_PROBES)])


def _many_connections(session: Session, records: int) -> list[Measurement]:
    """Both cases on one broker per round: the load alone, then beside the idle connections."""
    quiet = Case(QUIET, {"produce records/s": True, "RSS MB": False},
                 functools.partial(_load_alone, records=records), needs_broker=True)
    crowded = Case(CROWDED, {"produce records/s": True, "RSS MB": False, "open s": False},
                   functools.partial(_load_beside_idle, records=records), needs_broker=True)
    return run_cases(session, "many_partitions", [quiet, crowded], prepare=_connections_topic)


def _connections_topic(bootstrap: str) -> None:
    with Probe(bootstrap) as probe:
        create_topic(probe, CONNECTIONS_TOPIC, 1, CREATE_DEADLINE)


def _load_alone(broker, *, records: int) -> dict[str, float]:
    rate = producer_perf(broker.bootstrap, CONNECTIONS_TOPIC, records, RECORD_SIZE, **PERF_PROPS)
    return {"produce records/s": rate.records_per_second, "RSS MB": broker.rss_bytes() / MB}


def _load_beside_idle(broker, *, records: int) -> dict[str, float]:
    with IdleConnections(broker.bootstrap, IDLE_CONNECTIONS, CONNECTIONS_TOPIC, OPEN_DEADLINE) as idle:
        rss = broker.rss_bytes() / MB
        rate = producer_perf(broker.bootstrap, CONNECTIONS_TOPIC, records, RECORD_SIZE, **PERF_PROPS)
        alive = idle.still_open()
        if alive < IDLE_CONNECTIONS:
            raise RuntimeError(f"the broker closed {IDLE_CONNECTIONS - alive} idle connections during the load")
        return {"produce records/s": rate.records_per_second, "RSS MB": rss, "open s": idle.open_seconds}
