"""Settings of the consumer group protocol (KIP-848), by Kafka's broker property names and defaults.

Unlike the classic protocol, the broker, not the client, sets the session timeout and the
heartbeat interval of every member, and picks the assignor: the first of
``group.consumer.assignors`` unless the members ask for another one of the list.
``group.consumer.migration.policy`` says which way a group may move between the classic and the
consumer protocol (see ``group_migration``). Kafka refuses
to start with a session timeout or heartbeat interval outside their min/max settings, or a
heartbeat interval that is not shorter than the session timeout; so does this.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..startup_error import ConfigError
from .assignors import ASSIGNORS

# Kafka also accepts its assignors' class names in ``group.consumer.assignors``.
_CLASS_NAMES = {
    "org.apache.kafka.coordinator.group.assignor.UniformAssignor": "uniform",
    "org.apache.kafka.coordinator.group.assignor.RangeAssignor": "range",
}


class MigrationPolicy(enum.Enum):
    BIDIRECTIONAL = "bidirectional"
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    DISABLED = "disabled"

    @property
    def upgrades(self) -> bool:
        return self in (MigrationPolicy.BIDIRECTIONAL, MigrationPolicy.UPGRADE)

    @property
    def downgrades(self) -> bool:
        return self in (MigrationPolicy.BIDIRECTIONAL, MigrationPolicy.DOWNGRADE)

    @classmethod
    def parse(cls, text: str) -> "MigrationPolicy":
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"group.consumer.migration.policy must be one of "
                             f"{', '.join(p.value for p in cls)}, not {text!r}") from None


@dataclass(frozen=True)
class ConsumerGroupConfig:
    session_timeout_ms: int = 45_000
    min_session_timeout_ms: int = 45_000
    max_session_timeout_ms: int = 60_000
    heartbeat_interval_ms: int = 5_000
    min_heartbeat_interval_ms: int = 5_000
    max_heartbeat_interval_ms: int = 15_000
    assignment_interval_ms: int = 1_000  # KIP-1263: a new target at most this often (0: at every change)
    assignors: tuple[str, ...] = ("uniform", "range")
    max_size: int = 2147483647
    migration_policy: MigrationPolicy = MigrationPolicy.BIDIRECTIONAL  # which way groups may change protocol

    def __post_init__(self):
        unknown = [name for name in self.assignors if name not in ASSIGNORS]
        if unknown or not self.assignors:
            raise ValueError(f"group.consumer.assignors must list assignors among {sorted(ASSIGNORS)}, "
                             f"not {list(self.assignors)}")
        _require_within("group.consumer.session.timeout.ms", self.session_timeout_ms,
                        "group.consumer.min.session.timeout.ms", self.min_session_timeout_ms,
                        "group.consumer.max.session.timeout.ms", self.max_session_timeout_ms)
        _require_within("group.consumer.heartbeat.interval.ms", self.heartbeat_interval_ms,
                        "group.consumer.min.heartbeat.interval.ms", self.min_heartbeat_interval_ms,
                        "group.consumer.max.heartbeat.interval.ms", self.max_heartbeat_interval_ms)
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            raise ValueError("group.consumer.heartbeat.interval.ms must be less than "
                             "group.consumer.session.timeout.ms")

    @property
    def default_assignor(self) -> str:
        return self.assignors[0]

    @classmethod
    def from_broker(cls, config) -> "ConsumerGroupConfig":
        """The broker's settings; a ConfigError (one line at start-up) for a combination Kafka refuses."""
        try:
            return cls._from_broker(config)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    @classmethod
    def _from_broker(cls, config) -> "ConsumerGroupConfig":
        names = config.get("group.consumer.assignors", "uniform,range")
        return cls(
            session_timeout_ms=config.get_int("group.consumer.session.timeout.ms", 45_000),
            min_session_timeout_ms=config.get_int("group.consumer.min.session.timeout.ms", 45_000),
            max_session_timeout_ms=config.get_int("group.consumer.max.session.timeout.ms", 60_000),
            heartbeat_interval_ms=config.get_int("group.consumer.heartbeat.interval.ms", 5_000),
            min_heartbeat_interval_ms=config.get_int("group.consumer.min.heartbeat.interval.ms", 5_000),
            max_heartbeat_interval_ms=config.get_int("group.consumer.max.heartbeat.interval.ms", 15_000),
            assignment_interval_ms=config.get_int("group.consumer.assignment.interval.ms", 1_000),
            assignors=tuple(_CLASS_NAMES.get(name.strip(), name.strip()) for name in names.split(",") if name.strip()),
            max_size=config.get_int("group.consumer.max.size", 2147483647),
            migration_policy=MigrationPolicy.parse(config.get("group.consumer.migration.policy", "bidirectional")),
        )


def _require_within(name: str, value: int, min_name: str, low: int, max_name: str, high: int) -> None:
    if low > high:
        raise ValueError(f"{max_name} must be greater than or equal to {min_name}")
    if value < low:
        raise ValueError(f"{name} must be greater than or equal to {min_name}")
    if value > high:
        raise ValueError(f"{name} must be less than or equal to {max_name}")
