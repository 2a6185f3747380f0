"""Checking a streams group's topology against the cluster's topics, as Kafka's InternalTopicManager does.

A topology names source topics (the user's, which must exist), repartition topics (written by one
subtopology, read by another) and changelog topics (a state store's backup); the last two are
*internal*: the broker creates them. Their partition counts are decided here: a repartition topic
without a count gets the largest task count of the subtopologies writing to it, a changelog topic
that of its subtopology; topics that must be co-partitioned (joined) must have one count, and
repartition topics of such a group without a count of their own take it. A subtopology has as
many tasks as its largest input topic has partitions.

The outcome is a ``Configured`` topology: tasks per subtopology once every topic is there, the
internal topics to create (the heartbeat answers MISSING_INTERNAL_TOPICS meanwhile, as Kafka's),
or a status saying why there are no tasks (MISSING_SOURCE_TOPICS, INCORRECTLY_PARTITIONED_TOPICS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .streams_group import Topology

STALE_TOPOLOGY = 0
MISSING_SOURCE_TOPICS = 1
INCORRECTLY_PARTITIONED_TOPICS = 2
MISSING_INTERNAL_TOPICS = 3
SHUTDOWN_APPLICATION = 4
ASSIGNMENT_DELAYED = 5


@dataclass(frozen=True)
class TopicToCreate:
    name: str
    partitions: int
    replication_factor: int  # -1: the broker's default
    configs: dict[str, str] = field(default_factory=dict)


@dataclass
class Configured:
    tasks: dict[str, int] | None = None  # subtopology -> task count; None: no tasks yet
    to_create: list[TopicToCreate] = field(default_factory=list)
    status: list[tuple[int, str]] = field(default_factory=list)


class TopicConfigurationError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def configure(topology: Topology, partition_count: Callable[[str], int | None]) -> Configured:
    """The topology checked against the topics: ``partition_count(name)`` is a topic's count, None if it does not exist."""
    try:
        missing = sorted({t for s in topology.subtopologies for t in s.source_topics if partition_count(t) is None})
        if missing:
            raise TopicConfigurationError(MISSING_SOURCE_TOPICS, f"Source topics {', '.join(missing)} are missing.")
        decided: dict[str, int] = {}

        def count(name: str) -> int | None:
            known = partition_count(name)
            return known if known is not None else decided.get(name)
        _decide_repartition_topics(topology, count, decided)
        _enforce_copartitioning(topology, count, decided)
        tasks = {}
        for s in topology.subtopologies:
            inputs = [count(t) for t in s.source_topics] + [count(t.name) for t in s.repartition_source_topics]
            if not inputs or any(n is None for n in inputs):
                raise TopicConfigurationError(MISSING_SOURCE_TOPICS,
                                              f"Subtopology {s.subtopology_id} has input topics of unknown size.")
            tasks[s.subtopology_id] = max(inputs)
            for changelog in s.state_changelog_topics:
                if changelog.partitions == 0:
                    decided.setdefault(changelog.name, tasks[s.subtopology_id])
        to_create = []
        for s in topology.subtopologies:
            for info in (*s.repartition_source_topics, *s.state_changelog_topics):
                existing = partition_count(info.name)
                wanted = info.partitions or decided.get(info.name) or existing
                if existing is None:
                    if all(t.name != info.name for t in to_create):
                        to_create.append(TopicToCreate(info.name, wanted, info.replication_factor or -1,
                                                       dict(info.configs)))
                elif existing != wanted:
                    raise TopicConfigurationError(
                        INCORRECTLY_PARTITIONED_TOPICS, f"Existing topic {info.name} has different number of "
                        f"partitions: expected {wanted}, found {existing}")
    except TopicConfigurationError as exc:
        return Configured(status=[(exc.status, exc.detail)])
    if to_create:
        names = ", ".join(sorted(t.name for t in to_create))
        return Configured(to_create=to_create, status=[(MISSING_INTERNAL_TOPICS, f"Internal topics are missing: [{names}]")])
    return Configured(tasks=tasks)


def _decide_repartition_topics(topology: Topology, count, decided: dict[str, int]) -> None:
    """Counts for repartition topics without one: the largest input of the subtopologies writing to them."""
    for s in topology.subtopologies:
        for info in s.repartition_source_topics:
            if info.partitions:
                decided[info.name] = info.partitions
    undecided = {info.name for s in topology.subtopologies for info in s.repartition_source_topics
                 if not info.partitions and count(info.name) is None}
    while undecided:
        progress = False
        for name in sorted(undecided):
            writers = [s for s in topology.subtopologies if name in s.repartition_sink_topics]
            sizes = [count(t) for w in writers for t in (*w.source_topics, *(i.name for i in w.repartition_source_topics))]
            known = [n for n in sizes if n is not None]
            if known and len(known) == len(sizes):
                decided[name] = max(known)
                undecided.discard(name)
                progress = True
        if not progress:
            raise TopicConfigurationError(MISSING_SOURCE_TOPICS, "Failed to compute the number of partitions for "
                                          f"repartition topics {', '.join(sorted(undecided))}.")


def _enforce_copartitioning(topology: Topology, count, decided: dict[str, int]) -> None:
    flexible = {info.name for s in topology.subtopologies for info in s.repartition_source_topics if not info.partitions}
    for s in topology.subtopologies:
        for group in s.copartitioned_topics():
            fixed = {t: count(t) for t in group if t not in flexible}
            if len(set(fixed.values())) > 1:
                raise TopicConfigurationError(
                    INCORRECTLY_PARTITIONED_TOPICS, "Following topics do not have the same number of partitions: "
                    f"[{', '.join(f'{t}={n}' for t, n in sorted(fixed.items()))}]")
            target = next(iter(fixed.values())) if fixed else max(((count(t) or 0) for t in group), default=0)
            for t in group:
                if t in flexible:
                    decided[t] = target


def internal_topic_names(topology: Topology) -> list[str]:
    return [info.name for s in topology.subtopologies
            for info in (*s.repartition_source_topics, *s.state_changelog_topics)]


