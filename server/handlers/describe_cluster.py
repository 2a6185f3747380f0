"""DescribeCluster: the cluster ID, the controller and the brokers, which Kafka 4's admin client
asks for instead of Metadata.  One node is the whole cluster, never fenced.

Controllers are only described by a node reached as a controller (``bootstrap.controllers``);
like a Kafka broker, this node's client listener refuses that question.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.DESCRIBE_CLUSTER
BROKERS = 1  # endpoint_type: 1 brokers, 2 controllers


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    node = broker.config.node_id
    answer = {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None,
              "endpoint_type": request.endpoint_type, "cluster_id": broker.cluster_id,
              "controller_id": node, "brokers": []}
    if request.endpoint_type != BROKERS:
        return {**answer, "error_code": ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
                "error_message": "the client listener describes brokers only", "controller_id": -1}
    advertised = broker.advertised
    answer["brokers"] = [{"broker_id": node, "host": advertised.host, "port": advertised.port,
                          "rack": None, "is_fenced": False}]
    return answer
