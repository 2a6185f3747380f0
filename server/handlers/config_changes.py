"""Changing the configs of a topic, of the broker or of a group: what AlterConfigs and
IncrementalAlterConfigs share.

Both compute a resource's complete new set of dynamic configs from its current one (AlterConfigs
replaces it, IncrementalAlterConfigs edits it key by key), then validate and apply it at once:
a topic's overrides through ``broker.topic_admin`` (storage alone; in a cluster, ZooKeeper, for
every broker to apply), the broker's through its dynamic config layers (checked as Kafka checks
them, see ``dynamic_broker_configs``, and kept by their store; what odradek acts on applies at
once), a group's through ``broker.group_configs`` (checked as Kafka checks them, see
``group_config_defs``). Nothing changes when anything is invalid, nor with ``validate_only``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from odradek.storage.config_def import ConfigDef
from odradek.storage.errors import InvalidConfigError, StorageError
from odradek.storage.log_config import DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, TOPIC_CONFIGS
from odradek.wire import ErrorCode

from .. import group_config_defs
from ..connection_limits import resolve_override_hosts
from ..dynamic_broker_configs import DynamicConfigError
from ..dynamic_config_defs import definition
from .describe_configs import BROKER, GROUP, TOPIC

SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
_NODE_ID = re.compile(r"[+-]?\d+")

#: Computes new configs from the current ones, given the definition of a config name (or None).
Change = Callable[[dict[str, str], Callable[[str], "ConfigDef | None"]], dict[str, str]]


class ConfigChangeError(Exception):
    def __init__(self, code: ErrorCode, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class _NotAList(Exception):
    """APPEND or SUBTRACT on a config that is no list (or unknown): each resource type words it."""

    def __init__(self, name: str, operation: int):
        super().__init__(name)
        self.name, self.operation = name, operation


async def alter_answer(broker, resource, change: Change, validate_only: bool) -> dict:
    """Apply ``change`` to one resource of a request; its entry in the response."""
    answer = {"error_code": ErrorCode.NONE, "error_message": None,
              "resource_type": resource.resource_type, "resource_name": resource.resource_name}
    try:
        await alter_resource(broker, resource.resource_type, resource.resource_name, change, validate_only)
    except ConfigChangeError as exc:
        answer.update(error_code=exc.code, error_message=exc.message)
    return answer


async def alter_resource(broker, resource_type: int, name: str, change: Change, validate_only: bool) -> None:
    """Apply ``change`` to the resource's configs; raises ConfigChangeError."""
    try:
        if resource_type == TOPIC:
            await _alter_topic(broker, name, change, validate_only)
        elif resource_type == BROKER:
            await _alter_broker(broker, name, change, validate_only)
        elif resource_type == GROUP:
            await _alter_group(broker, name, change, validate_only)
        else:
            raise ConfigChangeError(ErrorCode.INVALID_REQUEST, f"Unsupported resource type {resource_type}")
    except StorageError as exc:
        raise ConfigChangeError(ErrorCode(exc.error_code), str(exc)) from None
    except _NotAList as exc:
        operation = "APPEND" if exc.operation == APPEND else "SUBTRACT"
        if resource_type == BROKER:  # checked by the broker itself, before Kafka's controller sees it
            raise ConfigChangeError(ErrorCode.INVALID_CONFIG, f"Config value {operation.lower()} is not "
                                                              f"allowed for config key: {exc.name}") from None
        raise ConfigChangeError(ErrorCode.INVALID_CONFIG,
                                f"Can't {operation} to key {exc.name} because its type is not LIST.") from None


async def _alter_topic(broker, name: str, change: Change, validate_only: bool) -> None:
    current = await broker.topic_admin.topic_configs(name)
    if current is None:
        raise ConfigChangeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Topic '{name}' does not exist.")
    await broker.topic_admin.alter_topic_configs(name, change(current, TOPIC_CONFIGS.get), validate_only)


async def _alter_broker(broker, name: str, change: Change, validate_only: bool) -> None:
    source = _broker_layer(broker, name)
    dynamic = broker.dynamic_configs
    configs = change(dict(dynamic.layers[source]), definition)
    await resolve_override_hosts(dynamic.effective((source, configs)))  # host names: in a thread
    try:
        dynamic.check_change(source, configs)
        broker.logs.set_broker_props(dynamic.effective((source, configs)), validate_only=True)
    except DynamicConfigError as exc:
        raise ConfigChangeError(exc.code, exc.message) from None
    except InvalidConfigError as exc:  # Kafka answers a bad broker config with INVALID_REQUEST
        raise ConfigChangeError(ErrorCode.INVALID_REQUEST, str(exc)) from None
    if not validate_only:
        await dynamic.replace(source, configs)  # a StorageError if it could not be kept
        broker.apply_dynamic_configs()


async def _alter_group(broker, name: str, change: Change, validate_only: bool) -> None:
    group_configs = broker.group_configs
    async with group_configs.lock:
        configs = change(await group_configs.current(name) if name else {}, group_config_defs.definition)
        if name == "":
            raise ConfigChangeError(ErrorCode.INVALID_REQUEST, "Default group resources are not allowed.")
        try:
            group_configs.check(configs)
        except group_config_defs.GroupConfigError as exc:
            raise ConfigChangeError(ErrorCode.INVALID_CONFIG, exc.message) from None
        if not validate_only:
            await group_configs.replace(name, configs)  # a StorageError if it could not be kept


def _broker_layer(broker, name: str) -> int:
    """The layer a broker resource names: "" the cluster-wide defaults, else this broker's id."""
    if name == "":
        return DYNAMIC_DEFAULT_BROKER_CONFIG
    if not _NODE_ID.fullmatch(name):
        raise ConfigChangeError(ErrorCode.INVALID_REQUEST, f"Node id must be an integer, but it is: {name}")
    if int(name) != broker.config.node_id:
        raise ConfigChangeError(ErrorCode.INVALID_REQUEST,
                                f"Unexpected broker id, expected {broker.config.node_id}, but received {name}")
    return DYNAMIC_BROKER_CONFIG


def replace_all(entries) -> Change:
    """AlterConfigs: the entries (name, value) become the whole set."""

    def change(current: dict[str, str], definition) -> dict[str, str]:
        _check_entries(entries, [entry.name for entry in entries if entry.value is None])
        return {entry.name: entry.value for entry in entries}

    return change


def edit(entries) -> Change:
    """IncrementalAlterConfigs: SET, DELETE, or APPEND/SUBTRACT list items, key by key."""

    def change(current: dict[str, str], definition) -> dict[str, str]:
        _check_entries(entries, [entry.name for entry in entries
                                 if entry.value is None and entry.config_operation != DELETE])
        for entry in entries:
            operation = entry.config_operation
            if operation == SET:
                current[entry.name] = entry.value
            elif operation == DELETE:
                current.pop(entry.name, None)
            elif operation in (APPEND, SUBTRACT):
                current[entry.name] = _edit_list(current, definition(entry.name), entry, operation)
            else:
                raise ConfigChangeError(ErrorCode.INVALID_REQUEST, f"Unknown config operation {operation}")
        return current

    return change


def _check_entries(entries, without_value: list[str]) -> None:
    """What Kafka refuses of any resource's changes before looking at them: a config named twice,
    and a value missing where one is needed."""
    names = [entry.name for entry in entries]
    if len(set(names)) != len(names):
        raise ConfigChangeError(ErrorCode.INVALID_REQUEST, "Error due to duplicate config keys")
    if without_value:
        raise ConfigChangeError(ErrorCode.INVALID_REQUEST, f"Null value not supported for : {', '.join(without_value)}")


def _edit_list(current: dict[str, str], definition: ConfigDef | None, entry, operation: int) -> str:
    if definition is None or definition.type != "list":
        raise _NotAList(entry.name, operation)
    old = current.get(entry.name, definition.default or "")
    items = [item.strip() for item in old.split(",") if item.strip()]
    given = [item.strip() for item in (entry.value or "").split(",") if item.strip()]
    if operation == APPEND:
        items += [item for item in given if item not in items]
    else:
        items = [item for item in items if item not in given]
    return ",".join(items)
