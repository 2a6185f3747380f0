"""The ``group.share.*`` broker settings, by Kafka 4.3's names, defaults and validation.

Two families, as in Kafka: the group coordinator's (membership: session timeout, heartbeat
interval, group size, assignor, how often the target may be recomputed) and the share
partitions' (record locks, delivery attempts, share sessions). Most come as a default and a
min/max pair: the default applies to every share group, and a group's own setting
(``kafka-configs --entity-type groups``) must lie within the pair. Kafka refuses to start on a
value outside its range, or on a default outside its pair; so does this, naming the setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from odradek.storage.config_def import ConfigDef, at_least, between
from odradek.storage.errors import InvalidConfigError

from ..startup_error import ConfigError
from .simple_assignor import NAME as SIMPLE

_ASSIGNOR_CLASS = "org.apache.kafka.coordinator.group.assignor.SimpleAssignor"

# attribute -> (property, default, validator); Kafka's ConfigDef for each
_DEFS = {
    "session_timeout_ms": ("group.share.session.timeout.ms", 45_000, at_least(1)),
    "min_session_timeout_ms": ("group.share.min.session.timeout.ms", 45_000, at_least(1)),
    "max_session_timeout_ms": ("group.share.max.session.timeout.ms", 60_000, at_least(1)),
    "heartbeat_interval_ms": ("group.share.heartbeat.interval.ms", 5_000, at_least(1)),
    "min_heartbeat_interval_ms": ("group.share.min.heartbeat.interval.ms", 5_000, at_least(1)),
    "max_heartbeat_interval_ms": ("group.share.max.heartbeat.interval.ms", 15_000, at_least(1)),
    "max_size": ("group.share.max.size", 200, between(1, 1000)),
    "assignment_interval_ms": ("group.share.assignment.interval.ms", 1_000, at_least(0)),
    "min_assignment_interval_ms": ("group.share.min.assignment.interval.ms", 0, at_least(0)),
    "max_assignment_interval_ms": ("group.share.max.assignment.interval.ms", 15_000, at_least(0)),
    "initialize_retry_interval_ms": ("group.share.initialize.retry.interval.ms", 30_000, at_least(1)),
    "record_lock_duration_ms": ("group.share.record.lock.duration.ms", 30_000, between(1000, 3_600_000)),
    "min_record_lock_duration_ms": ("group.share.min.record.lock.duration.ms", 15_000, between(1000, 30_000)),
    "max_record_lock_duration_ms": ("group.share.max.record.lock.duration.ms", 60_000, between(30_000, 3_600_000)),
    "delivery_count_limit": ("group.share.delivery.count.limit", 5, between(2, 10)),
    "min_delivery_count_limit": ("group.share.min.delivery.count.limit", 2, between(2, 5)),
    "max_delivery_count_limit": ("group.share.max.delivery.count.limit", 10, between(5, 25)),
    "partition_max_record_locks": ("group.share.partition.max.record.locks", 2000, between(100, 10_000)),
    "min_partition_max_record_locks": ("group.share.min.partition.max.record.locks", 100, between(100, 2000)),
    "max_partition_max_record_locks": ("group.share.max.partition.max.record.locks", 4000, between(2000, 10_000)),
    "max_share_sessions": ("group.share.max.share.sessions", 2000, at_least(1)),
}


@dataclass(frozen=True)
class ShareGroupConfig:
    session_timeout_ms: int = 45_000
    min_session_timeout_ms: int = 45_000
    max_session_timeout_ms: int = 60_000
    heartbeat_interval_ms: int = 5_000
    min_heartbeat_interval_ms: int = 5_000
    max_heartbeat_interval_ms: int = 15_000
    max_size: int = 200
    assignment_interval_ms: int = 1_000
    min_assignment_interval_ms: int = 0
    max_assignment_interval_ms: int = 15_000
    # Kafka waits at least offsets.commit.timeout.ms before asking again (see from_broker)
    initialize_retry_interval_ms: int = 30_000
    record_lock_duration_ms: int = 30_000
    min_record_lock_duration_ms: int = 15_000
    max_record_lock_duration_ms: int = 60_000
    delivery_count_limit: int = 5
    min_delivery_count_limit: int = 2
    max_delivery_count_limit: int = 10
    partition_max_record_locks: int = 2000
    min_partition_max_record_locks: int = 100
    max_partition_max_record_locks: int = 4000
    max_share_sessions: int = 2000
    assignor: str = SIMPLE

    def __post_init__(self):
        self._require_order("max_heartbeat_interval_ms", ">=", "min_heartbeat_interval_ms")
        self._require_order("heartbeat_interval_ms", ">=", "min_heartbeat_interval_ms")
        self._require_order("heartbeat_interval_ms", "<=", "max_heartbeat_interval_ms")
        self._require_order("max_session_timeout_ms", ">=", "min_session_timeout_ms")
        self._require_order("session_timeout_ms", ">=", "min_session_timeout_ms")
        self._require_order("session_timeout_ms", "<=", "max_session_timeout_ms")
        self._require_order("heartbeat_interval_ms", "<", "session_timeout_ms")
        self._require_order("max_assignment_interval_ms", ">=", "min_assignment_interval_ms")
        self._require_order("assignment_interval_ms", ">=", "min_assignment_interval_ms")
        self._require_order("assignment_interval_ms", "<=", "max_assignment_interval_ms")
        self._require_order("max_delivery_count_limit", ">=", "delivery_count_limit")
        self._require_order("delivery_count_limit", ">=", "min_delivery_count_limit")
        self._require_order("max_partition_max_record_locks", ">=", "partition_max_record_locks")
        self._require_order("partition_max_record_locks", ">=", "min_partition_max_record_locks")
        self._require_order("record_lock_duration_ms", ">=", "min_record_lock_duration_ms")
        self._require_order("max_record_lock_duration_ms", ">=", "record_lock_duration_ms")
        self._require_order("max_share_sessions", ">=", "max_size")

    def _require_order(self, left: str, relation: str, right: str) -> None:
        a, b = getattr(self, left), getattr(self, right)
        holds = {">=": a >= b, "<=": a <= b, "<": a < b}[relation]
        if not holds:
            wording = {">=": "greater than or equal to", "<=": "less than or equal to", "<": "less than"}[relation]
            raise ConfigError(f"{_DEFS[left][0]} must be {wording} {_DEFS[right][0]}")

    @classmethod
    def from_broker(cls, config) -> "ShareGroupConfig":
        """Read and check the broker's settings; ConfigError (one line, naming the setting) if wrong."""
        values = {}
        for attribute, (name, default, validator) in _DEFS.items():
            try:
                values[attribute] = ConfigDef(name, "int", str(default), validator=validator).parse(
                    config.get(name, str(default)))
            except InvalidConfigError as exc:
                raise ConfigError(str(exc)) from None
        values["initialize_retry_interval_ms"] = max(values["initialize_retry_interval_ms"],
                                                     config.get_int("offsets.commit.timeout.ms", 5000))
        assignors = [a.strip() for a in config.get("group.share.assignors", SIMPLE).split(",") if a.strip()]
        if len(assignors) != 1:
            raise ConfigError(f"group.share.assignors must contain exactly one assignor, but found {len(assignors)}")
        if assignors[0] not in (SIMPLE, _ASSIGNOR_CLASS):
            raise ConfigError(f"Invalid value {assignors[0]} for configuration group.share.assignors: "
                              f"odradek has Kafka's {SIMPLE} assignor only")
        return cls(**values)

