"""AlterConfigs: replace all dynamic configs of a topic or of the broker (see ``config_changes``)."""

from __future__ import annotations

from odradek.wire import ApiKey

from .config_changes import alter_answer, replace_all

API_KEY = ApiKey.ALTER_CONFIGS


async def handle(ctx, request) -> dict:
    responses = [await alter_answer(ctx.broker, resource, replace_all(resource.configs), request.validate_only)
                 for resource in request.resources]
    return {"throttle_time_ms": 0, "responses": responses}
