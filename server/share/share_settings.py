"""A share group's settings, by Kafka's group config names (``share.*``), whose defaults are the
broker's ``group.share.*`` settings.

``share.auto.offset.reset`` decides where a share partition starts when the group first reads it
(``latest``, ``earliest``, or ``by_duration:<ISO-8601 duration>``, records from that long ago);
``share.isolation.level`` whether records of open or aborted transactions are delivered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LATEST = "latest"
EARLIEST = "earliest"
BY_DURATION = "by_duration"
READ_UNCOMMITTED = "read_uncommitted"
READ_COMMITTED = "read_committed"

_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", re.IGNORECASE)


@dataclass(frozen=True)
class ShareSettings:
    record_lock_duration_ms: int = 30_000
    delivery_count_limit: int = 5
    partition_max_record_locks: int = 2_000
    auto_offset_reset: str = LATEST
    isolation_level: str = READ_UNCOMMITTED
    renew_acknowledge_enable: bool = True

    @property
    def read_committed(self) -> bool:
        return self.isolation_level == READ_COMMITTED

    def reset_duration_ms(self) -> int | None:
        """For ``by_duration:<duration>``, the duration in ms; None for the other strategies."""
        strategy, _, duration = self.auto_offset_reset.partition(":")
        if strategy.strip().lower() != BY_DURATION:
            return None
        return parse_duration_ms(duration.strip())

    @classmethod
    def from_broker(cls, config) -> ShareSettings:
        """The broker's ``group.share.*`` defaults (the group-level keys have no broker default
        for the reset strategy and isolation level: Kafka's are latest, read_uncommitted)."""
        return cls(
            record_lock_duration_ms=config.get_int("group.share.record.lock.duration.ms", 30_000),
            delivery_count_limit=config.get_int("group.share.delivery.count.limit", 5),
            partition_max_record_locks=config.get_int("group.share.partition.max.record.locks", 2_000),
        )


def parse_duration_ms(text: str) -> int:
    """An ISO-8601 duration as Java's ``Duration.parse`` reads it (days, hours, minutes,
    seconds), in milliseconds; ValueError otherwise."""
    match = _DURATION.fullmatch(text)
    if not match or text.upper() in ("P", "PT") or text.upper().endswith("T"):
        raise ValueError(f"not an ISO-8601 duration: {text!r}")
    days, hours, minutes, seconds = (float(group) if group else 0.0 for group in match.groups())
    return int(((days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000)
