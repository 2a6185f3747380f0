"""Each local log's size and offsets (Kafka's ``kafka.log:type=Log`` metrics), read at scrape time."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .pacing import PAUSE, paced

_LOG = "kafka_log_log_"


class LogCollector(Collector):
    def __init__(self, logs):
        self.logs = logs

    def collect(self):
        labels = ["topic", "partition"]
        size = GaugeMetricFamily(f"{_LOG}size", "Bytes of the partition's log segments", labels=labels)
        end = GaugeMetricFamily(f"{_LOG}logendoffset", "The offset the next record appended gets", labels=labels)
        start = GaugeMetricFamily(f"{_LOG}logstartoffset", "The first offset still in the log", labels=labels)
        segments = GaugeMetricFamily(f"{_LOG}numlogsegments", "Segments of the partition's log", labels=labels)
        logs = [log for in_dir in self.logs.partitions_by_dir().values() for log in in_dir]
        for log in paced(logs):
            if log is PAUSE:
                yield PAUSE
                continue
            key = [log.topic, str(log.partition)]
            size.add_metric(key, log.size)
            end.add_metric(key, log.log_end_offset)
            start.add_metric(key, log.log_start_offset)
            segments.add_metric(key, len(log.segments))
        yield from (size, end, start, segments)
