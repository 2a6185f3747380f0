"""What ShareFetch and ShareAcknowledge answers share: the member id check, and where a
partition led elsewhere can be found (its CurrentLeader, and the NodeEndpoints of those leaders)."""

from __future__ import annotations

import uuid

from odradek.wire import ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

MAX_MEMBER_ID_LENGTH = 36  # a UUID's text: what Kafka accepts


def valid_member_id(member_id: str | None) -> bool:
    return bool(member_id) and len(member_id) <= MAX_MEMBER_ID_LENGTH


def leader_of(ctx, topic_id: uuid.UUID, index: int, code: ErrorCode, leaders: set[int]) -> dict:
    """The partition's CurrentLeader: filled in for NOT_LEADER_OR_FOLLOWER and FENCED_LEADER_EPOCH
    (whose leaders go into ``leaders``), left at zeros otherwise, as Kafka leaves it."""
    if code not in (ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.FENCED_LEADER_EPOCH):
        return {"leader_id": 0, "leader_epoch": 0}
    info = ctx.broker.metadata.topic_by_id(topic_id)
    partition = None if info is None else ctx.broker.metadata.partition(info.name, index)
    if partition is None or partition.leader < 0:
        return {"leader_id": -1, "leader_epoch": -1}
    leaders.add(partition.leader)
    return {"leader_id": partition.leader, "leader_epoch": partition.leader_epoch}


def node_endpoints(ctx, leaders: set[int]) -> list[dict]:
    return [{"node_id": node, "host": endpoint.host, "port": endpoint.port, "rack": rack}
            for node, endpoint, rack in ctx.broker.metadata.brokers_on(ctx.listener) if node in leaders]


def refuse_unreadable(ctx, to_apply: dict, answered: dict) -> None:
    """Acknowledgements of topics the principal may not READ answered TOPIC_AUTHORIZATION_FAILED
    instead of applied, as Kafka (``to_apply``: partition -> (topic name, batches))."""
    if ctx.broker.authorizer is None or not to_apply:
        return
    readable = ctx.authorized_names(AclOperation.READ, ResourceType.TOPIC, {name for name, _ in to_apply.values()})
    for key, (name, _) in list(to_apply.items()):
        if name not in readable:
            del to_apply[key]
            answered[key] = (ErrorCode.TOPIC_AUTHORIZATION_FAILED, None)
