"""IncrementalAlterConfigs: SET, DELETE, APPEND or SUBTRACT single configs of a topic or of the
broker (see ``config_changes``)."""

from __future__ import annotations

from odradek.wire import ApiKey

from ..security.acl.codes import AclOperation
from .config_authorization import config_refusal, refused_answer
from .config_changes import alter_answer, edit

API_KEY = ApiKey.INCREMENTAL_ALTER_CONFIGS


async def handle(ctx, request) -> dict:
    responses = [refused_answer(resource, refused)
                 if (refused := config_refusal(ctx, AclOperation.ALTER_CONFIGS, resource.resource_type,
                                               resource.resource_name)) is not None
                 else await alter_answer(ctx.broker, resource, edit(resource.configs), request.validate_only)
                 for resource in request.resources]
    return {"throttle_time_ms": 0, "responses": responses}
