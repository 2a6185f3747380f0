"""Parsing Kafka's connection limits, the request memory pool's non-strict grants, and the
throttled refusal log (the behaviour on real sockets is in compat_tests/test_hostile_load.py)."""

import logging
import threading

import pytest
import trio
import trio.testing

from odradek.server.connection_limits import INT_MAX, ConnectionLimits, ConnectionQuotas, TooManyConnections
from odradek.server.request_memory import RequestMemoryPool
from odradek.server.startup_error import ConfigError
from odradek.server.throttled_log import ThrottledLog


def test_defaults_are_kafkas():
    limits = ConnectionLimits.from_props({}, ["PLAINTEXT"])
    assert (limits.max_connections, limits.per_ip, limits.creation_rate) == (INT_MAX, INT_MAX, INT_MAX)
    assert limits.per_ip_overrides == {}
    assert limits.listener_max == {"PLAINTEXT": INT_MAX}


def test_listener_limits_fall_back_to_the_broker_wide_ones():
    limits = ConnectionLimits.from_props({"max.connections": "10", "listener.name.internal.max.connections": "3"},
                                         ["PLAINTEXT", "INTERNAL"])
    assert limits.listener_max == {"PLAINTEXT": 10, "INTERNAL": 3}


def test_overrides_are_host_count_items_resolved_to_addresses():
    limits = ConnectionLimits.from_props({"max.connections.per.ip.overrides": "127.0.0.1:5, localhost:7"}, [])
    assert limits.per_ip_overrides["127.0.0.1"] in (5, 7)  # localhost may resolve to ::1 first
    with pytest.raises(ConfigError, match="host:count"):
        ConnectionLimits.from_props({"max.connections.per.ip.overrides": "127.0.0.1"}, [])


def test_zero_per_ip_needs_overrides_as_in_kafka():
    with pytest.raises(ConfigError, match="can be set to zero only if max.connections.per.ip.overrides"):
        ConnectionLimits.from_props({"max.connections.per.ip": "0"}, [])


def test_per_ip_limit_refuses_without_counting():
    quotas = ConnectionQuotas(ConnectionLimits.from_props({"max.connections.per.ip": "1"}, ["A"]), "A", ["A"])
    quotas.add("A", "10.0.0.1")
    with pytest.raises(TooManyConnections, match="maximum of 1 connections"):
        quotas.add("A", "10.0.0.1")
    quotas.add("A", "10.0.0.2")
    assert quotas.total == 2 and quotas.by_ip == {"10.0.0.1": 1, "10.0.0.2": 1}
    quotas.remove("A", "10.0.0.1")
    assert quotas.by_ip == {"10.0.0.2": 1}


def test_inter_broker_listener_is_exempt_from_the_broker_wide_limit_only():
    limits = ConnectionLimits.from_props({"max.connections": "1", "listener.name.broker.max.connections": "2"},
                                         ["CLIENT", "BROKER"])
    quotas = ConnectionQuotas(limits, "BROKER", ["CLIENT", "BROKER"])
    quotas.add("CLIENT", "10.0.0.1")
    assert not quotas.slot_available("CLIENT")
    assert quotas.slot_available("BROKER")
    quotas.add("BROKER", "10.0.0.2")
    quotas.add("BROKER", "10.0.0.3")
    assert not quotas.slot_available("BROKER")


def test_pool_grants_while_any_memory_is_left_and_mutes_after():
    async def main():
        pool = RequestMemoryPool(100)
        await pool.acquire(60)
        await pool.acquire(60)  # non-strict: 40 left was enough to start
        assert pool.available == -20
        granted = []

        async def third():
            await pool.acquire(10)
            granted.append(trio.current_time())

        async with trio.open_nursery() as nursery:
            nursery.start_soon(third)
            await trio.testing.wait_all_tasks_blocked()
            assert granted == [] and pool.waiting == 1
            pool.release(60)
        assert granted and pool.available == 30

    trio.run(main)


def test_throttled_log_writes_one_line_per_interval_with_a_count(caplog):
    throttled = ThrottledLog(logging.getLogger("test.throttled"), interval=3600)
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            throttled.write("kind", "refused")
    assert [r.getMessage() for r in caplog.records] == ["refused"]


def test_creation_rate_lets_ten_seconds_worth_through_then_delays_as_kafka():
    from odradek.server.connection_limits import _RateLimiter
    limiter = _RateLimiter(5)
    delays = [limiter.delay() for _ in range(52)]
    assert delays[:50] == [0.0] * 50
    assert 0 < delays[50] <= 1.0 and delays[51] >= delays[50]


def test_override_host_names_are_resolved_in_a_worker_thread_never_on_the_event_loop(monkeypatch):
    from odradek.server import connection_limits
    from odradek.server.connection_limits import DnsOnTheEventLoop, resolve_override_hosts

    threads = []
    real = connection_limits.socket.getaddrinfo

    def observed(*args, **kwargs):  # the real resolver, noting the thread it runs in
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(connection_limits.socket, "getaddrinfo", observed)
    monkeypatch.setattr(connection_limits, "RESOLVED", {})
    props = {"max.connections.per.ip.overrides": "localhost:7, 10.0.0.1:2, no-such-host.invalid:3"}

    async def main():
        with pytest.raises(DnsOnTheEventLoop):  # not resolved yet: refused, not resolved in the loop
            ConnectionLimits.from_props({"max.connections.per.ip.overrides": "localhost:7"}, [])
        assert threads == []
        await resolve_override_hosts(props)
        assert len(threads) == 2 and threading.main_thread() not in threads  # the literal is not looked up
        limits = ConnectionLimits.from_props({"max.connections.per.ip.overrides": "localhost:7, 10.0.0.1:2"}, [])
        assert limits.per_ip_overrides[connection_limits.RESOLVED["localhost"]] == 7
        assert limits.per_ip_overrides["10.0.0.1"] == 2
        with pytest.raises(ConfigError, match="contains invalid addresses : no-such-host.invalid"):
            ConnectionLimits.from_props(props, [])
        assert len(threads) == 2  # parsing read what the thread resolved

    trio.run(main)
