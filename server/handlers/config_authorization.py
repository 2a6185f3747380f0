"""Who may describe and alter configs, per config resource, as Kafka's KafkaApis decides.

A topic's configs need DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic, a group's on the group, and
the broker's (and its loggers', and client metrics') on the cluster; a refusal is that resource
kind's authorization error, with Kafka's message.
"""

from __future__ import annotations

from odradek.wire import ErrorCode

from ..security.acl.codes import CLUSTER_NAME, AclOperation, ResourceType

TOPIC, BROKER, CLIENT_METRICS, BROKER_LOGGER, GROUP = 2, 4, 16, 8, 32  # ConfigResource.Type codes

_REFUSALS = {
    ResourceType.TOPIC: (ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Topic authorization failed."),
    ResourceType.GROUP: (ErrorCode.GROUP_AUTHORIZATION_FAILED, "Group authorization failed."),
    ResourceType.CLUSTER: (ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed."),
}


def config_refusal(ctx, operation: AclOperation, config_type: int, name: str) -> tuple[int, str] | None:
    """The (error code, message) refusing ``operation`` on a config resource, or None."""
    if ctx.broker.authorizer is None:
        return None
    if config_type == TOPIC:
        resource_type = ResourceType.TOPIC
    elif config_type == GROUP:
        resource_type = ResourceType.GROUP
    elif config_type in (BROKER, BROKER_LOGGER, CLIENT_METRICS):
        resource_type, name = ResourceType.CLUSTER, CLUSTER_NAME
    else:
        return None  # refused as unsupported by the handler
    if ctx.authorize(operation, resource_type, name):
        return None
    return _REFUSALS[resource_type]


def refused_answer(resource, refused: tuple[int, str]) -> dict:
    """An AlterConfigs / IncrementalAlterConfigs entry refusing the resource."""
    code, message = refused
    return {"error_code": code, "error_message": message, "resource_type": resource.resource_type,
            "resource_name": resource.resource_name}
