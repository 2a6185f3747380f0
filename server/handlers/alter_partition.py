"""AlterPartition: a leader asks the controller to change a partition's ISR."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..cluster_only import controller_call

API_KEY = ApiKey.ALTER_PARTITION


async def handle(ctx, request) -> dict:
    async def alter(controller):
        if not controller.broker_is_current(request.broker_id, request.broker_epoch):
            return ErrorCode.STALE_BROKER_EPOCH
        topics = []
        for topic in request.topics:
            partitions = []
            for p in topic.partitions:
                code, state = await controller.alter_partition(request.broker_id, request.broker_epoch,
                                                               topic.topic_name, p.partition_index, p.leader_epoch,
                                                               p.partition_epoch, tuple(p.new_isr))
                partitions.append({
                    "partition_index": p.partition_index, "error_code": code,
                    "leader_id": state.leader if state else -1, "leader_epoch": state.leader_epoch if state else -1,
                    "isr": list(state.isr) if state else [], "leader_recovery_state": 0,
                    "partition_epoch": state.version if state else -1})
            topics.append({"topic_name": topic.topic_name, "topic_id": topic.get("topic_id"), "partitions": partitions})
        return topics

    outcome = await controller_call(ctx, alter)
    if isinstance(outcome, int):  # an error code for the whole request
        return {"throttle_time_ms": 0, "error_code": outcome, "topics": []}
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "topics": outcome}
