"""ListTransactions: transactional ids, filtered by state, producer id, duration (v1) and id pattern (v2)."""

from __future__ import annotations

from odradek.wire import ApiKey

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.LIST_TRANSACTIONS


async def handle(ctx, request) -> dict:
    code, unknown, found = ctx.broker.transactions.list_transactions(
        request.state_filters, request.producer_id_filters, request.duration_filter,
        request.transactional_id_pattern,
    )
    return {
        "throttle_time_ms": 0,
        "error_code": code,
        "unknown_state_filters": unknown,
        "transaction_states": [
            {"transactional_id": m.transactional_id, "producer_id": m.producer_id,
             "transaction_state": m.state.display_name}
            for m in sorted(found, key=lambda m: m.transactional_id)
            if ctx.authorize(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, m.transactional_id)
        ],
    }
