"""Kafka error codes in answers turned into exceptions the tools can print."""

from __future__ import annotations

from odradek.wire import ErrorCode


class KafkaError(Exception):
    """A broker answered with a non-zero error code."""

    def __init__(self, code: int, context: str, message: str | None = None):
        self.code = code
        try:
            name = ErrorCode(code).name
        except ValueError:
            name = f"error {code}"
        super().__init__(f"{context}: {name}" + (f" ({message})" if message else ""))

    @property
    def name(self) -> str:
        try:
            return ErrorCode(self.code).name
        except ValueError:
            return str(self.code)


def check(code: int, context: str, message: str | None = None) -> None:
    """Raise ``KafkaError`` unless ``code`` is 0."""
    if code:
        raise KafkaError(code, context, message)
