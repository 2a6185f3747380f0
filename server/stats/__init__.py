"""What the broker counts as it serves, for the metrics to read (``server/web/metrics/``).

Counting happens on the hot path, so it is plain Python arithmetic on dicts and ints: no locks
(everything runs in the event loop's thread), no per-record work, one update per request or per
partition in it. Everything else the metrics show (log sizes, offsets, ISRs, group lag) is state
the broker keeps anyway, read only when Prometheus scrapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import perf_counter

from .network_stats import NetworkStats
from .request_stats import RequestStats
from .topic_traffic import TopicTraffic


@dataclass
class BrokerStats:
    topics: TopicTraffic = field(default_factory=TopicTraffic)
    requests: RequestStats = field(default_factory=RequestStats)
    network: NetworkStats = field(default_factory=NetworkStats)

    def answered(self, header, started: float, body, chunks: list | None) -> None:
        """A request handled since ``perf_counter()`` was ``started``: ``body`` its response (None
        for none), ``chunks`` that response encoded, length prefix first."""
        self.requests.served(header.api_key, header.api_version, (perf_counter() - started) * 1000, body)
        if chunks:
            self.network.bytes_out += int.from_bytes(chunks[0][:4], "big") + 4
