"""Records and bytes per topic, requests and their times and errors, connections and network
bytes: what the broker counted as it served (``server/stats``), read at scrape time."""

from __future__ import annotations

import time

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from odradek.server.stats.request_stats import TIME_BUCKETS_MS

from .names import error_name, request_name
from .pacing import PAUSE, paced

_TOPIC = "kafka_server_brokertopicmetrics_"
_REQUEST = "kafka_network_requestmetrics_"
_SOCKET = "kafka_server_socket_server_metrics_"


class TrafficCollector(Collector):
    def __init__(self, stats):
        self.stats = stats

    def collect(self):
        yield from self._topics()
        yield from self._requests()
        yield from self._network()

    def _topics(self):
        by_topic = self.stats.topics.by_topic
        for field, name, doc in (
            ("messages_in", "messagesin", "Records appended by Produce (all topics without a topic label)"),
            ("bytes_in", "bytesin", "Record batch bytes appended by Produce"),
            ("bytes_out", "bytesout", "Record batch bytes sent to consumers by Fetch"),
        ):
            family = CounterMetricFamily(f"{_TOPIC}{name}", doc, labels=["topic"])
            family.add_metric([], sum(getattr(counts, field) for counts in by_topic.values()))
            for row in paced(sorted(by_topic.items())):
                if row is PAUSE:
                    yield PAUSE
                else:
                    family.add_metric([row[0]], getattr(row[1], field))
            yield family

    def _requests(self):
        apis = self.stats.requests.by_api()
        family = CounterMetricFamily(f"{_REQUEST}requests", "Requests served", labels=["request", "version"])
        for api_key, api in apis:
            for version, count in enumerate(api.versions):
                if count:
                    family.add_metric([request_name(api_key), str(version)], count)
        yield family
        family = HistogramMetricFamily(f"{_REQUEST}totaltimems",
                                       "Request time from parsed to answered, in milliseconds",
                                       labels=["request"])
        for api_key, api in apis:
            buckets, total = [], 0
            for bound, count in zip((*map(str, TIME_BUCKETS_MS), "+Inf"), api.buckets):
                total += count
                buckets.append((bound, total))
            family.add_metric([request_name(api_key)], buckets, api.sum_ms)
        yield family
        family = CounterMetricFamily(f"{_REQUEST}errors", "Error codes answered (NONE included), one per "
                                     "error code in a response", labels=["request", "error"])
        for api_key, api in apis:
            for code, count in sorted(api.errors.items()):
                family.add_metric([request_name(api_key), error_name(code)], count)
        yield family

    def _network(self):
        network = self.stats.network
        family = GaugeMetricFamily(f"{_SOCKET}connection_count", "Client connections open", labels=["listener"])
        for listener, count in sorted(network.connections.items()):
            family.add_metric([listener], count)
        yield family
        family = CounterMetricFamily(f"{_SOCKET}connection_creation", "Client connections accepted",
                                     labels=["listener"])
        for listener, count in sorted(network.connections_opened.items()):
            family.add_metric([listener], count)
        yield family
        now = time.monotonic()
        family = GaugeMetricFamily(f"{_SOCKET}connection_creation_rate", "Client connections accepted per second "
                                   "(Kafka's Rate: two 30 s windows)", labels=["listener"])
        for listener, rate in sorted(network.creation_rates.items()):
            family.add_metric([listener], rate.per_second(now))
        yield family
        family = CounterMetricFamily(f"{_SOCKET}connection_close", "Client connections closed (by either side)",
                                     labels=["listener"])
        for listener, count in sorted(network.connections_closed.items()):
            family.add_metric([listener], count)
        yield family
        family = CounterMetricFamily("odradek_connections_refused", "Connections accepted and closed at once, "
                                     "unserved, by reason", labels=["listener", "reason"])
        for (listener, reason), count in sorted(network.refused.items()):
            family.add_metric([listener, reason], count)
        yield family
        family = CounterMetricFamily("odradek_connections_closed_by_broker", "Served connections the broker "
                                     "closed of its own accord, by reason", labels=["listener", "reason"])
        for (listener, reason), count in sorted(network.closed_by_broker.items()):
            family.add_metric([listener, reason], count)
        yield family
        yield CounterMetricFamily(f"{_SOCKET}incoming_byte", "Bytes of requests read (size prefixes included)",
                                  value=self.stats.requests.bytes_in)
        yield CounterMetricFamily(f"{_SOCKET}outgoing_byte", "Bytes of responses written (size prefixes included)",
                                  value=self.stats.requests.bytes_out)
