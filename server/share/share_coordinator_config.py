"""Share coordinator settings, by Kafka's broker property names and defaults (``share.coordinator.*``)."""

from __future__ import annotations

from dataclasses import dataclass

from odradek.wire.records import COMPRESSION_TYPES


@dataclass(frozen=True)
class ShareCoordinatorConfig:
    topic_partitions: int = 50
    topic_replication_factor: int = 3
    topic_min_isr: int = 2
    topic_segment_bytes: int = 104_857_600
    updates_per_snapshot: int = 500  # ShareUpdate records between two ShareSnapshots of a share partition
    write_timeout_ms: int = 5_000  # how long a write waits for the ISR
    compression: str = "none"
    prune_interval_ms: int = 300_000  # deleting records every key has a newer snapshot of
    cold_snapshot_interval_ms: int = 300_000  # snapshotting share partitions not written for that long

    @classmethod
    def from_broker(cls, config) -> ShareCoordinatorConfig:
        codec = config.get_int("share.coordinator.state.topic.compression.codec", 0)
        if not 0 <= codec < len(COMPRESSION_TYPES):
            raise ValueError(f"share.coordinator.state.topic.compression.codec must be 0-"
                             f"{len(COMPRESSION_TYPES) - 1}, not {codec}")
        updates = config.get_int("share.coordinator.snapshot.update.records.per.snapshot", 500)
        if not 0 <= updates <= 500:
            raise ValueError(f"share.coordinator.snapshot.update.records.per.snapshot must be 0-500, not {updates}")
        return cls(
            topic_partitions=config.get_int("share.coordinator.state.topic.num.partitions", 50),
            topic_replication_factor=config.get_int("share.coordinator.state.topic.replication.factor", 3),
            topic_min_isr=config.get_int("share.coordinator.state.topic.min.isr", 2),
            topic_segment_bytes=config.get_int("share.coordinator.state.topic.segment.bytes", 104_857_600),
            updates_per_snapshot=updates,
            write_timeout_ms=config.get_int("share.coordinator.write.timeout.ms", 5_000),
            compression=COMPRESSION_TYPES[codec],
            prune_interval_ms=config.get_int("share.coordinator.state.topic.prune.interval.ms", 300_000),
            cold_snapshot_interval_ms=config.get_int("share.coordinator.cold.partition.snapshot.interval.ms",
                                                     300_000),
        )
