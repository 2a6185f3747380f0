"""DescribeCluster: the cluster ID, the controller and the brokers, which Kafka 4's admin client
asks for instead of Metadata: every live broker (one, alone), none fenced, and the controller.

Controllers are described only by a node reached as a controller (``bootstrap.controllers``);
a question about them on this client listener gets Kafka's MISMATCHED_ENDPOINT_TYPE answer.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..authorized_operations import authorized_for
from ..security.acl.codes import CLUSTER_NAME, ResourceType

API_KEY = ApiKey.DESCRIBE_CLUSTER
BROKERS = 1  # endpoint_type: 1 brokers, 2 controllers


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    answer = {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None,
              "endpoint_type": BROKERS, "cluster_id": broker.cluster_id, "controller_id": -1, "brokers": []}
    if request.endpoint_type != BROKERS:
        return {**answer, "error_code": ErrorCode.MISMATCHED_ENDPOINT_TYPE, "cluster_id": "",
                "error_message": "this listener serves brokers, not controllers"}
    metadata = broker.metadata
    return {**answer, "controller_id": metadata.controller_id, "brokers": [
        {"broker_id": node, "host": endpoint.host, "port": endpoint.port, "rack": rack, "is_fenced": False}
        for node, endpoint, rack in metadata.brokers_on(ctx.listener)],
        "cluster_authorized_operations": authorized_for(ctx, ResourceType.CLUSTER, CLUSTER_NAME,
                                                        request.include_cluster_authorized_operations)}
