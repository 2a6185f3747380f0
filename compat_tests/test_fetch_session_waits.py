"""Waiting incremental fetches (max_wait_ms with nothing new) wake when records arrive.

odradek registers one wake-up per waiting fetch of a session (the session's standing subscription
to its partitions' appends, see ``server/append_notifier.py``), not one per partition; these tests
check that no append is missed: a record appended while the fetch waits is answered at once, and a
fetch waiting for ``min_bytes`` is answered once records in several partitions add up to it, not
before. Every expectation holds for Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``).

That a fetch is waiting is seen from the outside: its answer does not come within ``PENDING`` s
(its ``max_wait_ms`` is far longer).
"""

from __future__ import annotations

import select
import time

from odradek.wire import ApiKey, ErrorCode, encode_request, parse_response

from .raw_kafka import read_response, record_batch
from .test_fetch_sessions import BY_ID, answered, close, fetch, produce, three, whole  # noqa: F401 - fixture
from .wire_client import WireClient

RUNS_AGAINST_KAFKA_TOO = True
BROKER_OVERRIDES = {"max.incremental.fetch.session.cache.slots": "8"}
MAX_WAIT_MS = 30_000
PENDING = 0.5       # seconds a waiting fetch must stay unanswered
PROMPTLY = 5.0      # seconds within which a woken fetch must be answered (its max wait is 30 s)
VALUE = b"x" * 100


def start_waiting_fetch(client: WireClient, session_id: int, epoch: int, min_bytes: int) -> int:
    """Send an incremental fetch that waits (naming nothing), without reading its answer."""
    correlation_id = 1000 + epoch
    client.sock.sendall(encode_request(ApiKey.FETCH, BY_ID, correlation_id, client.client_id, {
        "replica_id": -1, "max_wait_ms": MAX_WAIT_MS, "min_bytes": min_bytes, "max_bytes": 1 << 20,
        "isolation_level": 0, "session_id": session_id, "session_epoch": epoch, "rack_id": "",
        "topics": [], "forgotten_topics_data": []}))
    return correlation_id


def still_waiting(client: WireClient) -> bool:
    readable, _, _ = select.select([client.sock], [], [], PENDING)
    return not readable


def answer_of(client: WireClient, correlation_id: int):
    frame = read_response(client.sock)
    assert frame is not None, "the broker hung up"
    got, response = parse_response(ApiKey.FETCH, BY_ID, frame)
    assert got == correlation_id
    return response


def test_a_record_appended_while_an_incremental_fetch_waits_is_answered_at_once(wire, module_broker, three):
    name, _ = three
    session = fetch(wire, BY_ID, 0, 0, whole(three)).session_id
    assert session > 0
    with WireClient(module_broker, "waiting-fetcher") as fetcher:
        correlation_id = start_waiting_fetch(fetcher, session, 1, min_bytes=1)
        assert still_waiting(fetcher)
        produced = time.monotonic()
        produce(wire, name, 2, VALUE)
        response = answer_of(fetcher, correlation_id)
        assert time.monotonic() - produced < PROMPTLY
    assert (response.error_code, response.session_id) == (ErrorCode.NONE, session)
    assert answered(response) == {2: (0, 1, True)}
    close(wire, session)


def test_a_waiting_fetch_is_answered_once_min_bytes_arrive_across_partitions(wire, module_broker, three):
    name, _ = three
    batch = len(record_batch([VALUE]))
    session = fetch(wire, BY_ID, 0, 0, whole(three)).session_id
    assert session > 0
    with WireClient(module_broker, "waiting-fetcher") as fetcher:
        correlation_id = start_waiting_fetch(fetcher, session, 1, min_bytes=2 * batch + 1)
        assert still_waiting(fetcher)
        produce(wire, name, 0, VALUE)
        assert still_waiting(fetcher)        # one batch is not enough
        produce(wire, name, 1, VALUE)
        assert still_waiting(fetcher)        # two are not either
        produced = time.monotonic()
        produce(wire, name, 2, VALUE)
        response = answer_of(fetcher, correlation_id)
        assert time.monotonic() - produced < PROMPTLY
    assert response.error_code == ErrorCode.NONE
    assert answered(response) == {0: (0, 1, True), 1: (0, 1, True), 2: (0, 1, True)}
    close(wire, session)


def test_each_wait_of_a_session_is_woken_in_turn(wire, module_broker, three):
    """The session's wake-up stays registered between fetches: the second wait is woken too."""
    name, topic_id = three
    session = fetch(wire, BY_ID, 0, 0, whole(three)).session_id
    assert session > 0
    with WireClient(module_broker, "waiting-fetcher") as fetcher:
        first = start_waiting_fetch(fetcher, session, 1, min_bytes=1)
        assert still_waiting(fetcher)
        produce(wire, name, 0, VALUE)
        assert answered(answer_of(fetcher, first)) == {0: (0, 1, True)}
        # the fetcher moves on in partition 0 (an incremental fetch naming it) and waits again
        moved = fetch(fetcher, BY_ID, session, 2, [(name, topic_id, [(0, 1)])])
        assert (moved.error_code, moved.responses) == (ErrorCode.NONE, [])
        second = start_waiting_fetch(fetcher, session, 3, min_bytes=1)
        assert still_waiting(fetcher)
        produce(wire, name, 1, VALUE)
        assert answered(answer_of(fetcher, second)) == {1: (0, 1, True)}
    close(wire, session)
