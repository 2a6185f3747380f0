"""Feature levels (KIP-584): what this broker supports and has turned on, as ApiVersions reports them.

Kafka gates behaviour that a whole cluster must agree on behind *features*, each a level the
brokers support a range of and the cluster *finalizes* one of. Kafka 4.3 turns share groups
(KIP-932) on with ``share.version`` 1, which a cluster formatted by 4.2 or later has by default;
``kafka-storage format --feature share.version=0`` formats one without them. Here the level is the
property ``share.version`` (default 1, as Kafka 4.3's), read at start-up.

As in Kafka, the share APIs are advertised whatever the level: with share groups off they answer
UNSUPPORTED_VERSION, and ApiVersions finalizes no ``share.version`` (a level-0 feature is not
listed). Only ``share.version`` is reported: the other features a KRaft cluster finalizes
(metadata.version, group.version, ...) describe a KRaft controller odradek does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from .startup_error import ConfigError

SHARE_VERSION = "share.version"
SHARE_VERSION_LEVELS = (0, 1)  # 1: share groups (KIP-932)
DEFAULT_SHARE_VERSION = 1
FINALIZED_EPOCH = 0  # the levels are fixed at start-up: one epoch for the broker's life


@dataclass(frozen=True)
class Features:
    share_version: int = DEFAULT_SHARE_VERSION

    @classmethod
    def from_broker(cls, config) -> "Features":
        text = config.get(SHARE_VERSION, str(DEFAULT_SHARE_VERSION)).strip()
        try:
            level = int(text)
        except ValueError:
            level = None
        if level not in SHARE_VERSION_LEVELS:
            raise ConfigError(f"Invalid value {text} for configuration {SHARE_VERSION}: the supported feature levels "
                              f"are {SHARE_VERSION_LEVELS[0]} to {SHARE_VERSION_LEVELS[-1]}")
        return cls(share_version=level)

    @property
    def share_groups_enabled(self) -> bool:
        return self.share_version >= 1

    def api_versions_fields(self) -> dict:
        """ApiVersions' (v3+) supported and finalized features."""
        finalized = [{"name": SHARE_VERSION, "max_version_level": self.share_version,
                      "min_version_level": self.share_version}] if self.share_version > 0 else []
        return {
            "supported_features": [{"name": SHARE_VERSION, "min_version": SHARE_VERSION_LEVELS[0],
                                    "max_version": SHARE_VERSION_LEVELS[-1]}],
            "finalized_features_epoch": FINALIZED_EPOCH,
            "finalized_features": finalized,
        }
