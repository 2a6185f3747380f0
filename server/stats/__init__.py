"""What the broker counts as it serves, for the metrics to read (``server/web/metrics/``).

The broker picks its recorder once, at start-up: ``BrokerStats`` when ``metrics.port`` is set
(something will read the figures), ``NULL_STATS`` otherwise, whose methods do nothing. Every
caller makes the same calls either way (``broker.stats.requests.served(...)``), with no test of
its own, so a broker without a metrics port pays one empty method call per request and nothing
more.

Counting happens on the hot path, so it is plain Python arithmetic on lists, dicts and slotted
ints: no locks (everything runs in the event loop's thread), no per-record work, one call per
request (``requests.served``, from dispatch) and one per partition appended (``topics.produced``)
or fetch answered (``topics.fetched``, ``topics.sent``). Labelled series are built only when
Prometheus scrapes; so is everything else the metrics show (log sizes, offsets, ISRs, group lag),
which is state the broker keeps anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .network_stats import NetworkStats, NullNetworkStats
from .request_stats import NullRequestStats, RequestStats
from .topic_traffic import NullTopicTraffic, TopicTraffic


@dataclass
class BrokerStats:
    topics: TopicTraffic = field(default_factory=TopicTraffic)
    requests: RequestStats = field(default_factory=RequestStats)
    network: NetworkStats = field(default_factory=NetworkStats)


@dataclass(frozen=True)
class NullStats:
    """The recorder of a broker without a metrics port: same calls, nothing kept."""

    topics: NullTopicTraffic = NullTopicTraffic()
    requests: NullRequestStats = NullRequestStats()
    network: NullNetworkStats = NullNetworkStats()


NULL_STATS = NullStats()


def stats_for(counting: bool) -> BrokerStats | NullStats:
    """The broker's recorder: counting only when something will read the counts."""
    return BrokerStats() if counting else NULL_STATS
