"""Broker-wide settings of producer state; Kafka has no topic-level override for them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .config_def import ConfigDef, at_least

PRODUCER_ID_EXPIRATION = ConfigDef("producer.id.expiration.ms", "int", "86400000", validator=at_least(1))
_CHECK_INTERVAL = ConfigDef("producer.id.expiration.check.interval.ms", "int", "600000", validator=at_least(1))


@dataclass(frozen=True)
class ProducerStateConfig:
    """``producer_id_expiration_ms``: a producer idle that long (by its batches' timestamps) is
    forgotten unless its transaction is open; partitions look for such producers at most once
    per ``expiration_check_interval_ms``, when they take an append."""

    producer_id_expiration_ms: int = int(PRODUCER_ID_EXPIRATION.default)
    expiration_check_interval_ms: int = int(_CHECK_INTERVAL.default)

    @classmethod
    def from_props(cls, broker_props: Mapping[str, str]) -> ProducerStateConfig:
        """Read the broker properties; raises InvalidConfigError for a bad value."""
        return cls(*(d.parse(broker_props.get(d.name, d.default)) for d in (PRODUCER_ID_EXPIRATION, _CHECK_INTERVAL)))
