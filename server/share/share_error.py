"""A share-partition operation refused with one of Kafka's error codes (INVALID_RECORD_STATE for
an acknowledgement of records not acquired by the member, INVALID_REQUEST for offsets the share
partition never handed out, ...)."""

from __future__ import annotations

from odradek.wire import ErrorCode


class ShareError(Exception):
    def __init__(self, code: ErrorCode, message: str | None = None):
        super().__init__(message or code.name)
        self.code = code
        self.message = message
