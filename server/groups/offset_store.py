"""Committed offsets, in memory: the coordinator's cache of what ``__consumer_offsets`` holds.

The group coordinator publishes a commit here only once its records are in the group's partition
of the internal topic (and, in a cluster, on every in-sync replica); taking a partition over
replays the topic to fill the cache again. Offsets of groups that have been empty for
``offsets.retention.minutes`` expire, as in Kafka.

A transactional commit (TxnOffsetCommit) is held until the transaction ends: the marker
written to the group's partition publishes it (commit) or drops it (abort). Whichever commit of
a partition is later in the log wins, as in Kafka: a transaction's offset does not replace a
plain commit written after it (while the transaction was open), and a plain commit published
late (its replication awaited longer) does not replace a later one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from .offsets_records import OffsetCommit

log = logging.getLogger("odradek.groups")

TopicPartition = tuple[str, int]


class OffsetStore:
    def __init__(self, partition_for: Callable[[str], int]):
        self._partition_for = partition_for  # a group's partition of __consumer_offsets
        self._offsets: dict[str, dict[TopicPartition, OffsetCommit]] = {}
        self._pending: dict[str, dict[int, dict[TopicPartition, OffsetCommit]]] = {}  # group -> producer id -> ...

    def add(self, loaded: dict[str, dict[TopicPartition, OffsetCommit]],
            pending: dict[str, dict[int, dict[TopicPartition, OffsetCommit]]]) -> None:
        """Take in what replaying a partition (or the whole topic) found."""
        self._offsets.update({group: dict(offsets) for group, offsets in loaded.items() if offsets})
        self._pending.update({group: {producer: dict(held) for producer, held in by_producer.items()}
                              for group, by_producer in pending.items()})

    def drop_partition(self, partition: int) -> None:
        """Forget the groups of a partition this coordinator no longer serves."""
        for store in (self._offsets, self._pending):
            for group_id in [g for g in store if self._partition_for(g) == partition]:
                del store[group_id]

    def publish(self, group_id: str, commits: list[OffsetCommit]) -> None:
        """Commits that are now in the log (at their ``record_offset``)."""
        _keep_latest(self._offsets.setdefault(group_id, {}), commits)

    def hold(self, group_id: str, producer_id: int, commits: list[OffsetCommit]) -> None:
        """Transactional commits now in the log, pending until their transaction ends."""
        held = self._pending.setdefault(group_id, {}).setdefault(producer_id, {})
        for commit in commits:
            held[(commit.topic, commit.partition)] = commit

    def complete_transaction(self, partition: int, producer_id: int, commit: bool) -> None:
        """The producer's transaction ended with a marker in ``partition`` of the topic: publish
        (or drop) the offsets it holds for the groups living there."""
        for group_id in list(self._pending):
            by_producer = self._pending[group_id]
            if producer_id not in by_producer or self._partition_for(group_id) != partition:
                continue
            held = by_producer.pop(producer_id)
            if not by_producer:
                del self._pending[group_id]
            if commit:
                _keep_latest(self._offsets.setdefault(group_id, {}), held.values())

    def is_pending(self, group_id: str, topic: str, partition: int) -> bool:
        """Whether an open transaction holds an offset for the partition (OffsetFetch's
        ``require_stable`` then answers UNSTABLE_OFFSET_COMMIT)."""
        return any((topic, partition) in held for held in self._pending.get(group_id, {}).values())

    def get(self, group_id: str, topic: str, partition: int) -> OffsetCommit | None:
        return self._offsets.get(group_id, {}).get((topic, partition))

    def of_group(self, group_id: str) -> dict[TopicPartition, OffsetCommit]:
        return dict(self._offsets.get(group_id, {}))

    def has_offsets(self, group_id: str) -> bool:
        return bool(self._offsets.get(group_id))

    def groups(self) -> list[str]:
        return list(self._offsets)

    def remove(self, group_id: str, partitions: Iterable[TopicPartition]) -> list[TopicPartition]:
        """Forget these offsets of the group (their tombstones are written); those it had."""
        offsets = self._offsets.get(group_id, {})
        removed = [tp for tp in partitions if offsets.pop(tp, None) is not None]
        if not offsets:
            self._offsets.pop(group_id, None)
        return removed

    def of_topics(self, topics: set[str]) -> dict[str, list[TopicPartition]]:
        """The committed offsets of these topics' partitions, by group."""
        found = {}
        for group_id, offsets in self._offsets.items():
            partitions = [tp for tp in offsets if tp[0] in topics]
            if partitions:
                found[group_id] = partitions
        return found

    def drop_pending_of_topics(self, topics: set[str]) -> None:
        """Forget what open transactions hold for these topics' partitions: deleted topics'
        offsets are not published when the transaction commits (Kafka deletes them too)."""
        for by_producer in self._pending.values():
            for held in by_producer.values():
                for tp in [tp for tp in held if tp[0] in topics]:
                    del held[tp]

    def expired(self, now_ms: int, retention_ms: int, empty_since) -> dict[str, list[TopicPartition]]:
        """The offsets due to expire, by group.

        ``empty_since(group_id)`` is None while the group has members (its offsets never
        expire then), the time it became empty for a consumer group (KIP-211: all its offsets
        expire together, retention after that), or -1 for a group that only commits offsets,
        whose offsets each expire retention after their own commit.
        """
        due = {}
        for group_id, offsets in self._offsets.items():
            since = empty_since(group_id)
            if since is None:
                continue
            stale = [tp for tp, c in offsets.items() if _expires_at(c, since, retention_ms) <= now_ms]
            if stale:
                due[group_id] = stale
        return due


def _keep_latest(offsets: dict[TopicPartition, OffsetCommit], commits: Iterable[OffsetCommit]) -> None:
    """Put each commit in ``offsets`` unless the one there was written later in the log
    (Kafka's replayEndTransactionMarker keeps the commit with the greater record offset)."""
    for commit in commits:
        tp = (commit.topic, commit.partition)
        current = offsets.get(tp)
        if current is None or commit.record_offset > current.record_offset:
            offsets[tp] = commit
        else:
            log.debug("Keeping offset %d of %s-%d for group %s (written at %d) over offset %d written earlier at %d",
                      current.offset, commit.topic, commit.partition, commit.group, current.record_offset,
                      commit.offset, commit.record_offset)


def _expires_at(commit: OffsetCommit, empty_since: int, retention_ms: int) -> int:
    if commit.expire_timestamp_ms >= 0:  # set explicitly by an old (v1-v4) commit
        return commit.expire_timestamp_ms
    return (empty_since if empty_since >= 0 else commit.commit_timestamp_ms) + retention_ms
