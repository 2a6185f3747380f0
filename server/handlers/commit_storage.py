"""What the partitions of an offset commit answer when storing the commit failed."""

from __future__ import annotations

from odradek.wire import ErrorCode


def fail_partitions(answers: list[dict], code: ErrorCode) -> None:
    """Each partition not already refused answers ``code`` (nothing changes for NONE)."""
    if code == ErrorCode.NONE:
        return
    for topic in answers:
        for partition in topic["partitions"]:
            if partition["error_code"] == ErrorCode.NONE:
                partition["error_code"] = code
