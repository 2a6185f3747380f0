"""The checks AlterShareGroupOffsets and DeleteShareGroupOffsets make before the share coordinator.

Both answer UNSUPPORTED_VERSION while share groups are off (``share.version`` 0), refuse the whole
request when the principal may not act on the group, and, as Kafka does, answer
TOPIC_AUTHORIZATION_FAILED for the topics it may not read without asking the coordinator about
them; the coordinator's answer for the others follows those refusals.
"""

from __future__ import annotations

from odradek.wire import ErrorCode

from ..groups.share_group_offsets import message
from ..security.acl.codes import AclOperation, ResourceType


def refused_request(ctx, group_id: str, operation: AclOperation) -> dict | None:
    """The whole answer when share groups are off or the group is not the principal's to change."""
    if not ctx.broker.features.share_groups_enabled:
        code = ErrorCode.UNSUPPORTED_VERSION
    elif not ctx.authorize(operation, ResourceType.GROUP, group_id):
        code = ErrorCode.GROUP_AUTHORIZATION_FAILED
    else:
        return None
    return {"throttle_time_ms": 0, "error_code": code, "error_message": message(code), "responses": []}


def readable_topics(ctx, topics) -> set[str]:
    return ctx.authorized_names(AclOperation.READ, ResourceType.TOPIC, [t.topic_name for t in topics])


def only_refusals(refused: list[dict]) -> dict:
    """The answer when no topic of the request may be read: the coordinator is not asked."""
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "responses": refused}


def with_refusals(answer: dict, refused: list[dict]) -> dict:
    """The coordinator's answer, preceded by the topics refused before it was asked."""
    if refused and "responses" in answer:
        answer = {**answer, "responses": refused + answer["responses"]}
    return {"throttle_time_ms": 0, **answer}
