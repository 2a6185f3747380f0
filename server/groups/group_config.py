"""Group coordinator settings, by Kafka's broker property names and defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupConfig:
    initial_rebalance_delay_ms: int = 3000
    min_session_timeout_ms: int = 6000
    max_session_timeout_ms: int = 1800000
    max_size: int = 2147483647
    offset_metadata_max_bytes: int = 4096
    offsets_retention_ms: int = 10080 * 60_000
    offsets_retention_check_interval_ms: int = 600_000
    offset_commit_timeout_ms: int = 5000  # how long a write waits for the ISR

    @classmethod
    def from_broker(cls, config) -> "GroupConfig":
        return cls(
            initial_rebalance_delay_ms=config.get_int("group.initial.rebalance.delay.ms", 3000),
            min_session_timeout_ms=config.get_int("group.min.session.timeout.ms", 6000),
            max_session_timeout_ms=config.get_int("group.max.session.timeout.ms", 1800000),
            max_size=config.get_int("group.max.size", 2147483647),
            offset_metadata_max_bytes=config.get_int("offset.metadata.max.bytes", 4096),
            offsets_retention_ms=config.get_int("offsets.retention.minutes", 10080) * 60_000,
            offsets_retention_check_interval_ms=config.get_int("offsets.retention.check.interval.ms", 600_000),
            offset_commit_timeout_ms=config.get_int("offsets.commit.timeout.ms", 5000),
        )
