"""Membership in a classic consumer group: JoinGroup, SyncGroup, Heartbeat, LeaveGroup.

The leader computes the assignment on the client side with the ``range`` assignor, as Kafka's
Java consumer does by default, so members of other clients that also offer ``range`` can share
a group with the tools.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from odradek.wire import ApiKey, ErrorCode
from odradek.wire.embedded import (
    CONSUMER_PROTOCOL_ASSIGNMENT, CONSUMER_PROTOCOL_SUBSCRIPTION, decode_embedded, encode_embedded,
)

from .cluster import Client
from .errors import check, retrying

TopicPartition = tuple[str, int]
ASSIGNOR = "range"
_REJOIN = {ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID}


def range_assign(subscriptions: Mapping[str, Sequence[str]],
                 partition_counts: Mapping[str, int]) -> dict[str, list[TopicPartition]]:
    """Per topic, its partitions in order split into contiguous ranges over the subscribed
    members sorted by ID; the first ``count % members`` members get one partition more."""
    assignment: dict[str, list[TopicPartition]] = {member: [] for member in subscriptions}
    for topic, count in sorted(partition_counts.items()):
        members = sorted(m for m, topics in subscriptions.items() if topic in topics)
        if not members:
            continue
        share, extra = divmod(count, len(members))
        start = 0
        for i, member in enumerate(members):
            size = share + (1 if i < extra else 0)
            assignment[member].extend((topic, p) for p in range(start, start + size))
            start += size
    return assignment


class GroupMember:
    def __init__(self, client: Client, group: str, topics: Sequence[str],
                 session_timeout_ms: int = 10_000, rebalance_timeout_ms: int = 30_000):
        self.client = client
        self.group = group
        self.topics = list(topics)
        self.session_timeout_ms = session_timeout_ms
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.coordinator = client.coordinator(group)
        self.member_id = ""
        self.generation = -1
        self.assignment: list[TopicPartition] = []

    def join(self) -> list[TopicPartition]:
        """Join (or rejoin) the group and return this member's partitions."""
        return retrying(self._join)

    def _join(self) -> list[TopicPartition]:
        self.coordinator = self.client.coordinator(self.group)
        while True:
            answer = self._send(ApiKey.JOIN_GROUP, {
                "session_timeout_ms": self.session_timeout_ms, "rebalance_timeout_ms": self.rebalance_timeout_ms,
                "member_id": self.member_id, "protocol_type": "consumer",
                "protocols": [{"name": ASSIGNOR, "metadata": encode_embedded(
                    CONSUMER_PROTOCOL_SUBSCRIPTION, 0, {"topics": self.topics})}]})
            if answer.error_code == ErrorCode.MEMBER_ID_REQUIRED:
                self.member_id = answer.member_id
                continue
            check(answer.error_code, f"JoinGroup {self.group}")
            self.member_id, self.generation = answer.member_id, answer.generation_id
            assignments = self._assign(answer.members) if answer.leader == self.member_id else []
            synced = self._send(ApiKey.SYNC_GROUP, {
                "generation_id": self.generation, "member_id": self.member_id,
                "protocol_type": "consumer", "protocol_name": ASSIGNOR, "assignments": assignments})
            if synced.error_code in _REJOIN:
                continue
            check(synced.error_code, f"SyncGroup {self.group}")
            self.assignment = self._decode_assignment(synced.assignment)
            return self.assignment

    def heartbeat(self) -> bool:
        """False when the group is rebalancing and this member must join again."""
        answer = self._send(ApiKey.HEARTBEAT, {"generation_id": self.generation, "member_id": self.member_id})
        if answer.error_code in _REJOIN:
            return False
        check(answer.error_code, f"Heartbeat {self.group}")
        return True

    def leave(self) -> None:
        if self.member_id:
            self._send(ApiKey.LEAVE_GROUP, {"member_id": self.member_id,
                                            "members": [{"member_id": self.member_id}]})
            self.member_id, self.generation = "", -1

    def _send(self, api_key: int, body: dict):
        return self.client.send(api_key, {"group_id": self.group, **body}, self.coordinator)

    def _assign(self, members) -> list[dict]:
        subscriptions = {m.member_id: list(decode_embedded(CONSUMER_PROTOCOL_SUBSCRIPTION, m.metadata)[1].topics)
                         for m in members}
        wanted = sorted({topic for topics in subscriptions.values() for topic in topics})
        counts = {name: len(info.partitions) for name, info in self.client.metadata(wanted).topics.items()
                  if info.error_code == 0}
        plan = range_assign(subscriptions, counts)
        return [{"member_id": member, "assignment": encode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, 0, {
            "assigned_partitions": _by_topic(owned), "user_data": None})} for member, owned in plan.items()]

    @staticmethod
    def _decode_assignment(data: bytes) -> list[TopicPartition]:
        if not data:
            return []
        _, assignment = decode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, data)
        return sorted((entry.topic, p) for entry in assignment.assigned_partitions for p in entry.partitions)


def _by_topic(partitions: Sequence[TopicPartition]) -> list[dict]:
    grouped: dict[str, list[int]] = {}
    for topic, partition in sorted(partitions):
        grouped.setdefault(topic, []).append(partition)
    return [{"topic": topic, "partitions": parts} for topic, parts in grouped.items()]
