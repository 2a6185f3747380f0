"""Which share-partitions of a share group have state: Kafka's ShareGroupStatePartitionMetadata.

A share group consumes a partition only once the share coordinator holds state for it (its
start offset, the in-flight records). The group coordinator asks for that state to be
*initialized* when a member first subscribes to the topic, marks the partitions *initializing*
meanwhile, and *initialized* once the share coordinator has answered; only initialized partitions
are assigned. Deleting the group (or its offsets for a topic) moves its topics to *deleting*
until the share coordinator has dropped their state. Each entry remembers when it was set, so
that an initialization that never completed is asked for again
(``group.share.initialize.retry.interval.ms``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class TopicPartitions:
    """Partitions of one topic, by name as well (kept in the record), and when they were set."""

    name: str
    partitions: frozenset[int]
    timestamp_ms: int = -1


ByTopic = dict[uuid.UUID, TopicPartitions]


@dataclass(frozen=True)
class SharePartitionMetadata:
    initializing: ByTopic = field(default_factory=dict)
    initialized: ByTopic = field(default_factory=dict)
    deleting: dict[uuid.UUID, str] = field(default_factory=dict)  # topic id -> name

    def initialized_partitions(self) -> dict[uuid.UUID, frozenset[int]]:
        return {topic_id: tp.partitions for topic_id, tp in self.initialized.items()}

    def uninitialized(self, subscribed: dict[str, tuple[uuid.UUID, int]], now_ms: int,
                      retry_interval_ms: int) -> ByTopic:
        """The subscribed partitions (``subscribed``: topic name -> (id, partition count)) that have
        no state yet and are not being initialized, or whose initialization started more than
        ``retry_interval_ms`` ago; Kafka's subscribedTopicsChangeMap."""
        fresh = {t: v for t, v in self.initializing.items() if now_ms - v.timestamp_ms < retry_interval_ms}
        known = combine(self.initialized, fresh)
        wanted: ByTopic = {}
        for name, (topic_id, count) in subscribed.items():
            have = known[topic_id].partitions if topic_id in known else frozenset()
            missing = frozenset(range(count)) - have
            if missing:
                wanted[topic_id] = TopicPartitions(name, missing, now_ms)
        return wanted

    def start_initializing(self, topics: ByTopic) -> "SharePartitionMetadata":
        """Mark ``topics`` initializing; a topic initialized again is no longer being deleted."""
        deleting = {t: n for t, n in self.deleting.items() if t not in topics}
        return replace(self, initializing=combine(self.initializing, topics), deleting=deleting)

    def finish_initializing(self, topics: ByTopic) -> "SharePartitionMetadata":
        """``topics`` now have state: initialized, no longer initializing."""
        return replace(self, initialized=combine(self.initialized, topics),
                       initializing=_without(self.initializing, topics))

    def abandon_initializing(self, topics: dict[uuid.UUID, frozenset[int]]) -> "SharePartitionMetadata":
        """The share coordinator refused: forget that ``topics`` were being initialized."""
        return replace(self, initializing=_without(self.initializing, {
            t: TopicPartitions("", parts) for t, parts in topics.items()}))

    def start_deleting_topics(self, topics: dict[uuid.UUID, str]) -> "SharePartitionMetadata":
        """``topics`` (id -> name) are to lose their state (DeleteShareGroupOffsets): no longer
        initialized, deleting until the share coordinator has dropped it."""
        return SharePartitionMetadata(self.initializing,
                                      {t: v for t, v in self.initialized.items() if t not in topics},
                                      {**self.deleting, **topics})

    def finish_deleting(self, topics: set[uuid.UUID]) -> "SharePartitionMetadata":
        """``topics``' state is gone."""
        return replace(self, deleting={t: n for t, n in self.deleting.items() if t not in topics})

    def start_deleting(self, partition_count) -> tuple["SharePartitionMetadata", ByTopic]:
        """Every partition with state (or being given some) is to be deleted: the new metadata and
        those partitions (Kafka's shareGroupBuildPartitionDeleteRequest). Topics an earlier
        deletion left behind are deleted again, every partition of them, while they exist
        (``partition_count(topic_id)``, None once the topic is gone)."""
        doomed = combine(self.initialized, self.initializing)
        retried = {}
        for topic_id, name in self.deleting.items():
            count = partition_count(topic_id)
            if count is not None:
                retried[topic_id] = TopicPartitions(name, frozenset(range(count)))
        doomed = combine(doomed, retried)
        return SharePartitionMetadata(deleting={t: v.name for t, v in doomed.items()}), doomed

    def topics(self) -> set[uuid.UUID]:
        return set(self.initializing) | set(self.initialized) | set(self.deleting)

    def without_topics(self, gone: set[uuid.UUID]) -> "SharePartitionMetadata":
        """Deleted topics forgotten (Kafka's maybeCleanupShareGroupState): the share coordinator
        drops their state itself."""
        return SharePartitionMetadata({t: v for t, v in self.initializing.items() if t not in gone},
                                      {t: v for t, v in self.initialized.items() if t not in gone},
                                      {t: n for t, n in self.deleting.items() if t not in gone})

    def replayed_at(self, now_ms: int) -> "SharePartitionMetadata":
        """Read back from the log: as in Kafka, every entry counts as set when it is replayed."""
        def stamped(topics: ByTopic) -> ByTopic:
            return {t: replace(v, timestamp_ms=now_ms) for t, v in topics.items()}
        return replace(self, initializing=stamped(self.initializing), initialized=stamped(self.initialized))

    @property
    def is_empty(self) -> bool:
        return not (self.initializing or self.initialized or self.deleting)


def combine(first: ByTopic, second: ByTopic) -> ByTopic:
    """Both sets of partitions by topic; where both have a topic, the second's name and time."""
    result = dict(first)
    for topic_id, tp in second.items():
        base = first.get(topic_id)
        partitions = tp.partitions | (base.partitions if base is not None else frozenset())
        result[topic_id] = TopicPartitions(tp.name, partitions, tp.timestamp_ms)
    return result


def _without(topics: ByTopic, removed: ByTopic) -> ByTopic:
    result = {}
    for topic_id, tp in topics.items():
        left = tp.partitions - (removed[topic_id].partitions if topic_id in removed else frozenset())
        if left:
            result[topic_id] = replace(tp, partitions=left)
    return result
