"""What the broker counts as it serves, for the metrics to read (``server/web/metrics/``).

Counting happens on the hot path, so it is plain Python arithmetic on dicts and ints: no locks
(everything runs in the event loop's thread), no per-record work, one call per request
(``requests.served``, from dispatch) and one per partition appended (``topics.produced``) or
fetch answered (``topics.fetched``). Everything else the metrics show (log sizes, offsets, ISRs,
group lag) is state the broker keeps anyway, read only when Prometheus scrapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .network_stats import NetworkStats
from .request_stats import RequestStats
from .topic_traffic import TopicTraffic


@dataclass
class BrokerStats:
    topics: TopicTraffic = field(default_factory=TopicTraffic)
    requests: RequestStats = field(default_factory=RequestStats)
    network: NetworkStats = field(default_factory=NetworkStats)
