"""CreateTopics: new topics with partitions and configs; ``validate_only`` checks without creating.

Under a ``controller_mutation_rate`` quota (``quotas.mutation_quota``) each topic is first checked
(validate-only), then its partitions are counted against the quota, then it is created, as Kafka's
controller counts a topic that passed every other check (validate-only requests too)."""

from __future__ import annotations

from odradek.storage.log_config import describe_topic_config
from odradek.wire import ApiKey, ErrorCode

from ..quotas.mutation_quota import QuotaExceeded, throttle
from ..security.acl.codes import AclOperation, ResourceType
from ..topic_admin import TopicAdminError

API_KEY = ApiKey.CREATE_TOPICS


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    seen: dict[str, int] = {}
    for topic in request.topics:
        seen[topic.name] = seen.get(topic.name, 0) + 1
    creatable = describable = None  # None: all
    if broker.authorizer is not None:
        names = list(seen)
        if not ctx.authorize_cluster(AclOperation.CREATE):
            creatable = ctx.authorized_names(AclOperation.CREATE, ResourceType.TOPIC, names)
        describable = ctx.authorized_names(AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, names)
    quota = broker.client_quotas.mutation.quota_for(ctx, "create_topics")
    results = []
    for topic in request.topics:
        if seen[topic.name] > 1:
            results.append(_failure(topic.name, ErrorCode.INVALID_REQUEST,
                                    "Create topics request from client contains a duplicate topic name"))
            continue
        if creatable is not None and topic.name not in creatable:
            results.append(_failure(topic.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Authorization failed."))
            continue
        configs = {c.name: c.value for c in topic.configs}
        assignments = [a.broker_ids for a in sorted(topic.assignments, key=lambda a: a.partition_index)]
        create = broker.topic_admin.create_topic
        try:
            if quota is not None:
                planned = await create(topic.name, topic.num_partitions, topic.replication_factor, configs,
                                       assignments, validate_only=True, timeout_ms=request.timeout_ms)
                quota.record(planned.num_partitions)
            if quota is not None and request.validate_only:
                info = planned
            else:
                info = await create(topic.name, topic.num_partitions, topic.replication_factor, configs,
                                    assignments, validate_only=request.validate_only, timeout_ms=request.timeout_ms)
        except (TopicAdminError, QuotaExceeded) as exc:
            results.append(_failure(topic.name, exc.code, exc.message))
            continue
        result = _success(broker, info, configs)
        if describable is not None and topic.name not in describable:  # created, its configs not shown
            result.update(configs=[], topic_config_error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        results.append(result)
    return throttle(ctx, quota, {"throttle_time_ms": 0, "topics": results})


def _success(broker, info, configs: dict) -> dict:
    entries = describe_topic_config(broker.config.props, configs, broker.dynamic_configs.dynamic())
    return {
        "name": info.name,
        "topic_id": info.topic_id,
        "error_code": ErrorCode.NONE,
        "error_message": None,
        "num_partitions": info.num_partitions,
        "replication_factor": _replication_factor(broker, info.name),
        "configs": [
            {
                "name": e.name,
                "value": None if e.sensitive else e.value,
                "read_only": e.read_only,
                "config_source": e.source,
                "is_sensitive": e.sensitive,
            }
            for e in entries
        ],
    }


def _replication_factor(broker, topic: str) -> int:
    first = broker.metadata.partition(topic, 0)
    return len(first.replicas) if first is not None else -1


def _failure(name: str, code: ErrorCode, message: str) -> dict:
    return {"name": name, "error_code": code, "error_message": message,
            "num_partitions": -1, "replication_factor": -1, "configs": None}
