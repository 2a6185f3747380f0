"""Replica health (Kafka's ReplicaManager and KafkaController metrics), read at scrape time from
``broker.replicas`` and ``broker.metadata``, which answer in both modes.

As in Kafka, the offline-partition and active-controller figures come from the controller alone
(every other broker reports 0), so that summing them over the brokers counts each once.
"""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .pacing import PAUSE, paced

_REPLICAS = "kafka_server_replicamanager_"
_CONTROLLER = "kafka_controller_kafkacontroller_"


class ReplicaCollector(Collector):
    def __init__(self, broker):
        self.broker = broker

    def collect(self):
        counts = self.broker.replicas.replica_counts()
        yield GaugeMetricFamily(f"{_REPLICAS}partitioncount", "Replicas hosted here", value=counts.partitions)
        yield GaugeMetricFamily(f"{_REPLICAS}leadercount", "Partitions led here", value=counts.leaders)
        yield GaugeMetricFamily(f"{_REPLICAS}underreplicatedpartitions",
                                "Partitions led here whose ISR is smaller than their replica set",
                                value=counts.under_replicated)
        yield GaugeMetricFamily(f"{_REPLICAS}offlinereplicacount", "Replicas in an offline log directory",
                                value=counts.offline)
        yield CounterMetricFamily(f"{_REPLICAS}isrshrinks", "ISR shrinks the controller accepted",
                                  value=counts.isr_shrinks)
        yield CounterMetricFamily(f"{_REPLICAS}isrexpands", "ISR expansions the controller accepted",
                                  value=counts.isr_expands)
        metadata = self.broker.metadata
        active = metadata.controller_id == self.broker.config.node_id
        offline = 0
        if active:
            every = ((topic.name, index) for topic in list(metadata.topics()) for index in range(topic.num_partitions))
            for row in paced(every):
                if row is PAUSE:
                    yield PAUSE
                    continue
                partition = metadata.partition(*row)
                if partition is not None and partition.leader < 0:
                    offline += 1
        yield GaugeMetricFamily(f"{_CONTROLLER}activecontrollercount", "1 on the active controller",
                                value=int(active))
        yield GaugeMetricFamily(f"{_CONTROLLER}offlinepartitionscount", "Partitions without a leader "
                                "(reported by the controller)", value=offline)
