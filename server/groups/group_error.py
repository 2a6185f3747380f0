"""A group request refused with a Kafka error code."""

from odradek.wire import ErrorCode


class GroupError(Exception):
    def __init__(self, code: ErrorCode, message: str | None = None):
        super().__init__(message or code.name)
        self.code = code
        self.message = message  # None when the error says nothing more than its code
