"""Replication in cluster mode: partitions led and followed, followers fetching from leaders,
the ISR and the high watermark (Kafka's ReplicaManager, Partition and ReplicaFetcherThread)."""
