"""Incremental fetch sessions (KIP-227) on the wire: opening one with a full fetch, incremental
fetches that answer only what changed, forgotten partitions, the session errors, a full cache.

Every expectation here holds for Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``). The broker has
``max.incremental.fetch.session.cache.slots=8``: Kafka splits the cache over 8 shards, so each
holds one session and 8 full fetches in a row fill it. Each test closes the sessions it opens
(a full fetch with epoch -1), so that the cache is empty for the next.
"""

from __future__ import annotations

import pytest

from odradek.server.handlers.topic_lookup import NO_TOPIC_ID
from odradek.wire import ApiKey, ErrorCode

from .clients import wait_until
from .raw_kafka import record_batch

RUNS_AGAINST_KAFKA_TOO = True
BROKER_OVERRIDES = {"max.incremental.fetch.session.cache.slots": "8"}
SHARDS = 8
BY_ID = 16      # a version with topic ids
BY_NAME = 12    # the last one with topic names


@pytest.fixture
def three(wire, topic):
    """A topic of 3 partitions whose leaders are known: (name, topic id)."""
    answer = wire.send(ApiKey.CREATE_TOPICS, 7, {"timeout_ms": 30_000, "validate_only": False, "topics": [
        {"name": topic, "num_partitions": 3, "replication_factor": 1, "assignments": [], "configs": []}]})
    assert answer.topics[0].error_code == ErrorCode.NONE

    def described():
        [described] = wire.send(ApiKey.METADATA, 12, {"topics": [{"name": topic}],
                                                      "allow_auto_topic_creation": False}).topics
        ready = described.error_code == 0 and len(described.partitions) == 3 and all(
            p.leader_id >= 0 for p in described.partitions)
        return described if ready else None
    topic_id = wait_until(described, what="leaders for the topic").topic_id

    def readable():  # a sessionless fetch: Kafka may still say NOT_LEADER_OR_FOLLOWER just after creating
        answer = fetch(wire, BY_ID, 0, -1, whole((topic, topic_id)))
        return answer.session_id == 0 and all(code == 0 for code, _, _ in answered(answer).values())
    wait_until(readable, what="every partition readable")
    return topic, topic_id


def produce(wire, topic: str, partition: int, value: bytes = b"v") -> None:
    answer = wire.send(ApiKey.PRODUCE, 9, {"transactional_id": None, "acks": -1, "timeout_ms": 10_000,
                                           "topic_data": [{"name": topic, "partition_data": [
                                               {"index": partition, "records": bytes(record_batch([value]))}]}]})
    assert answer.responses[0].partition_responses[0].error_code == ErrorCode.NONE


def fetch(wire, version: int, session_id: int, epoch: int, topics=(), forgotten=()):
    """A Fetch that waits for nothing. ``topics``: [(name, id, [(partition, fetch offset)])];
    ``forgotten``: [(name, id, [partitions])]."""
    return wire.send(ApiKey.FETCH, version, {
        "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20, "isolation_level": 0,
        "session_id": session_id, "session_epoch": epoch, "rack_id": "",
        "topics": [{"topic": name, "topic_id": topic_id, "partitions": [
            {"partition": index, "current_leader_epoch": -1, "fetch_offset": offset, "last_fetched_epoch": -1,
             "log_start_offset": -1, "partition_max_bytes": 1 << 20} for index, offset in parts]}
            for name, topic_id, parts in topics],
        "forgotten_topics_data": [{"topic": name, "topic_id": topic_id, "partitions": list(parts)}
                                  for name, topic_id, parts in forgotten]})


def answered(response) -> dict[int, tuple[int, int, bool]]:
    """partition -> (error code, high watermark, has records), over every topic answered."""
    return {p.partition_index: (p.error_code, p.high_watermark, bool(p.records))
            for t in response.responses for p in t.partitions}


def whole(three, version: int = BY_ID, offsets=(0, 0, 0)):
    name, topic_id = three
    return [(name, topic_id if version >= 13 else NO_TOPIC_ID, list(enumerate(offsets)))]


def close(wire, session_id: int, version: int = BY_ID) -> None:
    answer = fetch(wire, version, session_id, -1)
    assert (answer.error_code, answer.session_id) == (ErrorCode.NONE, 0)


@pytest.mark.parametrize("version", [BY_NAME, BY_ID])
def test_incremental_fetch_answers_only_what_changed(wire, three, version):
    opened = fetch(wire, version, 0, 0, whole(three, version))
    assert opened.error_code == ErrorCode.NONE and opened.session_id > 0
    assert answered(opened) == {0: (0, 0, False), 1: (0, 0, False), 2: (0, 0, False)}
    session = opened.session_id

    idle = fetch(wire, version, session, 1)
    assert (idle.error_code, idle.session_id, idle.responses) == (ErrorCode.NONE, session, [])

    produce(wire, three[0], 1)
    changed = fetch(wire, version, session, 2)
    assert (changed.error_code, changed.session_id) == (ErrorCode.NONE, session)
    assert answered(changed) == {1: (0, 1, True)}

    # the fetcher moves on in partition 1: nothing is new any more
    moved = fetch(wire, version, session, 3, [(three[0], three[1] if version >= 13 else NO_TOPIC_ID, [(1, 1)])])
    assert (moved.error_code, moved.session_id, moved.responses) == (ErrorCode.NONE, session, [])
    close(wire, session, version)


def test_forgotten_partitions_leave_the_session(wire, three):
    name, topic_id = three
    session = fetch(wire, BY_ID, 0, 0, whole(three)).session_id
    assert session > 0
    forgot = fetch(wire, BY_ID, session, 1, forgotten=[(name, topic_id, [0])])
    assert (forgot.error_code, forgot.responses) == (ErrorCode.NONE, [])
    produce(wire, name, 0)
    produce(wire, name, 2)
    assert answered(fetch(wire, BY_ID, session, 2)) == {2: (0, 1, True)}

    # forgetting the rest closes the session: that fetch is answered without one
    emptied = fetch(wire, BY_ID, session, 3, forgotten=[(name, topic_id, [1, 2])])
    assert (emptied.error_code, emptied.session_id, emptied.responses) == (ErrorCode.NONE, 0, [])
    gone = fetch(wire, BY_ID, session, 4)
    assert (gone.error_code, gone.session_id, gone.responses) == (ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0, [])


def test_a_wrong_epoch_is_refused_and_the_session_lives_on(wire, three):
    session = fetch(wire, BY_ID, 0, 0, whole(three)).session_id
    for wrong in (2, 5, -2):
        refused = fetch(wire, BY_ID, session, wrong)
        assert (refused.error_code, refused.session_id, refused.responses) == (
            ErrorCode.INVALID_FETCH_SESSION_EPOCH, 0, [])
    replayed = fetch(wire, BY_ID, session, 1)
    assert (replayed.error_code, replayed.session_id) == (ErrorCode.NONE, session)
    again = fetch(wire, BY_ID, session, 1)   # epoch 1 was used: 2 is expected now
    assert again.error_code == ErrorCode.INVALID_FETCH_SESSION_EPOCH
    close(wire, session)


def test_an_unknown_session_id_is_not_found(wire, three):
    for session in (1, 12345, 2_000_000_000):
        missing = fetch(wire, BY_ID, session, 1)
        assert (missing.error_code, missing.session_id, missing.responses) == (
            ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0, [])


def test_a_session_cannot_change_to_or_from_topic_ids(wire, three):
    session = fetch(wire, BY_NAME, 0, 0, whole(three, BY_NAME)).session_id
    switched = fetch(wire, BY_ID, session, 1)
    assert (switched.error_code, switched.session_id) == (ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR, 0)
    close(wire, session, BY_NAME)


def test_a_full_cache_answers_without_a_session(wire, three):
    """A consumer's session evicts nobody younger than two minutes: the fetch is still answered."""
    sessions = [fetch(wire, BY_ID, 0, 0, whole(three)).session_id for _ in range(SHARDS)]
    assert all(s > 0 for s in sessions) and len(set(sessions)) == SHARDS
    full = fetch(wire, BY_ID, 0, 0, whole(three))
    assert (full.error_code, full.session_id) == (ErrorCode.NONE, 0)
    assert answered(full) == {0: (0, 0, False), 1: (0, 0, False), 2: (0, 0, False)}
    for session in sessions:
        close(wire, session)


def test_a_full_fetch_naming_its_session_replaces_it(wire, three):
    old = fetch(wire, BY_ID, 0, 0, whole(three)).session_id
    new = fetch(wire, BY_ID, old, 0, whole(three)).session_id
    assert new > 0 and new != old
    assert fetch(wire, BY_ID, old, 1).error_code == ErrorCode.FETCH_SESSION_ID_NOT_FOUND
    assert fetch(wire, BY_ID, new, 1).error_code == ErrorCode.NONE
    close(wire, new)
