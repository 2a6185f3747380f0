"""ApiVersions: the first request of every client, listing what this broker speaks."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.API_VERSIONS


def api_versions_body(error: ErrorCode = ErrorCode.NONE) -> dict:
    # Imported here because the route table itself is built from the handler modules.
    from ..routes import ROUTES

    return {
        "error_code": error,
        "api_keys": [
            {"api_key": r.api_key, "min_version": r.advertised_min_version, "max_version": r.max_version}
            for r in sorted(ROUTES.values(), key=lambda r: r.api_key)
        ],
        "throttle_time_ms": 0,
    }


async def handle(ctx, request) -> dict:
    return api_versions_body()
