"""Which share partition: a share group's view of one partition of a topic, named by topic id."""

from __future__ import annotations

import base64
import uuid
from typing import NamedTuple


class SharePartitionKey(NamedTuple):
    group_id: str
    topic_id: uuid.UUID
    partition: int

    def coordinator_key(self) -> str:
        """Kafka's ``SharePartitionKey.asCoordinatorKey``: ``group:topicId:partition`` with the
        topic id in Kafka's base64 form, what FindCoordinator (key type SHARE) is asked for and
        what picks the partition of ``__share_group_state``."""
        return f"{self.group_id}:{topic_id_text(self.topic_id)}:{self.partition}"

    @classmethod
    def from_coordinator_key(cls, key: str) -> SharePartitionKey:
        """ValueError unless ``key`` is ``group:topicId:partition`` (the group may hold colons)."""
        group_id, topic, partition = key.rsplit(":", 2)
        if not group_id:
            raise ValueError("no group id")
        return cls(group_id, parse_topic_id(topic), int(partition))


def topic_id_text(topic_id: uuid.UUID) -> str:
    """A topic id as Kafka writes it (``Uuid.toString``: url-safe base64, unpadded)."""
    return base64.urlsafe_b64encode(topic_id.bytes).decode().rstrip("=")


def parse_topic_id(text: str) -> uuid.UUID:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 16:
        raise ValueError(f"not a topic id: {text!r}")
    return uuid.UUID(bytes=raw)
