"""A share group's offsets for admins: DescribeShareGroupOffsets, AlterShareGroupOffsets and
DeleteShareGroupOffsets, as Kafka 4.3's group coordinator serves them.

A share group has no committed offsets: where it stands in a partition is the share-partition
state the share coordinator keeps (its *start offset*, and how many records past it are already
done). ``kafka-share-groups --describe`` reads a summary of that state for each partition whose
state was initialized, with the *lag*: the partition's latest offset less the start offset less
the records done. ``--reset-offsets`` initializes the state again at chosen start offsets, and
``--delete-offsets`` deletes it for whole topics; both only while the group has no members, and
both go through the group's share-partition metadata (``share_partition_metadata``), as a member's
first subscription does: partitions *initializing* while the share coordinator is asked,
*initialized* once it has answered; topics *deleting* until their state is gone.
"""

from __future__ import annotations

import logging
import uuid

from odradek.wire import ErrorCode

from .share_group import ShareGroup
from .share_group_coordinator import ShareGroupCoordinator
from .share_group_records import ShareStatePartitionMetadata
from .share_partition_metadata import SharePartitionMetadata, TopicPartitions
from .share_state import UNKNOWN_COUNT, UNKNOWN_START_OFFSET, PartitionSummary

log = logging.getLogger("odradek.groups")

NO_TOPIC_ID = uuid.UUID(int=0)
UNKNOWN_LAG = -1
DEFAULT_LEADER_EPOCH = 0
# Kafka's default messages for the errors these answers carry
MESSAGES = {
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION: "This server does not host this topic-partition.",
    ErrorCode.NOT_LEADER_OR_FOLLOWER: "For requests intended only for the leader, this error indicates that the broker "
                                      "is not the current leader. For requests intended for any replica, this error "
                                      "indicates that the broker is not a replica of the topic partition.",
    ErrorCode.REQUEST_TIMED_OUT: "The request timed out.",
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS: "The coordinator is loading and hence can't process requests.",
    ErrorCode.COORDINATOR_NOT_AVAILABLE: "The coordinator is not available.",
    ErrorCode.NOT_COORDINATOR: "This is not the correct coordinator.",
    ErrorCode.INVALID_GROUP_ID: "The group id is invalid.",
    ErrorCode.NON_EMPTY_GROUP: "The group is not empty.",
    ErrorCode.GROUP_ID_NOT_FOUND: "The group id does not exist.",
    ErrorCode.UNSUPPORTED_VERSION: "The version of API is not supported.",
    ErrorCode.KAFKA_STORAGE_ERROR: "Disk error when trying to access log file on the disk.",
    ErrorCode.UNKNOWN_SERVER_ERROR: "The server experienced an unexpected error when processing the request.",
}
NOTHING_TO_DELETE = "There is no offset information to delete."


def message(code: ErrorCode) -> str:
    """Kafka's message for ``code`` (its name, for the few these answers never carry)."""
    return MESSAGES.get(code, code.name)


class ShareGroupOffsets:
    """``end_offsets`` (``server.partition_end_offsets``) tells partitions' latest offsets."""

    def __init__(self, coordinator: ShareGroupCoordinator, end_offsets):
        self.coordinator = coordinator
        self.end_offsets = end_offsets

    # -- DescribeShareGroupOffsets --------------------------------------------------------------

    async def describe(self, group_id: str, requested: list[tuple[str, list[int]]] | None) -> dict:
        """One group's answer: ``requested`` (topic name, partitions) pairs, or None for every
        partition whose state the group has (then the group must be coordinated here)."""
        c = self.coordinator
        wanted: dict[uuid.UUID, frozenset[int]] = {}
        names: dict[uuid.UUID, str] = {}
        missing = []
        if requested is None:
            code = c.coordinator_error(group_id)
            if code != ErrorCode.NONE:
                return {"group_id": group_id, "topics": [], "error_code": code, "error_message": message(code)}
            group = c.share_group(group_id)
            for topic_id, partitions in (group.partitions.initialized_partitions() if group else {}).items():
                info = c.topics.topic_by_id(topic_id)
                if info is not None:
                    wanted[topic_id], names[topic_id] = partitions, info.name
        else:
            for name, partitions in requested:
                info = c.topics.topic(name)
                if info is None:  # no offsets to show, rather than an error (as OffsetFetch answers)
                    missing.append({"topic_name": name, "topic_id": NO_TOPIC_ID, "partitions": [
                        _described(p, UNKNOWN_START_OFFSET, DEFAULT_LEADER_EPOCH, UNKNOWN_LAG) for p in partitions]})
                else:
                    wanted[info.topic_id] = wanted.get(info.topic_id, frozenset()) | frozenset(partitions)
                    names[info.topic_id] = name
        summaries = await c.persister.summary(group_id, wanted) if wanted else {}
        with_lag = [(names[t], p) for (t, p), s in summaries.items() if _has_lag(s)]
        ends = await self.end_offsets.latest(with_lag) if with_lag else {}
        topics = []
        for topic_id, partitions in wanted.items():
            answered = []
            for p in sorted(partitions):
                s = summaries.get((topic_id, p), PartitionSummary(ErrorCode.UNKNOWN_SERVER_ERROR))
                if not _has_lag(s):
                    ok = s.error_code == ErrorCode.NONE
                    answered.append(_described(p, s.start_offset if ok else UNKNOWN_START_OFFSET,
                                               s.leader_epoch if ok else DEFAULT_LEADER_EPOCH, UNKNOWN_LAG))
                    continue
                code, end = ends.get((names[topic_id], p), (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1))
                if code != ErrorCode.NONE:
                    answered.append({**_described(p, 0, 0, UNKNOWN_LAG), "error_code": code,
                                     "error_message": message(code)})
                else:
                    answered.append(_described(p, s.start_offset, s.leader_epoch,
                                               end - s.start_offset - s.delivery_complete_count))
            topics.append({"topic_name": names[topic_id], "topic_id": topic_id, "partitions": answered})
        return {"group_id": group_id, "topics": topics + missing, "error_code": ErrorCode.NONE, "error_message": None}

    # -- AlterShareGroupOffsets -----------------------------------------------------------------

    async def alter(self, group_id: str, requested: list[tuple[str, list[tuple[int, int]]]]) -> dict:
        """Set the start offsets of ``requested`` (topic name, [(partition, start offset)]) for an
        empty (or new) share group. The answer's ``error_code``/``error_message`` and topics."""
        c = self.coordinator
        code = c.coordinator_error(group_id) if group_id else ErrorCode.INVALID_GROUP_ID
        if code != ErrorCode.NONE:
            return _top_level(code, message(code))
        group = c.groups.get(group_id)
        if group is not None and not isinstance(group, ShareGroup):
            return _top_level(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a share group.")
        if group is not None and group.members:
            return _top_level(ErrorCode.NON_EMPTY_GROUP, message(ErrorCode.NON_EMPTY_GROUP))
        now = c.now_ms()
        unknown, answers, offsets, initializing = [], [], {}, {}
        for name, partitions in requested:
            info = c.topics.topic(name)
            answered = []
            for index, start_offset in partitions:
                if info is not None and 0 <= index < info.num_partitions:
                    offsets[(info.topic_id, index)] = start_offset
                    answered.append({"partition_index": index, "error_code": ErrorCode.NONE, "error_message": None})
                else:
                    answered.append(_unknown_partition(index))
            if info is not None:
                valid = frozenset(i for i, _ in partitions if 0 <= i < info.num_partitions)
                initializing[info.topic_id] = TopicPartitions(name, valid, now)
            # (Kafka's broker answers for topics it does not know before asking its coordinator)
            (answers if info is not None else unknown).append(
                {"topic_name": name, "topic_id": info.topic_id if info else NO_TOPIC_ID, "partitions": answered})
        partitions = group.partitions if group is not None else SharePartitionMetadata()
        epoch = group.group_epoch if group is not None else 1
        code = await c.write_now(group_id, [ShareStatePartitionMetadata(
            group_id, partitions.start_initializing(initializing))])
        if code != ErrorCode.NONE:
            return _top_level(code, message(code))
        failed = {}
        for (topic_id, index), start_offset in offsets.items():
            code = await c.persister.initialize(group_id, epoch, {topic_id: frozenset({index})}, start_offset)
            if code != ErrorCode.NONE:
                failed[(topic_id, index)] = code
        done = {t: TopicPartitions(v.name, frozenset(p for p in v.partitions if (t, p) not in failed), now)
                for t, v in initializing.items()}
        group = c.share_group(group_id)
        if group is not None and any(v.partitions for v in done.values()):
            await c.write_now(group_id, [ShareStatePartitionMetadata(group_id, group.partitions.finish_initializing(
                {t: v for t, v in done.items() if v.partitions}))])
        for answer in answers:
            for partition in answer["partitions"]:
                code = failed.get((answer["topic_id"], partition["partition_index"]))
                if code is not None:
                    partition.update(error_code=code, error_message=message(code))
        log.info("Set the start offsets of %d partition(s) of share group %s", len(offsets) - len(failed), group_id)
        return {"error_code": ErrorCode.NONE, "error_message": None, "responses": unknown + answers}

    # -- DeleteShareGroupOffsets ----------------------------------------------------------------

    async def delete(self, group_id: str, topic_names: list[str]) -> dict:
        """Delete an empty share group's share state for whole topics. The answer's
        ``error_code``/``error_message`` and topics."""
        c = self.coordinator
        code = c.coordinator_error(group_id) if group_id else ErrorCode.INVALID_GROUP_ID
        if code != ErrorCode.NONE:
            return _top_level(code, message(code))
        group = c.groups.get(group_id)
        if not isinstance(group, ShareGroup):
            return _top_level(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} not found." if group is None
                              else f"Group {group_id} is not a share group.")
        if group.members:
            return _top_level(ErrorCode.NON_EMPTY_GROUP, message(ErrorCode.NON_EMPTY_GROUP))
        partitions = group.partitions
        doomed: dict[uuid.UUID, tuple[str, frozenset[int]]] = {}
        errors = []
        for name in topic_names:
            info = c.topics.topic(name)
            if info is None:
                errors.append(_topic_error(name, NO_TOPIC_ID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
            elif info.topic_id in partitions.initialized:
                doomed[info.topic_id] = (name, partitions.initialized[info.topic_id].partitions)
            elif info.topic_id in partitions.deleting:  # an earlier deletion did not finish: again
                doomed[info.topic_id] = (name, frozenset(range(info.num_partitions)))
            else:
                errors.append({**_topic_error(name, NO_TOPIC_ID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
                               "error_message": NOTHING_TO_DELETE})
        code = await c.write_now(group_id, [ShareStatePartitionMetadata(
            group_id, partitions.start_deleting_topics({t: name for t, (name, _) in doomed.items()}))])
        if code != ErrorCode.NONE:
            return _top_level(code, message(code))
        deleted, answers = {}, []
        for topic_id, (name, indexes) in doomed.items():
            code = await c.persister.delete(group_id, {topic_id: indexes})
            if code == ErrorCode.NONE:
                deleted[topic_id] = name
            else:
                errors.append(_topic_error(name, topic_id, code))
        group = c.share_group(group_id)
        if deleted and group is not None:
            code = await c.write_now(group_id, [ShareStatePartitionMetadata(
                group_id, group.partitions.finish_deleting(set(deleted)))])
            if code != ErrorCode.NONE:
                return _top_level(code, message(code))
            answers = [{"topic_name": name, "topic_id": t, "error_code": ErrorCode.NONE, "error_message": None}
                       for t, name in deleted.items()]
        log.info("Deleted the share state of %d topic(s) of share group %s", len(deleted), group_id)
        return {"error_code": ErrorCode.NONE, "error_message": None, "responses": answers + errors}


def _has_lag(summary: PartitionSummary) -> bool:
    """Kafka's shouldComputeSharePartitionLag: a summary read without error, of a state that has a
    start offset and a count of done records."""
    return (summary.error_code == ErrorCode.NONE and summary.start_offset != UNKNOWN_START_OFFSET
            and summary.delivery_complete_count != UNKNOWN_COUNT)


def _described(index: int, start_offset: int, leader_epoch: int, lag: int) -> dict:
    return {"partition_index": index, "start_offset": start_offset, "leader_epoch": leader_epoch, "lag": lag,
            "error_code": ErrorCode.NONE, "error_message": None}


def _unknown_partition(index: int) -> dict:
    code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    return {"partition_index": index, "error_code": code, "error_message": message(code)}


def _topic_error(name: str, topic_id: uuid.UUID, code: ErrorCode) -> dict:
    return {"topic_name": name, "topic_id": topic_id, "error_code": code, "error_message": message(code)}


def _top_level(code: ErrorCode, text: str | None) -> dict:
    return {"error_code": code, "error_message": text, "responses": []}
