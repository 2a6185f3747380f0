"""A share group's settings, by Kafka's group config names (``share.*``) and with Kafka's defaults;
a group's come from its group configs (``share_group_view``).

``share.auto.offset.reset`` decides where a share partition starts when the group first reads it
(``latest``, ``earliest``, or ``by_duration:<ISO-8601 duration>``, records from that long ago);
``share.isolation.level`` whether records of open or aborted transactions are delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..group_config_defs import duration_seconds

LATEST = "latest"
EARLIEST = "earliest"
BY_DURATION = "by_duration"
READ_UNCOMMITTED = "read_uncommitted"
READ_COMMITTED = "read_committed"


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
        """For ``by_duration:<ISO-8601 duration>``, the duration in ms (group configs accept only
        well-formed ones); None for the other strategies."""
        strategy, _, duration = self.auto_offset_reset.partition(":")
        if strategy != BY_DURATION:
            return None
        seconds = duration_seconds(duration)
        return None if seconds is None else int(seconds * 1000)

