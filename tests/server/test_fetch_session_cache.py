"""The fetch session cache's room rules (Kafka's FetchSessionCacheShard), with explicit clocks:
the two minutes after which a session is stale or may be outbid take too long on the wire
(compat_tests/test_fetch_sessions.py covers the rest there, against Kafka too)."""

from __future__ import annotations

from odradek.server.fetch_sessions import (EVICTION_MS, INVALID_SESSION_ID, NUM_SHARDS, SESSION_ID_RANGE,
                                           FetchSessionCache, FetchSessionCacheShard, next_epoch)


def parts(count: int) -> dict:
    return {("t", i): None for i in range(count)}


def one_slot() -> FetchSessionCacheShard:
    return FetchSessionCacheShard(max_entries=1, shard_num=3)


def test_session_ids_stay_in_the_shards_range():
    shard = one_slot()
    session_id = shard.maybe_create(0, False, 1, True, parts(1))
    assert 3 * SESSION_ID_RANGE <= session_id < 4 * SESSION_ID_RANGE
    assert shard.sessions[session_id].epoch == 1


def test_a_consumer_cannot_evict_a_recent_consumer():
    shard = one_slot()
    first = shard.maybe_create(0, False, 1, True, parts(1))
    assert shard.maybe_create(1_000, False, 50, True, parts(50)) == INVALID_SESSION_ID
    assert list(shard.sessions) == [first] and shard.evictions == 0


def test_a_follower_evicts_a_consumer_but_not_a_recent_follower():
    shard = one_slot()
    shard.maybe_create(0, False, 10, True, parts(10))
    follower = shard.maybe_create(1_000, True, 1, True, parts(1))
    assert follower != INVALID_SESSION_ID and list(shard.sessions) == [follower] and shard.evictions == 1
    assert shard.maybe_create(2_000, True, 100, True, parts(100)) == INVALID_SESSION_ID


def test_a_stale_session_goes_to_anyone():
    shard = one_slot()
    shard.maybe_create(0, True, 100, True, parts(100))
    assert shard.maybe_create(EVICTION_MS, False, 1, True, parts(1)) == INVALID_SESSION_ID  # not yet stale
    newcomer = shard.maybe_create(EVICTION_MS + 1, False, 1, True, parts(1))
    assert newcomer != INVALID_SESSION_ID and list(shard.sessions) == [newcomer]


def test_an_old_busy_session_is_outbid_only_by_a_bigger_one():
    shard = one_slot()
    old = shard.maybe_create(0, False, 2, True, parts(2))
    shard.touch(shard.sessions[old], EVICTION_MS + 1_000)   # in use, and older than two minutes now
    assert shard.maybe_create(EVICTION_MS + 2_000, False, 1, True, parts(1)) == INVALID_SESSION_ID
    bigger = shard.maybe_create(EVICTION_MS + 3_000, False, 5, True, parts(5))
    assert bigger != INVALID_SESSION_ID and list(shard.sessions) == [bigger]


def test_slots_split_evenly_over_the_shards():
    cache = FetchSessionCache(slots=NUM_SHARDS * 2)
    assert [shard.max_entries for shard in cache.shards] == [2] * NUM_SHARDS
    assert FetchSessionCache(slots=NUM_SHARDS - 1).shards[0].max_entries == 0  # as Kafka: no session at all


def test_epochs_wrap_to_one_and_stay_final():
    assert next_epoch(0) == 1 and next_epoch(2**31 - 1) == 1 and next_epoch(-1) == -1
