"""AlterClientQuotas: set or remove quotas of users, client ids and their defaults
(``kafka-configs --alter --entity-type clients --entity-name app --add-config producer_byte_rate=1024``).

Checked as Kafka 4 checks them (ClientQuotaControlManager, messages included): an entity must
name user and/or client-id, or ip alone, each type once and no name empty; a key must be one the
entity takes, a byte rate a whole number; a key set twice for one entity, or an entity named
twice, is refused. Every refusal is INVALID_REQUEST for that entity; the others are applied, each
kept (file, or ZooKeeper) before the answer. ``validate_only`` checks without applying. It needs
ALTER_CONFIGS on the cluster, as in Kafka.
"""

from __future__ import annotations

import logging

from odradek.storage.errors import StorageError
from odradek.wire import ApiKey, ErrorCode

from ..quotas.entities import QuotaError, check_value, entity_of
from ..security.acl.codes import AclOperation
from .acl_answers import NOT_AUTHORIZED

API_KEY = ApiKey.ALTER_CLIENT_QUOTAS

log = logging.getLogger("odradek.server")


async def handle(ctx, request) -> dict:
    entries = request.entries
    if not ctx.authorize_cluster(AclOperation.ALTER_CONFIGS):
        return _answer([(entry, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, NOT_AUTHORIZED) for entry in entries])
    quotas = ctx.broker.client_quotas
    results = []
    seen = set()
    async with quotas.lock:
        for entry in entries:
            pairs = [(e.entity_type, e.entity_name) for e in entry.entity]
            try:
                entity = entity_of(pairs)
                if entity in seen:
                    raise QuotaError(f"Ignoring duplicate entity {_entity_text(pairs)}")
                seen.add(entity)
                changes = _changes(entity, entry.ops, pairs)
            except QuotaError as exc:
                results.append((entry, ErrorCode.INVALID_REQUEST, str(exc)))
                continue
            if request.validate_only:
                results.append((entry, ErrorCode.NONE, None))
                continue
            configs = dict(quotas.quotas.get(entity, {}))
            for key, value in changes.items():
                if value is None:
                    configs.pop(key, None)
                else:
                    configs[key] = value
            try:
                await quotas.alter(entity, configs)
            except StorageError as exc:
                log.error("Could not keep the client quotas of %s: %s", _entity_text(pairs), exc)
                results.append((entry, ErrorCode.KAFKA_STORAGE_ERROR, str(exc)))
                continue
            results.append((entry, ErrorCode.NONE, None))
    return _answer(results)


def _changes(entity, ops, pairs) -> dict[str, float | None]:
    changes: dict[str, float | None] = {}
    for op in ops:
        if op.key in changes:
            raise QuotaError(f"Duplicate quota key {op.key} not updating quota for this entity "
                             f"{_entity_text(pairs)}")
        changes[op.key] = None if op.remove else op.value
    for key, value in changes.items():
        if value is not None:
            check_value(entity, key, value)
    return changes


def _entity_text(pairs) -> str:
    """Kafka's ClientQuotaEntity.toString: ``ClientQuotaEntity(entries={user=alice})``."""
    return "ClientQuotaEntity(entries={" + ", ".join(f"{t}={n}" for t, n in pairs) + "})"


def _answer(results) -> dict:
    return {"throttle_time_ms": 0, "entries": [
        {"error_code": code, "error_message": message,
         "entity": [{"entity_type": e.entity_type, "entity_name": e.entity_name} for e in entry.entity]}
        for entry, code, message in results]}
