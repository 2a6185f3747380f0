"""Kafka's names for API keys and error codes, as its metrics' ``request`` and ``error`` tags spell them."""

from __future__ import annotations

from functools import cache

from odradek.wire import ApiKey, ErrorCode


@cache
def request_name(api_key: int) -> str:
    """``Produce``, ``ApiVersions``, ``OffsetForLeaderEpoch``: Kafka's ApiKeys names."""
    try:
        name = ApiKey(api_key).name
    except ValueError:
        return str(api_key)
    return "".join(word.capitalize() for word in name.split("_"))


@cache
def error_name(code: int) -> str:
    """``NONE``, ``UNKNOWN_TOPIC_OR_PARTITION``: Kafka's Errors names."""
    try:
        return ErrorCode(code).name
    except ValueError:
        return str(code)
