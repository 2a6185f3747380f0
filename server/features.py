"""Feature levels (KIP-584): what this broker supports and has turned on, as ApiVersions reports them.

Kafka gates behaviour that a whole cluster must agree on behind *features*, each a level the
brokers support a range of and the cluster *finalizes* one of. Kafka 4.3 turns share groups
(KIP-932) on with ``share.version`` 1, which a cluster formatted by 4.2 or later has by default;
``kafka-storage format --feature share.version=0`` formats one without them. Here the level is the
property ``share.version`` (default 1, as Kafka 4.3's), read at start-up.

Streams groups (KIP-1071) are likewise ``streams.version`` 1 (Kafka 4.2's production level, which
a 4.2+ cluster has by default): Kafka's broker serves StreamsGroupHeartbeat only when the level is
1 or more, and Kafka Streams with ``group.protocol=streams`` needs the API advertised.

As in Kafka, the share and streams APIs are advertised whatever the level: with the groups off
they answer UNSUPPORTED_VERSION, and ApiVersions does not finalize the feature (a level-0
feature is not listed). Only ``share.version`` and ``streams.version`` are reported: the other
features a KRaft cluster finalizes (metadata.version, group.version, ...) describe a KRaft
controller odradek does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from .startup_error import ConfigError

SHARE_VERSION = "share.version"
SHARE_VERSION_LEVELS = (0, 1)  # 1: share groups (KIP-932)
DEFAULT_SHARE_VERSION = 1
STREAMS_VERSION = "streams.version"
STREAMS_VERSION_LEVELS = (0, 1)  # 1: streams groups (KIP-1071)
DEFAULT_STREAMS_VERSION = 1
FINALIZED_EPOCH = 0  # the levels are fixed at start-up: one epoch for the broker's life


@dataclass(frozen=True)
class Features:
    share_version: int = DEFAULT_SHARE_VERSION
    streams_version: int = DEFAULT_STREAMS_VERSION

    @classmethod
    def from_broker(cls, config) -> "Features":
        return cls(share_version=_level(config, SHARE_VERSION, DEFAULT_SHARE_VERSION, SHARE_VERSION_LEVELS),
                   streams_version=_level(config, STREAMS_VERSION, DEFAULT_STREAMS_VERSION, STREAMS_VERSION_LEVELS))

    @property
    def streams_groups_enabled(self) -> bool:
        return self.streams_version >= 1

    @property
    def share_groups_enabled(self) -> bool:
        return self.share_version >= 1

    def api_versions_fields(self) -> dict:
        """ApiVersions' (v3+) supported and finalized features."""
        finalized = [{"name": name, "max_version_level": level, "min_version_level": level}
                     for name, level in ((SHARE_VERSION, self.share_version), (STREAMS_VERSION, self.streams_version))
                     if level > 0]
        return {
            "supported_features": [{"name": SHARE_VERSION, "min_version": SHARE_VERSION_LEVELS[0],
                                    "max_version": SHARE_VERSION_LEVELS[-1]},
                                   {"name": STREAMS_VERSION, "min_version": STREAMS_VERSION_LEVELS[0],
                                    "max_version": STREAMS_VERSION_LEVELS[-1]}],
            "finalized_features_epoch": FINALIZED_EPOCH,
            "finalized_features": finalized,
        }


def _level(config, name: str, default: int, levels: tuple[int, ...]) -> int:
    text = config.get(name, str(default)).strip()
    try:
        level = int(text)
    except ValueError:
        level = None
    if level not in levels:
        raise ConfigError(f"Invalid value {text} for configuration {name}: the supported feature levels "
                          f"are {levels[0]} to {levels[-1]}")
    return level
