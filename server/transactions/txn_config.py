"""Transaction coordinator settings, by Kafka's broker property names and defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TxnConfig:
    max_timeout_ms: int = 900_000
    topic_partitions: int = 50
    topic_segment_bytes: int = 104_857_600
    topic_replication_factor: int = 3
    topic_min_isr: int = 2
    abort_timed_out_interval_ms: int = 10_000
    transactional_id_expiration_ms: int = 604_800_000
    remove_expired_interval_ms: int = 3_600_000
    request_timeout_ms: int = 30_000  # how long a marker write waits for its leader's ISR

    @classmethod
    def from_broker(cls, config) -> TxnConfig:
        return cls(
            max_timeout_ms=config.get_int("transaction.max.timeout.ms", 900_000),
            topic_partitions=config.get_int("transaction.state.log.num.partitions", 50),
            topic_segment_bytes=config.get_int("transaction.state.log.segment.bytes", 104_857_600),
            topic_replication_factor=config.get_int("transaction.state.log.replication.factor", 3),
            topic_min_isr=config.get_int("transaction.state.log.min.isr", 2),
            abort_timed_out_interval_ms=config.get_int(
                "transaction.abort.timed.out.transaction.cleanup.interval.ms", 10_000),
            transactional_id_expiration_ms=config.get_int("transactional.id.expiration.ms", 604_800_000),
            remove_expired_interval_ms=config.get_int(
                "transaction.remove.expired.transaction.cleanup.interval.ms", 3_600_000),
            request_timeout_ms=config.get_int("request.timeout.ms", 30_000),
        )

    def valid_timeout(self, timeout_ms: int) -> bool:
        return 0 < timeout_ms <= self.max_timeout_ms
