"""ListConfigResources (KIP-1142): which resources have configs DescribeConfigs can describe.

Kafka 4.3 answers v1 for every resource type it lists (topics, this broker and its loggers, client
metrics and groups with configs of their own), groups first, and v0, the older
ListClientMetricsResources, for client metrics alone.  Client metrics cannot be set here, so that
list is always empty; a type Kafka does not list gets UNSUPPORTED_VERSION, as from Kafka.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation
from .describe_configs import BROKER, BROKER_LOGGER, GROUP, TOPIC

API_KEY = ApiKey.LIST_CONFIG_RESOURCES
CLIENT_METRICS = 16
LISTED_TYPES = frozenset({TOPIC, BROKER, BROKER_LOGGER, CLIENT_METRICS, GROUP})


async def handle(ctx, request) -> dict:
    answer = {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "config_resources": []}
    if not ctx.authorize_cluster(AclOperation.DESCRIBE_CONFIGS):  # as Kafka
        return {**answer, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED}
    if ctx.version == 0:
        return answer  # client metrics resources: none
    wanted = set(request.resource_types) or LISTED_TYPES
    if not wanted <= LISTED_TYPES:
        return {**answer, "error_code": ErrorCode.UNSUPPORTED_VERSION}
    node = str(ctx.broker.config.node_id)
    listed = [(group, GROUP) for group in ctx.broker.group_configs.group_ids()] if GROUP in wanted else []
    listed += [(node, kind) for kind in (BROKER_LOGGER, BROKER) if kind in wanted]
    if TOPIC in wanted:
        listed += [(topic.name, TOPIC) for topic in ctx.broker.logs.topics()]
    answer["config_resources"] = [{"resource_name": name, "resource_type": kind} for name, kind in listed]
    return answer
