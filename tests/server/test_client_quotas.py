"""Client quotas: Kafka's sampled rate, its order of precedence, its checks of an alteration."""

from __future__ import annotations

import pytest

from odradek.server.quotas.client_quotas import ClientQuotas
from odradek.server.quotas.entities import (QuotaError, check_value, entity_of, from_zk_path, zk_path)
from odradek.server.quotas.rate import Rate


class _NoStore:
    def load(self):
        return {}

    async def save(self, entity, configs):
        pass


def _quotas(**props) -> ClientQuotas:
    return ClientQuotas(_NoStore(), props)


def test_a_first_burst_is_spread_over_the_whole_window():
    """Kafka counts at least (samples - 1) windows: 10 s with 11 samples of 1 s."""
    rate = Rate(11, 1000)
    assert rate.record_and_throttle(10_000, 1000, now_ms=0) == 0  # 10 KB over 10 s: exactly 1 KB/s
    # 1 KB more is 11 KB over 10 s: 10% above, throttled until the rate is back at the quota
    assert rate.record_and_throttle(1000, 1000, now_ms=0) == 1000


def test_old_samples_are_forgotten():
    rate = Rate(3, 1000)
    rate.record(5000, 0)
    assert rate.measure(1000) == 2500  # 5 KB over the 2 s minimum span
    assert rate.measure(3000) == 0  # three windows later the sample is reset


def test_throttle_time_brings_the_rate_back_to_the_quota():
    rate = Rate(3, 1000)
    throttle = rate.record_and_throttle(6000, 1000, now_ms=0)  # 3 KB/s over 2 s against 1 KB/s
    assert throttle == 4000  # (3000 - 1000) / 1000 * 2000 ms


def test_the_most_specific_quota_wins_in_kafkas_order():
    quotas = _quotas()
    levels = [
        ((("client-id", None),), 8),
        ((("client-id", "app"),), 7),
        ((("user", None),), 6),
        ((("client-id", None), ("user", None)), 5),
        ((("client-id", "app"), ("user", None)), 4),
        ((("user", "alice"),), 3),
        ((("client-id", None), ("user", "alice")), 2),
        ((("client-id", "app"), ("user", "alice")), 1),
    ]
    for entity, value in levels:  # from the least specific up: each new one takes over
        quotas.reloaded(entity, {"producer_byte_rate": float(value)})
        assert quotas.produce.quota("alice", "app")[1] == value
    assert quotas.produce.quota("bob", "other") == (("bob", "other"), 5.0)  # the default user and client


def test_a_quota_of_another_kind_does_not_hide_one_below():
    quotas = _quotas()
    quotas.reloaded((("client-id", "app"),), {"producer_byte_rate": 100.0})
    quotas.reloaded((("user", "alice"),), {"consumer_byte_rate": 50.0})
    assert quotas.produce.quota("alice", "app") == (("", "app"), 100.0)
    assert quotas.fetch.quota("alice", "app") == (("alice", ""), 50.0)


def test_a_users_quota_is_shared_by_its_client_ids_a_default_is_not():
    quotas = _quotas(**{"quota.window.num": "3"})
    quotas.reloaded((("user", "alice"),), {"producer_byte_rate": 1000.0})
    quotas.reloaded((("client-id", None),), {"producer_byte_rate": 1000.0})
    assert quotas.produce.record("alice", "one", 2000, now_ms=0) == 0
    assert quotas.produce.record("alice", "two", 1000, now_ms=0) > 0  # the same user's rate
    assert quotas.produce.record("bob", "one", 2000, now_ms=0) == 0
    assert quotas.produce.record("bob", "two", 2000, now_ms=0) == 0  # each client id its own


def test_managers_are_enabled_only_by_their_own_kind():
    quotas = _quotas()
    assert not quotas.enforcing
    quotas.reloaded((("client-id", "app"),), {"controller_mutation_rate": 5.0})
    assert quotas.mutation.enabled and not quotas.enforcing  # drawn on by the admin handlers alone
    quotas.reloaded((("client-id", "app"),), {"request_percentage": 50.0})
    assert quotas.request.enabled and not quotas.mutation.enabled and quotas.enforcing  # every route timed
    quotas.reloaded((("client-id", "app"),), {"consumer_byte_rate": 10.0})
    assert quotas.fetch.enabled and not quotas.produce.enabled and quotas.enforcing
    quotas.reloaded((("client-id", "app"),), {})
    assert not quotas.enforcing


@pytest.mark.parametrize("pairs, message", [
    ([], "Invalid empty client quota entity"),
    ([("user", "a"), ("user", "b")], "Invalid empty client quota entity, duplicate entity entry user"),
    ([("group", "g")], "Unhandled client quota entity type: group"),
    ([("client-id", "")], "Empty client-id not supported"),
    ([("ip", "1.2.3.4"), ("user", "a")], "Invalid empty client quota entity"),
])
def test_entities_kafka_refuses(pairs, message):
    with pytest.raises(QuotaError, match=f"^{message}$"):
        entity_of(pairs)


def test_values_kafka_refuses():
    client = entity_of([("client-id", "app")])
    check_value(client, "request_percentage", 12.5)
    check_value(client, "producer_byte_rate", 1024.0)
    with pytest.raises(QuotaError, match="^producer_byte_rate cannot be a fractional value.$"):
        check_value(client, "producer_byte_rate", 10.5)
    with pytest.raises(QuotaError, match="^Quota request_percentage must be greater than 0$"):
        check_value(client, "request_percentage", -5)
    with pytest.raises(QuotaError, match="^Invalid configuration key connection_creation_rate$"):
        check_value(client, "connection_creation_rate", 1)


def test_zookeeper_paths_are_kafkas():
    entity = entity_of([("client-id", "my app"), ("user", None)])
    assert zk_path(entity) == "users/<default>/clients/my%20app"
    assert from_zk_path("users/<default>/clients/my%20app") == entity
    assert zk_path(entity_of([("client-id", None)])) == "clients/<default>"
