"""ApiVersions: the first request of every client, listing what this broker speaks."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.API_VERSIONS


def api_versions_body(routes, error: ErrorCode = ErrorCode.NONE, features=None) -> dict:
    """What ``routes`` (the broker's: its mode decides) serve, at the versions they advertise, and
    (from v3) the ``features`` (``server.features``) the broker supports and has finalized."""
    return {
        **(features.api_versions_fields() if features is not None else {}),
        "error_code": error,
        "api_keys": [
            {"api_key": r.api_key, "min_version": r.advertised_min_version, "max_version": r.max_version}
            for r in sorted(routes.values(), key=lambda r: r.api_key)
        ],
        "throttle_time_ms": 0,
    }


async def handle(ctx, request) -> dict:
    return api_versions_body(ctx.broker.routes, features=ctx.broker.features)
