"""Find the topic a request names, by name or (in newer versions) by topic ID."""

from __future__ import annotations

import uuid

NO_TOPIC_ID = uuid.UUID(int=0)


def resolve_topic(broker, name: str | None, topic_id: uuid.UUID | None, by_id: bool):
    """The TopicInfo a request entry refers to, or None if there is no such topic."""
    if by_id:
        if topic_id is None or topic_id == NO_TOPIC_ID:
            return None
        return broker.metadata.topic_by_id(topic_id)
    return broker.metadata.topic(name) if name else None
