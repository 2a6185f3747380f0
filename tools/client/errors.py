"""Kafka error codes in answers turned into exceptions the tools can print, and retries of the passing ones."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from odradek.wire import ErrorCode

T = TypeVar("T")


class KafkaError(Exception):
    """A broker answered with a non-zero error code."""

    def __init__(self, code: int, context: str, message: str | None = None):
        self.code = code
        try:
            name = ErrorCode(code).name
        except ValueError:
            name = f"error {code}"
        super().__init__(f"{context}: {name}" + (f" ({message})" if message else ""))


def check(code: int, context: str, message: str | None = None) -> None:
    """Raise ``KafkaError`` unless ``code`` is 0."""
    if code:
        raise KafkaError(code, context, message)


# Errors a client outlives by asking again a moment later, once leadership or a coordinator has
# settled (Kafka answers these right after a topic or group comes into being, or moves).
RETRIABLE = frozenset({
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER,
    ErrorCode.REQUEST_TIMED_OUT, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.UNKNOWN_TOPIC_ID,
    ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_LEADER_EPOCH,
})
RETRY_BACKOFF = 0.05  # seconds
RETRY_TIMEOUT = 15.0


def retrying(action: Callable[[], T], timeout: float = RETRY_TIMEOUT, retriable: frozenset[int] = RETRIABLE) -> T:
    """``action()``, called again after a short backoff while it raises a ``KafkaError`` whose
    code is in ``retriable``.

    Every call routes afresh (metadata and coordinators are looked up per call), so a retry
    reaches the new leader or coordinator."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except KafkaError as exc:
            if exc.code not in retriable or time.monotonic() > deadline:
                raise
        time.sleep(RETRY_BACKOFF)
