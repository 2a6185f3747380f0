"""The Kafka error code (and refused records) for an exception raised while a handler used storage."""

from __future__ import annotations

from odradek.storage.errors import StorageError
from odradek.wire import ErrorCode


def error_code_for(exc: Exception) -> ErrorCode:
    """Storage exceptions carry their Kafka error; anything else is a server error."""
    if isinstance(exc, StorageError):
        return ErrorCode(exc.error_code)
    return ErrorCode.UNKNOWN_SERVER_ERROR


def record_errors_for(exc: StorageError) -> list[dict]:
    """The refused records of a batch as ProduceResponse's ``record_errors`` entries."""
    return [{"batch_index": index, "batch_index_error_message": message}
            for index, message in exc.record_errors]
