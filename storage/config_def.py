"""Declarative definition of one Kafka config key: its type, default and validation.

Kafka configs travel as strings (server.properties, CreateTopics, AlterConfigs)
and are parsed by type exactly once; a ``ConfigDef`` knows how to turn such a
string into a typed value, how to check it, and how to print a typed value back
the way Kafka's DescribeConfigs shows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import InvalidConfigError

#: Kafka's config types, by the names ``ConfigDef.type`` uses.
CONFIG_TYPES = ("boolean", "string", "int", "short", "long", "double", "list", "class", "password")
_INTEGER_BOUNDS = {"short": 1 << 15, "int": 1 << 31, "long": 1 << 63}
_INTEGER_TEXT = re.compile(r"[+-]?\d+")

#: A validator returns an error message for a bad typed value, or None.
Validator = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class BrokerSynonym:
    """A broker property that supplies a topic config's value when the topic has no override.

    ``default`` is the broker's own default for that property (None when Kafka
    leaves it unset, e.g. ``log.retention.ms``); ``scale`` converts its unit to
    the topic config's (``log.retention.hours`` → milliseconds).
    """

    name: str
    default: str | None = None
    scale: int = 1


@dataclass(frozen=True)
class ConfigDef:
    """One config key. ``default`` is Kafka's topic-level default, as a string."""

    name: str
    type: str
    default: str | None
    broker_synonyms: tuple[BrokerSynonym, ...] = ()
    validator: Validator | None = None
    internal: bool = False  # accepted, but hidden from DescribeConfigs (Kafka's defineInternal)

    def __post_init__(self) -> None:
        if self.type not in CONFIG_TYPES:
            raise ValueError(f"{self.name}: unknown config type {self.type!r}")

    @property
    def broker_synonym(self) -> str | None:
        """The broker property with the highest priority, e.g. ``log.segment.bytes``."""
        return self.broker_synonyms[0].name if self.broker_synonyms else None

    @property
    def sensitive(self) -> bool:
        return self.type == "password"

    def parse(self, text: str | None, *, scale: int = 1, label: str | None = None) -> Any:
        """Parse and validate ``text``; raise InvalidConfigError with Kafka's wording.

        ``scale`` multiplies integer values (for unit-converting broker synonyms);
        ``label`` names the property in messages when it is not ``self.name``.
        """
        label = label or self.name
        if text is None:
            raise InvalidConfigError(f"Null value not supported for config {label}")
        value = self._parse_type(text.strip(), label)
        if scale != 1:
            value *= scale
        problem = self.validator(value) if self.validator else None
        if problem:
            raise _invalid(label, text, problem)
        return value

    def to_string(self, value: Any) -> str:
        """Print a typed value as Kafka's DescribeConfigs does."""
        if self.type == "boolean":
            return "true" if value else "false"
        if self.type == "list":
            return ",".join(value)
        return str(value)

    def _parse_type(self, text: str, label: str) -> Any:
        if self.type == "boolean":
            lowered = text.lower()
            if lowered not in ("true", "false"):
                raise _invalid(label, text, "Expected value to be either true or false")
            return lowered == "true"
        if self.type in _INTEGER_BOUNDS:
            bound = _INTEGER_BOUNDS[self.type]
            if not _INTEGER_TEXT.fullmatch(text) or not -bound <= int(text) < bound:
                raise _invalid(label, text, f"Not a number of type {self.type.upper()}")
            return int(text)
        if self.type == "double":
            try:
                return float(text)
            except ValueError:
                raise _invalid(label, text, "Not a number of type DOUBLE") from None
        if self.type == "list":
            return tuple(item.strip() for item in text.split(",")) if text else ()
        return text


def _invalid(name: str, value: Any, message: str) -> InvalidConfigError:
    return InvalidConfigError(f"Invalid value {value} for configuration {name}: {message}")


def at_least(minimum: int) -> Validator:
    return lambda value: None if value >= minimum else f"Value must be at least {minimum}"


def between(low: float, high: float) -> Validator:
    def check(value: Any) -> str | None:
        if value < low:
            return f"Value must be no less than {low}"
        if value > high:
            return f"Value must be no more than {high}"
        return None

    return check


def one_of(*choices: str) -> Validator:
    return lambda value: None if value in choices else f"String must be one of: {', '.join(choices)}"


def list_of(*choices: str) -> Validator:
    """Each element is one of ``choices``, none repeated."""

    def check(values: tuple[str, ...]) -> str | None:
        for value in values:
            if value not in choices:
                return f"String must be one of: {', '.join(choices)}"
        if len(set(values)) != len(values):
            return "Values must not be duplicated"
        return None

    return check


def level_or_default(low: int, high: int, default: int) -> Validator:
    """A compression level in [low, high], or the codec's 'library default' marker."""
    return lambda value: (
        None if low <= value <= high or value == default else f"Value must be between {low} and {high} or {default}"
    )


_REPLICA = re.compile(r"\d+:\d+")


def throttled_replicas(values: tuple[str, ...]) -> str | None:
    """Kafka's throttled-replica lists: ``*`` or ``partition:broker`` pairs."""
    if values == ("*",) or all(_REPLICA.fullmatch(value) for value in values):
        return None
    return (
        "must be the literal '*' or a list of replicas in the following format: "
        "[partitionId]:[brokerId],[partitionId]:[brokerId],..."
    )
