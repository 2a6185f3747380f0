"""The request memory pool (``queued.max.request.bytes``, ``server/request_memory.py``) as Kafka's
SocketServer reports it (``kafka.network:type=SocketServer,name=MemoryPoolAvailable`` and
``MemoryPoolUsed``), read at scrape time; plus how many connections are muted waiting for it.

Without a pool (``queued.max.request.bytes`` -1, the default) Kafka's ``MemoryPool.NONE`` reports
Long.MAX_VALUE available and nothing used; so does this."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_SOCKET_SERVER = "kafka_network_socketserver_"
LONG_MAX = 2**63 - 1


class RequestPoolCollector(Collector):
    def __init__(self, broker):
        self.broker = broker

    def collect(self):
        pool = self.broker.request_memory
        available, used, waiting = (LONG_MAX, 0, 0) if pool is None else \
            (pool.available, pool.size - pool.available, pool.waiting)
        yield GaugeMetricFamily(f"{_SOCKET_SERVER}memorypoolavailable",
                                "Bytes of queued.max.request.bytes not reserved by requests being read",
                                value=available)
        yield GaugeMetricFamily(f"{_SOCKET_SERVER}memorypoolused",
                                "Bytes of queued.max.request.bytes reserved by requests being read or handled",
                                value=used)
        yield GaugeMetricFamily("odradek_request_pool_muted_connections",
                                "Connections not being read until the request pool has memory again", value=waiting)
