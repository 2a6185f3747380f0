"""Storing a batch of offset commits, and what the partitions answer when that fails."""

from __future__ import annotations

import logging
from collections.abc import Callable

from odradek.storage.errors import StorageError
from odradek.wire import ErrorCode

log = logging.getLogger("odradek.groups")


def store_commits(answers: list[dict], group_id: str, store: Callable[[], None]) -> None:
    """Run ``store``; if it fails, each partition not already refused answers
    COORDINATOR_NOT_AVAILABLE, a retriable error, so the client commits again."""
    try:
        store()
    except Exception as exc:
        if isinstance(exc, StorageError):  # e.g. its partition's log directory is offline
            log.error("Could not store offsets of group %s: %s", group_id, exc)
        else:
            log.exception("Could not store offsets of group %s", group_id)
        for topic in answers:
            for partition in topic["partitions"]:
                if partition["error_code"] == ErrorCode.NONE:
                    partition["error_code"] = ErrorCode.COORDINATOR_NOT_AVAILABLE
