"""Committed offsets: a cache in front of ``__consumer_offsets``, which makes them durable.

A commit is acknowledged only after its records are appended to the group's partition of the
internal topic; start-up replays that topic to fill the cache again. Offsets of groups that have
been empty for ``offsets.retention.minutes`` expire, as in Kafka.

A transactional commit (TxnOffsetCommit) is pending until the transaction ends: the marker
written to the group's partition publishes it (commit) or drops it (abort).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from .offsets_records import OffsetCommit, OffsetCommitKey, Tombstone
from .offsets_topic import partition_for

log = logging.getLogger("odradek.groups")

TopicPartition = tuple[str, int]


class OffsetStore:
    def __init__(self, topic):
        self.topic = topic  # the OffsetsTopic that persists commits
        self._offsets: dict[str, dict[TopicPartition, OffsetCommit]] = {}
        self._pending: dict[str, dict[int, dict[TopicPartition, OffsetCommit]]] = {}  # group -> producer id -> ...

    def adopt(self, loaded: dict[str, dict[TopicPartition, OffsetCommit]],
              pending: dict[str, dict[int, dict[TopicPartition, OffsetCommit]]]) -> None:
        self._offsets = {group: dict(offsets) for group, offsets in loaded.items() if offsets}
        self._pending = {group: {producer: dict(held) for producer, held in by_producer.items()}
                         for group, by_producer in pending.items()}

    def commit(self, group_id: str, commits: list[OffsetCommit]) -> None:
        """Persist, then publish; raises if the append fails (nothing is then published)."""
        if not commits:
            return
        self.topic.write(group_id, commits)
        offsets = self._offsets.setdefault(group_id, {})
        for commit in commits:
            offsets[(commit.topic, commit.partition)] = commit

    def commit_transactional(self, group_id: str, producer_id: int, producer_epoch: int,
                             commits: list[OffsetCommit]) -> None:
        """Persist as part of the producer's transaction, pending until it ends; raises if the
        append fails (nothing is then held)."""
        if not commits:
            return
        self.topic.write(group_id, commits, producer=(producer_id, producer_epoch))
        held = self._pending.setdefault(group_id, {}).setdefault(producer_id, {})
        for commit in commits:
            held[(commit.topic, commit.partition)] = commit

    def complete_transaction(self, partition: int, producer_id: int, commit: bool) -> None:
        """The producer's transaction ended with a marker in ``partition`` of the topic: publish
        (or drop) the offsets it holds for the groups living there."""
        for group_id in list(self._pending):
            by_producer = self._pending[group_id]
            if producer_id not in by_producer or partition_for(group_id, self.topic.num_partitions) != partition:
                continue
            held = by_producer.pop(producer_id)
            if not by_producer:
                del self._pending[group_id]
            if commit:
                self._offsets.setdefault(group_id, {}).update(held)

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

    def delete(self, group_id: str, partitions: Iterable[TopicPartition]) -> None:
        offsets = self._offsets.get(group_id, {})
        doomed = [tp for tp in partitions if tp in offsets]
        if not doomed:
            return
        self.topic.write(group_id, [Tombstone(OffsetCommitKey(group_id, t, p)) for t, p in doomed])
        for tp in doomed:
            del offsets[tp]
        if not offsets:
            del self._offsets[group_id]

    def delete_group(self, group_id: str) -> None:
        self.delete(group_id, list(self._offsets.get(group_id, {})))

    def expire(self, now_ms: int, retention_ms: int, empty_since) -> list[str]:
        """Drop expired offsets; returns the groups left with no offsets at all.

        ``empty_since(group_id)`` is None while the group has members (its offsets never
        expire then), the time it became empty for a consumer group (KIP-211: all its offsets
        expire together, retention after that), or -1 for a group that only commits offsets,
        whose offsets each expire retention after their own commit.
        """
        emptied = []
        for group_id, offsets in list(self._offsets.items()):
            since = empty_since(group_id)
            if since is None:
                continue
            stale = [tp for tp, c in offsets.items() if _expires_at(c, since, retention_ms) <= now_ms]
            if stale:
                log.info("Expiring %d offset(s) of group %s", len(stale), group_id)
                self.delete(group_id, stale)
                if group_id not in self._offsets:
                    emptied.append(group_id)
        return emptied


def _expires_at(commit: OffsetCommit, empty_since: int, retention_ms: int) -> int:
    if commit.expire_timestamp_ms >= 0:  # set explicitly by an old (v1-v4) commit
        return commit.expire_timestamp_ms
    return (empty_since if empty_since >= 0 else commit.commit_timestamp_ms) + retention_ms
