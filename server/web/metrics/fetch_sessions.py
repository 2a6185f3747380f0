"""Fetch session cache figures (Kafka's ``kafka.server:type=FetchSessionCache`` metrics), read at
scrape time from ``broker.fetch_sessions``; plus how many sessions were ever opened, which tells a
consumer that fetches incrementally (one session for its life) from one that does not."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

_CACHE = "kafka_server_fetchsessioncache_"


class FetchSessionCollector(Collector):
    def __init__(self, broker):
        self.broker = broker

    def collect(self):
        cache = self.broker.fetch_sessions
        yield GaugeMetricFamily(f"{_CACHE}numincrementalfetchsessions", "Incremental fetch sessions in the cache",
                                value=len(cache))
        yield GaugeMetricFamily(f"{_CACHE}numincrementalfetchpartitionscached",
                                "Partitions in the cache's fetch sessions", value=cache.total_partitions)
        yield CounterMetricFamily(f"{_CACHE}incrementalfetchsessionevictions",
                                  "Fetch sessions evicted to make room for another", value=cache.evictions)
        yield CounterMetricFamily("odradek_fetch_sessions_created", "Fetch sessions opened", value=cache.created)
