"""InitProducerId for idempotent producers: a fresh producer ID, or an epoch bump (KIP-360).

Idempotence is on by default in kafka-python 3 and the Java client, so every unmodified producer
asks for an ID first. Transactional IDs need the transaction coordinator, which this broker does not
have yet; they are refused rather than half-served.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.INIT_PRODUCER_ID
MAX_EPOCH = 32767


async def handle(ctx, request) -> dict:
    if request.transactional_id is not None:
        return _answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1)
    if request.producer_id >= 0 and 0 <= request.producer_epoch < MAX_EPOCH - 1:
        return _answer(ErrorCode.NONE, request.producer_id, request.producer_epoch + 1)
    producer_id = await ctx.broker.producer_ids.allocate()
    return _answer(ErrorCode.NONE, producer_id, 0)


def _answer(code: ErrorCode, producer_id: int, epoch: int) -> dict:
    return {"throttle_time_ms": 0, "error_code": code, "producer_id": producer_id, "producer_epoch": epoch}
