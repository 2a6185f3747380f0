"""Partition offsets by time (ListOffsets) and a group's committed offsets (OffsetFetch/Commit)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from odradek.wire import ApiKey

from .cluster import Client
from .errors import check, retrying

LATEST = -1
EARLIEST = -2
MAX_TIMESTAMP = -3

TopicPartition = tuple[str, int]


def list_offsets(client: Client, partitions: Iterable[TopicPartition], timestamp: int) -> dict[TopicPartition, int]:
    """Per partition, the offset for ``timestamp`` (``LATEST``, ``EARLIEST`` or epoch ms);
    -1 when no record is that recent, as Kafka answers."""
    wanted = list(partitions)
    return retrying(lambda: _list_offsets(client, wanted, timestamp))


def _list_offsets(client: Client, partitions: list[TopicPartition], timestamp: int) -> dict[TopicPartition, int]:
    found = {}
    for leader, owned in client.by_leader(partitions).items():
        topics: dict[str, list] = {}
        for topic, partition in owned:
            topics.setdefault(topic, []).append({"partition_index": partition, "timestamp": timestamp})
        answer = client.send(ApiKey.LIST_OFFSETS, {
            "replica_id": -1, "isolation_level": 0,
            "topics": [{"name": name, "partitions": parts} for name, parts in topics.items()]}, leader)
        for topic in answer.topics:
            for part in topic.partitions:
                check(part.error_code, f"ListOffsets {topic.name}-{part.partition_index}")
                found[(topic.name, part.partition_index)] = part.offset
    return found


def fetch_committed(client: Client, group: str, coordinator: int,
                    partitions: Iterable[TopicPartition] | None = None) -> dict[TopicPartition, int]:
    """The group's committed offsets (all of them for None); partitions without one are left out."""
    return {tp: offset for tp, (offset, _) in
            fetch_committed_with_epochs(client, group, coordinator, partitions).items()}


def fetch_committed_with_epochs(client: Client, group: str, coordinator: int,
                                partitions: Iterable[TopicPartition] | None = None
                                ) -> dict[TopicPartition, tuple[int, int]]:
    """Like ``fetch_committed``, with each offset's leader epoch (-1 when the commit had none)."""
    wanted = None if partitions is None else _by_topic(partitions)
    return retrying(lambda: _fetch_committed(client, group, coordinator, wanted))


def _fetch_committed(client: Client, group: str, coordinator: int,
                     wanted: dict[str, list[int]] | None) -> dict[TopicPartition, tuple[int, int]]:
    topics = None if wanted is None else [
        {"name": name, "topic_id": client.topic_id(name), "partition_indexes": parts}
        for name, parts in wanted.items()]
    answer = client.send(ApiKey.OFFSET_FETCH, {
        "group_id": group, "topics": topics,
        "groups": [{"group_id": group, "topics": topics}]}, coordinator)
    if answer.groups:
        check(answer.groups[0].error_code, f"OffsetFetch for group {group}")
        entries = answer.groups[0].topics
    else:
        check(answer.error_code, f"OffsetFetch for group {group}")
        entries = answer.topics
    committed = {}
    for topic in entries:
        name = client.topic_name(topic)
        for part in topic.partitions:
            check(part.error_code, f"OffsetFetch {name}-{part.partition_index}")
            if part.committed_offset >= 0:
                committed[(name, part.partition_index)] = (part.committed_offset, part.committed_leader_epoch)
    return committed


def commit(client: Client, group: str, coordinator: int, offsets: Mapping[TopicPartition, int],
           generation: int = -1, member_id: str = "") -> None:
    """Commit ``offsets`` for ``group``; generation -1 and no member for a group nobody is in."""
    retrying(lambda: _commit(client, group, coordinator, offsets, generation, member_id))


def _commit(client: Client, group: str, coordinator: int, offsets: Mapping[TopicPartition, int],
            generation: int, member_id: str) -> None:
    topics = [{"name": name, "topic_id": client.topic_id(name), "partitions": [
        {"partition_index": partition, "committed_offset": offset, "committed_metadata": ""}
        for partition, offset in parts]} for name, parts in _pairs_by_topic(offsets).items()]
    answer = client.send(ApiKey.OFFSET_COMMIT, {
        "group_id": group, "generation_id_or_member_epoch": generation, "member_id": member_id,
        "topics": topics}, coordinator)
    for topic in answer.topics:
        for part in topic.partitions:
            check(part.error_code, f"OffsetCommit {client.topic_name(topic)}-{part.partition_index}")


def _by_topic(partitions: Iterable[TopicPartition]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for topic, partition in sorted(partitions):
        grouped.setdefault(topic, []).append(partition)
    return grouped


def _pairs_by_topic(offsets: Mapping[TopicPartition, int]) -> dict[str, list[tuple[int, int]]]:
    grouped: dict[str, list[tuple[int, int]]] = {}
    for (topic, partition), offset in sorted(offsets.items()):
        grouped.setdefault(topic, []).append((partition, offset))
    return grouped
