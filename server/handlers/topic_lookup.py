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


def named_partitions(metadata, assignment) -> list[dict]:
    """An assignment (topic id -> partitions) as the group describe APIs answer it: by topic id and
    name, partitions sorted; topics deleted since are left out, as Kafka does."""
    named = []
    for topic_id, partitions in assignment.items():
        info = metadata.topic_by_id(topic_id)
        if info is not None:
            named.append({"topic_id": topic_id, "topic_name": info.name, "partitions": sorted(partitions)})
    return named
