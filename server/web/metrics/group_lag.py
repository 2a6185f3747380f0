"""Consumer group offsets and lag per partition, named as kafka-exporter names them.

Lag is the partition's high watermark (the end a consumer can read to; on a single broker, the
log end offset) minus the group's committed offset. A broker reports the groups it coordinates,
for the partitions it leads (all of them on a single broker); read at scrape time.
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from odradek.wire import ErrorCode

from .pacing import PAUSE, paced


class GroupLagCollector(Collector):
    def __init__(self, broker):
        self.broker = broker

    def collect(self):
        labels = ["consumergroup", "topic", "partition"]
        current = GaugeMetricFamily("kafka_consumergroup_current_offset", "The group's committed offset",
                                    labels=labels)
        lag = GaugeMetricFamily("kafka_consumergroup_lag", "High watermark minus the group's committed offset",
                                labels=labels)
        offsets = self.broker.groups.offsets
        replicas = self.broker.replicas
        committed = [(group, topic_partition, commit) for group in sorted(offsets.groups())
                     for topic_partition, commit in sorted(offsets.of_group(group).items())]
        for row in paced(committed):
            if row is PAUSE:
                yield PAUSE
                continue
            group, (topic, partition), commit = row
            key = [group, topic, str(partition)]
            current.add_metric(key, commit.offset)
            log, code = replicas.leader_log(topic, partition)
            if log is not None and code == ErrorCode.NONE:
                lag.add_metric(key, log.high_watermark - commit.offset)
        yield current
        yield lag
