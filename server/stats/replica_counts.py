"""This broker's replicas as Kafka's ReplicaManager metrics count them, asked of ``broker.replicas``
(``LocalReplicas`` or the cluster's ``ReplicaManager``) when the metrics are scraped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReplicaCounts:
    partitions: int  # replicas hosted here, online (PartitionCount)
    leaders: int  # of which this broker leads (LeaderCount)
    under_replicated: int  # led here with fewer in-sync replicas than replicas
    offline: int  # hosted in an offline log directory (OfflineReplicaCount)
    isr_shrinks: int = 0  # ISR changes the controller accepted since start-up
    isr_expands: int = 0
