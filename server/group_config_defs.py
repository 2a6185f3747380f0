"""Kafka 4.3's per-group configs (the GROUP config resource), as data: names, types, defaults, checks.

A consumer, share or streams group may have settings of its own, set with IncrementalAlterConfigs
on the resource of type GROUP (``kafka-configs --entity-type groups --entity-name G``). Each of
them but three stands for a broker setting named after it, its *synonym*
(``consumer.session.timeout.ms`` for ``group.consumer.session.timeout.ms``), which a group without
its own value follows; ``share.auto.offset.reset``, ``share.isolation.level`` and
``share.renew.acknowledge.enable`` have no broker setting, only Kafka's default.

Kafka checks a group's whole new set of configs, merged over the broker's settings, in a fixed
order (``check_group_configs``): every name must be one of these, every value must parse and pass
its own validator (``consumer.session.timeout.ms`` at least 1), then each value must lie within
the broker's bounds for it (``group.consumer.min.session.timeout.ms`` ..
``group.consumer.max.session.timeout.ms``), and a session timeout must exceed its heartbeat
interval. The assignment intervals are held to their bounds only when the group sets them. Every
refusal is INVALID_CONFIG with Kafka's message.

The broker's bounds may narrow after a group's value was accepted (a restart with other settings):
a group's *effective* value is then clamped into them, as Kafka's ``GroupConfig.evaluate`` does
(``effective_values``), with a warning.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from odradek.storage.config_def import ConfigDef, at_least, one_of
from odradek.storage.errors import InvalidConfigError

log = logging.getLogger("odradek.groups")

#: The DescribeConfigs source of a value set on the group itself (Kafka's GROUP_CONFIG).
GROUP_CONFIG = 8

#: Broker settings the group configs fall back to or are bounded by, with Kafka's defaults.
BROKER_DEFAULTS: dict[str, str] = {
    "group.consumer.session.timeout.ms": "45000",
    "group.consumer.min.session.timeout.ms": "45000",
    "group.consumer.max.session.timeout.ms": "60000",
    "group.consumer.heartbeat.interval.ms": "5000",
    "group.consumer.min.heartbeat.interval.ms": "5000",
    "group.consumer.max.heartbeat.interval.ms": "15000",
    "group.consumer.assignment.interval.ms": "1000",
    "group.consumer.min.assignment.interval.ms": "0",
    "group.consumer.max.assignment.interval.ms": "15000",
    "group.share.session.timeout.ms": "45000",
    "group.share.min.session.timeout.ms": "45000",
    "group.share.max.session.timeout.ms": "60000",
    "group.share.heartbeat.interval.ms": "5000",
    "group.share.min.heartbeat.interval.ms": "5000",
    "group.share.max.heartbeat.interval.ms": "15000",
    "group.share.record.lock.duration.ms": "30000",
    "group.share.min.record.lock.duration.ms": "15000",
    "group.share.max.record.lock.duration.ms": "60000",
    "group.share.delivery.count.limit": "5",
    "group.share.min.delivery.count.limit": "2",
    "group.share.max.delivery.count.limit": "10",
    "group.share.partition.max.record.locks": "2000",
    "group.share.min.partition.max.record.locks": "100",
    "group.share.max.partition.max.record.locks": "4000",
    "group.share.assignment.interval.ms": "1000",
    "group.share.min.assignment.interval.ms": "0",
    "group.share.max.assignment.interval.ms": "15000",
    "group.streams.session.timeout.ms": "45000",
    "group.streams.min.session.timeout.ms": "45000",
    "group.streams.max.session.timeout.ms": "60000",
    "group.streams.heartbeat.interval.ms": "5000",
    "group.streams.min.heartbeat.interval.ms": "5000",
    "group.streams.max.heartbeat.interval.ms": "15000",
    "group.streams.num.standby.replicas": "0",
    "group.streams.max.standby.replicas": "2",
    "group.streams.initial.rebalance.delay.ms": "3000",
    "group.streams.assignment.interval.ms": "1000",
    "group.streams.min.assignment.interval.ms": "0",
    "group.streams.max.assignment.interval.ms": "15000",
}


class GroupConfigError(Exception):
    """A group config change Kafka refuses (always INVALID_CONFIG), with Kafka's message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- share.auto.offset.reset: earliest, latest, or by_duration:<ISO-8601 duration> ---------------

# Java's Duration.parse format: [sign]P[nD][T[nH][nM][n[.f]S]], letters in either case.
_DURATION = re.compile(r"([-+]?)P(?:([-+]?\d+)D)?"
                       r"(T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?", re.IGNORECASE)


def duration_seconds(text: str) -> float | None:
    """An ISO-8601 duration as Java's ``Duration.parse`` reads it, in seconds; None if malformed."""
    match = _DURATION.fullmatch(text)
    if match is None:
        return None
    sign, days, time_part, hours, minutes, seconds, fraction = match.groups()
    if days is None and hours is None and minutes is None and seconds is None:
        return None  # "P" or "PT": no amount at all
    if time_part is not None and time_part.upper() == "T":
        return None  # a "T" must be followed by an amount
    total = int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    if fraction:
        part = int(fraction.ljust(9, "0")) / 1e9
        total += -part if (seconds or "").startswith("-") else part
    return -total if sign == "-" else total


def _offset_reset(value: str) -> str | None:
    """Kafka's check of ``share.auto.offset.reset`` (ShareGroupAutoOffsetResetStrategy.Validator):
    ``none``, which consumers accept, is no strategy for a share group."""
    if value in ("earliest", "latest"):
        return None
    if value.startswith("by_duration:"):
        seconds = duration_seconds(value[len("by_duration:"):])
        if seconds is not None and seconds >= 0:
            return None
    return (f"Invalid value `{value}` for configuration share.auto.offset.reset. The value must be either "
            f"'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.")


# --- the group configs ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupConfigDef:
    """One per-group config: its definition (type, Kafka's default, own validator), the broker
    setting it stands for (None: only Kafka's default), the broker settings bounding it, whether
    the bounds are checked only when the group sets it, and a line saying what it does."""

    config: ConfigDef
    synonym: str | None
    min_name: str | None
    max_name: str | None
    doc: str
    bounded_when_set_only: bool = False

    @property
    def name(self) -> str:
        return self.config.name


def _int(name: str, minimum: int, synonym: str, doc: str, *, bounds: tuple[str | None, str | None] | None = None,
         when_set_only: bool = False) -> GroupConfigDef:
    """An int group config; its bounds are ``group.<kind>.min.<rest>`` and ``group.<kind>.max.<rest>``
    unless given."""
    if bounds is None:
        kind, rest = synonym.removeprefix("group.").split(".", 1)
        bounds = (f"group.{kind}.min.{rest}", f"group.{kind}.max.{rest}")
    return GroupConfigDef(ConfigDef(name, "int", BROKER_DEFAULTS[synonym], validator=at_least(minimum)),
                          synonym, bounds[0], bounds[1], doc, when_set_only)


#: Kafka's per-group configs, in the order Kafka defines (and so parses and checks) them.
GROUP_CONFIG_DEFS: tuple[GroupConfigDef, ...] = (
    _int("consumer.session.timeout.ms", 1, "group.consumer.session.timeout.ms",
         "How long a consumer group member may go without a heartbeat before it is removed from the group."),
    _int("consumer.heartbeat.interval.ms", 1, "group.consumer.heartbeat.interval.ms",
         "How often the members of a consumer group are told to heartbeat."),
    _int("consumer.assignment.interval.ms", 0, "group.consumer.assignment.interval.ms",
         "The least time between two computations of a consumer group's target assignment.", when_set_only=True),
    _int("share.session.timeout.ms", 1, "group.share.session.timeout.ms",
         "How long a share group member may go without a heartbeat before it is removed from the group."),
    _int("share.heartbeat.interval.ms", 1, "group.share.heartbeat.interval.ms",
         "How often the members of a share group are told to heartbeat."),
    _int("share.record.lock.duration.ms", 1000, "group.share.record.lock.duration.ms",
         "How long a share consumer holds the records it acquired before they become available again."),
    _int("share.delivery.count.limit", 2, "group.share.delivery.count.limit",
         "How many times a record is delivered to a share group before it is archived as undeliverable."),
    _int("share.partition.max.record.locks", 100, "group.share.partition.max.record.locks",
         "The most records of one share-partition that may be acquired and not yet acknowledged."),
    GroupConfigDef(ConfigDef("share.auto.offset.reset", "string", "latest", validator=_offset_reset), None, None, None,
                   "Where a share-partition with no state starts: earliest, latest, or by_duration:<duration> "
                   "back from now (an ISO-8601 duration)."),
    GroupConfigDef(ConfigDef("share.isolation.level", "string", "read_uncommitted",
                             validator=one_of("read_committed", "read_uncommitted")), None, None, None,
                   "Whether a share group is given the records of aborted transactions (read_uncommitted) "
                   "or only committed ones (read_committed)."),
    GroupConfigDef(ConfigDef("share.renew.acknowledge.enable", "boolean", "true"), None, None, None,
                   "Whether share consumers of the group may renew the lock on records they hold."),
    _int("share.assignment.interval.ms", 0, "group.share.assignment.interval.ms",
         "The least time between two computations of a share group's target assignment.", when_set_only=True),
    _int("streams.session.timeout.ms", 1, "group.streams.session.timeout.ms",
         "How long a streams group member may go without a heartbeat before it is removed from the group."),
    _int("streams.heartbeat.interval.ms", 1, "group.streams.heartbeat.interval.ms",
         "How often the members of a streams group are told to heartbeat."),
    _int("streams.num.standby.replicas", 0, "group.streams.num.standby.replicas",
         "How many standby replicas of each task a streams group keeps.",
         bounds=(None, "group.streams.max.standby.replicas")),
    _int("streams.initial.rebalance.delay.ms", 0, "group.streams.initial.rebalance.delay.ms",
         "How long a new streams group waits for more members before its first assignment.", bounds=(None, None)),
    _int("streams.assignment.interval.ms", 0, "group.streams.assignment.interval.ms",
         "The least time between two computations of a streams group's target assignment.", when_set_only=True),
)
GROUP_CONFIGS: dict[str, GroupConfigDef] = {d.name: d for d in GROUP_CONFIG_DEFS}

#: The order in which Kafka holds values to the broker's bounds (GroupConfig.validateValues).
_BOUND_CHECK_ORDER = (
    "consumer.heartbeat.interval.ms", "consumer.session.timeout.ms", "consumer.assignment.interval.ms",
    "share.heartbeat.interval.ms", "share.session.timeout.ms", "share.record.lock.duration.ms",
    "share.delivery.count.limit", "share.partition.max.record.locks", "share.assignment.interval.ms",
    "streams.heartbeat.interval.ms", "streams.session.timeout.ms", "streams.num.standby.replicas",
    "streams.assignment.interval.ms",
)
#: Each group kind's session timeout must exceed its heartbeat interval.
_SESSION_AND_HEARTBEAT = tuple((f"{kind}.session.timeout.ms", f"{kind}.heartbeat.interval.ms")
                               for kind in ("consumer", "share", "streams"))


def definition(name: str) -> ConfigDef | None:
    """The ConfigDef of a group config name, None for a name Kafka does not know."""
    found = GROUP_CONFIGS.get(name)
    return None if found is None else found.config


def broker_setting(broker_props: Mapping[str, str], name: str) -> int:
    """A broker setting of ``BROKER_DEFAULTS`` (start-up checked its type), as an int."""
    return int(broker_props.get(name, BROKER_DEFAULTS[name]).strip())


def check_group_configs(configs: Mapping[str, str], broker_props: Mapping[str, str]) -> None:
    """Raise GroupConfigError unless ``configs`` may become a group's whole set of configs, given
    the broker's (effective) properties: Kafka's GroupConfig.validate, in its order."""
    unknown = [name for name in configs if name not in GROUP_CONFIGS]
    if unknown:
        raise GroupConfigError(f"Unknown group config name: {unknown[0]}")
    merged = {d.name: broker_props.get(d.synonym, BROKER_DEFAULTS[d.synonym])
              for d in GROUP_CONFIG_DEFS if d.synonym is not None and not d.bounded_when_set_only}
    merged.update(configs)
    values: dict[str, Any] = {}
    for d in GROUP_CONFIG_DEFS:
        try:
            values[d.name] = d.config.parse(merged.get(d.name, d.config.default))
        except InvalidConfigError as exc:
            raise GroupConfigError(str(exc)) from None
    for name in _BOUND_CHECK_ORDER:
        d = GROUP_CONFIGS[name]
        if d.bounded_when_set_only and name not in configs:
            continue
        if d.min_name is not None and values[name] < broker_setting(broker_props, d.min_name):
            raise GroupConfigError(f"{name} must be greater than or equal to {d.min_name}")
        if d.max_name is not None and values[name] > broker_setting(broker_props, d.max_name):
            raise GroupConfigError(f"{name} must be less than or equal to {d.max_name}")
    for session, heartbeat in _SESSION_AND_HEARTBEAT:
        if values[session] <= values[heartbeat]:
            raise GroupConfigError(f"{session} must be greater than {heartbeat}")


def effective_values(group_id: str, configs: Mapping[str, str], broker_props: Mapping[str, str]) -> dict[str, Any]:
    """Every group config's typed value for a group: its own (clamped into the broker's current
    bounds, with a warning, as Kafka's GroupConfig.evaluate does), else the broker's setting, else
    Kafka's default. A value the group keeps that no longer parses (it cannot have been accepted)
    is left out, in favour of the broker's."""
    values: dict[str, Any] = {}
    for d in GROUP_CONFIG_DEFS:
        if d.synonym is None:
            value = d.config.parse(d.config.default)
        else:  # InvalidConfigError naming the broker setting if it cannot be a group's value
            value = d.config.parse(broker_props.get(d.synonym, BROKER_DEFAULTS[d.synonym]), label=d.synonym)
        if d.name in configs:
            try:
                value = _clamped(group_id, d, d.config.parse(configs[d.name]), broker_props)
            except InvalidConfigError as exc:
                log.warning("Ignoring the config %s of group %s: %s", d.name, group_id, exc)
        values[d.name] = value
    return values


def _clamped(group_id: str, d: GroupConfigDef, value: Any, broker_props: Mapping[str, str]) -> Any:
    if d.min_name is not None:
        low = broker_setting(broker_props, d.min_name)
        if value < low:
            log.warning("The group config '%s' for group '%s' has value %s which is below the broker's allowed "
                        "minimum %s. The effective value will be capped to %s.", d.name, group_id, value, low, low)
            return low
    if d.max_name is not None:
        high = broker_setting(broker_props, d.max_name)
        if value > high:
            log.warning("The group config '%s' for group '%s' has value %s which exceeds the broker's allowed "
                        "maximum %s. The effective value will be capped to %s.", d.name, group_id, value, high, high)
            return high
    return value
