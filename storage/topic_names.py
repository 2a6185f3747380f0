"""Kafka's rules for legal topic names."""

from __future__ import annotations

import re

from .errors import InvalidTopicError

MAX_NAME_LENGTH = 249  # leaves room in a 255-byte file name for "-<partition>" and deletion suffixes
_LEGAL = re.compile(r"[a-zA-Z0-9._-]+")


def validate_topic_name(name: str) -> None:
    """Raise InvalidTopicError unless ``name`` is a legal Kafka topic name."""
    if not name:
        raise InvalidTopicError("Topic name is illegal, it can't be empty")
    if name in (".", ".."):
        raise InvalidTopicError('Topic name cannot be "." or ".."')
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidTopicError(
            f"Topic name is illegal, it can't be longer than {MAX_NAME_LENGTH} characters, topic name: {name}"
        )
    if not _LEGAL.fullmatch(name):
        raise InvalidTopicError(
            f'Topic name "{name}" is illegal, it contains a character other than ASCII alphanumerics, '
            "'.', '_' and '-'"
        )


def collision_key(name: str) -> str:
    """Names equal under this key collide: Kafka's metric names map '.' to '_'."""
    return name.replace(".", "_")
