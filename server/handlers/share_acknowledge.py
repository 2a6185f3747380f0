"""ShareAcknowledge (KIP-932): a share group member accepts, releases, rejects or renews (v2)
records it acquired, outside a ShareFetch.

It must name the member's share session at its next epoch (it moves the epoch on, as a fetch
does), or -1 to close the session after acknowledging, releasing whatever the member still
holds; epoch 0 is INVALID_SHARE_SESSION_EPOCH, as a session is only opened by ShareFetch. Each
partition is answered once its acknowledgements are written: NONE, or why not (INVALID_RECORD_STATE
for records the member does not hold, INVALID_REQUEST for malformed or unknown offsets, ...).
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType
from ..share.acknowledgement_request import parse_acknowledgements
from ..share.share_error import ShareError
from ..share.share_session import FINAL_EPOCH
from .share_answers import leader_of, node_endpoints, refuse_unreadable, valid_member_id

API_KEY = ApiKey.SHARE_ACKNOWLEDGE
RENEW_VERSION = 2


async def handle(ctx, request) -> dict:
    if not ctx.broker.features.share_groups_enabled:  # share.version 0
        return _error(ErrorCode.UNSUPPORTED_VERSION)
    shares = ctx.broker.shares
    group_id, member_id, epoch = request.group_id, request.member_id, request.share_session_epoch
    if group_id is None or not valid_member_id(member_id):
        return _error(ErrorCode.INVALID_REQUEST)
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, group_id):
        return _error(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    try:
        shares.acknowledge_session_update(group_id, member_id, epoch)
    except ShareError as exc:
        return _error(exc.code)
    renew = ctx.version >= RENEW_VERSION and request.is_renew_ack
    to_apply, answers = parse_acknowledgements(ctx.broker, request.topics, ctx.version >= RENEW_VERSION, renew)
    refuse_unreadable(ctx, to_apply, answers)
    answers.update(await shares.acknowledge(group_id, member_id, to_apply))
    if epoch == FINAL_EPOCH:
        await shares.close_session(group_id, member_id)
    topics: dict = {}
    leaders: set[int] = set()
    for (topic_id, index), (code, message) in answers.items():
        topics.setdefault(topic_id, []).append({
            "partition_index": index, "error_code": code, "error_message": message,
            "current_leader": leader_of(ctx, topic_id, index, code, leaders)})
    return {
        "throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None,
        "acquisition_lock_timeout_ms": shares.lock_duration_ms(group_id),
        "responses": [{"topic_id": topic_id, "partitions": partitions} for topic_id, partitions in topics.items()],
        "node_endpoints": node_endpoints(ctx, leaders),
    }


def _error(code: ErrorCode) -> dict:
    return {"throttle_time_ms": 0, "error_code": code, "error_message": None, "acquisition_lock_timeout_ms": 0,
            "responses": [], "node_endpoints": []}
