"""DescribeConfigs: every config of a topic, of this broker or of a group, with value, source and synonyms.

A topic's overrides come from ``broker.topic_admin`` (in a cluster, from ZooKeeper, so any broker
answers for any topic), the broker's dynamic configs from ``broker.dynamic_configs``, a group's
from ``broker.group_configs`` (any group id, whether or not the group exists, as in Kafka).
An empty list of config names asks for them all, as a missing one does."""

from __future__ import annotations

from odradek.storage.log_config import describe_topic_config
from odradek.wire import ApiKey, ErrorCode

from ..broker_configs import describe_broker_config, describe_cluster_defaults
from ..group_configs import describe_group_config
from ..security.acl.codes import AclOperation
from .config_authorization import config_refusal

API_KEY = ApiKey.DESCRIBE_CONFIGS

TOPIC = 2
BROKER = 4
BROKER_LOGGER = 8
GROUP = 32
UNKNOWN_TYPE = 0  # a custom config's
# DescribeConfigs ConfigType ids for storage.config_def.CONFIG_TYPES
CONFIG_TYPE_IDS = {"boolean": 1, "string": 2, "int": 3, "short": 4, "long": 5, "double": 6,
                   "list": 7, "class": 8, "password": 9}


async def handle(ctx, request) -> dict:
    results = []
    for resource in request.resources:
        try:
            refused = config_refusal(ctx, AclOperation.DESCRIBE_CONFIGS, resource.resource_type,
                                     resource.resource_name)
            if refused is not None:
                raise _ResourceError(*refused)
            entries = await _entries(ctx.broker, resource)
        except _ResourceError as exc:
            results.append({"error_code": exc.code, "error_message": exc.message,
                            "resource_type": resource.resource_type,
                            "resource_name": resource.resource_name, "configs": []})
            continue
        keys = resource.configuration_keys
        if keys:
            entries = [e for e in entries if e.name in keys]
        results.append({
            "error_code": ErrorCode.NONE,
            "error_message": "",  # Kafka leaves it at its default, the empty string
            "resource_type": resource.resource_type,
            "resource_name": resource.resource_name,
            "configs": [_config(e, request.include_synonyms, request.include_documentation) for e in entries],
        })
    return {"throttle_time_ms": 0, "results": results}


class _ResourceError(Exception):
    def __init__(self, code: ErrorCode, message: str):
        self.code, self.message = code, message


async def _entries(broker, resource) -> list:
    if resource.resource_type == TOPIC:
        configs = await broker.topic_admin.topic_configs(resource.resource_name)  # in a cluster, ZooKeeper's
        if configs is None:
            raise _ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                                 f"Topic '{resource.resource_name}' does not exist.")
        return describe_topic_config(broker.config.props, configs, broker.dynamic_configs.dynamic())
    if resource.resource_type == BROKER:
        if resource.resource_name not in ("", str(broker.config.node_id)):
            raise _ResourceError(
                ErrorCode.INVALID_REQUEST,
                f"Unexpected broker id, expected {broker.config.node_id} or empty string, "
                f"but received {resource.resource_name}",
            )
        if resource.resource_name == "":
            return describe_cluster_defaults(broker.dynamic_configs.cluster_defaults)
        return describe_broker_config(broker.config.props, broker.config.node_id, broker.dynamic_configs.dynamic())
    if resource.resource_type == BROKER_LOGGER:
        return []
    if resource.resource_type == GROUP:
        if not resource.resource_name:
            raise _ResourceError(ErrorCode.INVALID_REQUEST, "Group name must not be empty")
        configs = await broker.group_configs.current(resource.resource_name)
        return describe_group_config(configs, broker.config.props, broker.dynamic_configs.dynamic())
    raise _ResourceError(ErrorCode.INVALID_REQUEST,
                         f"Unsupported resource type {resource.resource_type}")


def _config(entry, include_synonyms: bool, include_documentation: bool) -> dict:
    return {
        "name": entry.name,
        "value": None if entry.sensitive else entry.value,
        "read_only": entry.read_only,
        "config_source": entry.source,
        "is_default": entry.is_default,
        "is_sensitive": entry.sensitive,
        "synonyms": [
            {"name": name, "value": value, "source": source}
            for name, value, source in entry.synonyms
        ] if include_synonyms else [],
        "config_type": CONFIG_TYPE_IDS.get(entry.type, UNKNOWN_TYPE),
        "documentation": entry.documentation if include_documentation else None,
    }
