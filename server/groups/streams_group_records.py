"""A streams group's records in ``__consumer_offsets``, as Kafka 4.3 writes them, and their replay.

Kafka keeps a streams group as six record types, keyed by record type, group and (for three) member;
the latest value per key wins and a null value (tombstone) deletes it:

- StreamsGroupMetadata (17): the group epoch, the metadata hash, the validated topology epoch;
- StreamsGroupMemberMetadata (19): a member's identity, process, endpoint, topology epoch;
- StreamsGroupTargetAssignmentMetadata (20): the assignment epoch;
- StreamsGroupTargetAssignmentMember (21): a member's target tasks;
- StreamsGroupCurrentMemberAssignment (22): a member's epochs, state, tasks and tasks it is revoking;
- StreamsGroupTopology (23): the topology the group runs.

As for consumer and share groups, a heartbeat turns into records and the records, replayed here,
are the change; start-up replays the same records from the log.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from odradek.wire import coordinator_records
from odradek.wire.coordinator_records import consumer_offsets
from odradek.wire.schema import Message

from .offsets_records import STREAMS_GROUP_TYPES
from .streams_group import (
    EMPTY_TASKS, LEAVE_EPOCH, MemberState, StreamsGroup, StreamsMember, Subtopology, TaskSets, TopicInfo, Topology,
)

GROUP_METADATA = 17
MEMBER_METADATA = 19
TARGET_ASSIGNMENT_METADATA = 20
TARGET_ASSIGNMENT_MEMBER = 21
CURRENT_MEMBER_ASSIGNMENT = 22
TOPOLOGY = 23
RECORD_TYPES = STREAMS_GROUP_TYPES
MEMBER_RECORD_TYPES = frozenset({MEMBER_METADATA, TARGET_ASSIGNMENT_MEMBER, CURRENT_MEMBER_ASSIGNMENT})


@dataclass(frozen=True)
class StreamsRecordKey:
    record_type: int
    group: str
    member_id: str | None = None


@dataclass(frozen=True)
class StreamsRecord:
    """One record: its key and its value's fields (as the schema names them), None for a tombstone."""

    key: StreamsRecordKey
    value: dict | None

    @property
    def group(self) -> str:
        return self.key.group


# --- what the coordinator writes -----------------------------------------------------------------

def group_metadata(group_id: str, epoch: int, metadata_hash: int, validated_topology_epoch: int) -> StreamsRecord:
    return StreamsRecord(StreamsRecordKey(GROUP_METADATA, group_id),
                         {"epoch": epoch, "metadata_hash": metadata_hash,
                          "validated_topology_epoch": validated_topology_epoch})


def topology_record(group_id: str, topology: Topology) -> StreamsRecord:
    def info(t: TopicInfo) -> dict:
        return {"name": t.name, "partitions": t.partitions, "replication_factor": t.replication_factor,
                "topic_configs": [{"key": k, "value": v} for k, v in t.configs]}
    return StreamsRecord(StreamsRecordKey(TOPOLOGY, group_id), {"epoch": topology.epoch, "subtopologies": [
        {"subtopology_id": s.subtopology_id, "source_topics": list(s.source_topics), "source_topic_regex": [],
         "state_changelog_topics": [info(t) for t in s.state_changelog_topics],
         "repartition_sink_topics": list(s.repartition_sink_topics),
         "repartition_source_topics": [info(t) for t in s.repartition_source_topics],
         "copartition_groups": [{"source_topics": list(a), "source_topic_regex": [], "repartition_source_topics": list(b)}
                                for a, b in s.copartition_groups]}
        for s in topology.subtopologies]})


def member_metadata(group_id: str, m: StreamsMember) -> StreamsRecord:
    return StreamsRecord(StreamsRecordKey(MEMBER_METADATA, group_id, m.member_id), {
        "instance_id": m.instance_id, "rack_id": m.rack_id, "client_id": m.client_id, "client_host": m.client_host,
        "rebalance_timeout_ms": m.rebalance_timeout_ms, "topology_epoch": m.topology_epoch, "process_id": m.process_id,
        "user_endpoint": None if m.user_endpoint is None else {"host": m.user_endpoint[0], "port": m.user_endpoint[1]},
        "client_tags": [{"key": k, "value": v} for k, v in m.client_tags]})


def target_metadata(group_id: str, epoch: int, timestamp_ms: int) -> StreamsRecord:
    return StreamsRecord(StreamsRecordKey(TARGET_ASSIGNMENT_METADATA, group_id),
                         {"assignment_epoch": epoch, "assignment_timestamp": timestamp_ms})


def target_member(group_id: str, member_id: str, tasks: TaskSets) -> StreamsRecord:
    return StreamsRecord(StreamsRecordKey(TARGET_ASSIGNMENT_MEMBER, group_id, member_id), {
        "active_tasks": _task_ids(tasks.active), "standby_tasks": _task_ids(tasks.standby),
        "warmup_tasks": _task_ids(tasks.warmup)})


def current_assignment(group_id: str, m: StreamsMember) -> StreamsRecord:
    return StreamsRecord(StreamsRecordKey(CURRENT_MEMBER_ASSIGNMENT, group_id, m.member_id), {
        "member_epoch": m.member_epoch, "previous_member_epoch": m.previous_member_epoch, "state": int(m.state),
        "active_tasks": _task_ids(m.assigned.active), "standby_tasks": _task_ids(m.assigned.standby),
        "warmup_tasks": _task_ids(m.assigned.warmup),
        "active_tasks_pending_revocation": _task_ids(m.pending_revocation.active),
        "standby_tasks_pending_revocation": _task_ids(m.pending_revocation.standby),
        "warmup_tasks_pending_revocation": _task_ids(m.pending_revocation.warmup)})


def member_tombstones(group_id: str, member_id: str) -> list[StreamsRecord]:
    """A member leaving: its current assignment, its target, then its metadata, in Kafka's order."""
    return [StreamsRecord(StreamsRecordKey(t, group_id, member_id), None)
            for t in (CURRENT_MEMBER_ASSIGNMENT, TARGET_ASSIGNMENT_MEMBER, MEMBER_METADATA)]


def group_tombstones(group: StreamsGroup) -> list[StreamsRecord]:
    """Everything of a deleted group (Kafka's StreamsGroup.createGroupTombstoneRecords order)."""
    g = group.group_id
    keys = [StreamsRecordKey(CURRENT_MEMBER_ASSIGNMENT, g, m) for m in group.members]
    keys += [StreamsRecordKey(TARGET_ASSIGNMENT_MEMBER, g, m) for m in group.target]
    keys.append(StreamsRecordKey(TARGET_ASSIGNMENT_METADATA, g))
    keys += [StreamsRecordKey(MEMBER_METADATA, g, m) for m in group.members]
    keys += [StreamsRecordKey(GROUP_METADATA, g), StreamsRecordKey(TOPOLOGY, g)]
    return [StreamsRecord(k, None) for k in keys]


# --- replay --------------------------------------------------------------------------------------

def replay(groups: dict, entry: StreamsRecord) -> None:
    """Apply one record to the streams groups in ``groups`` (Kafka's replay): a record creates
    its group if needed; a tombstone for what is not there is ignored."""
    key, v = entry.key, entry.value
    group = groups.get(key.group)
    if group is not None and not isinstance(group, StreamsGroup):
        raise ValueError(f"a streams group record for group {key.group}, which is not a streams group")
    if v is None:
        if group is not None:
            _delete(groups, group, key)
        return
    if group is None:
        group = groups[key.group] = StreamsGroup(key.group)
    t = key.record_type
    if t == GROUP_METADATA:
        group.group_epoch, group.metadata_hash = v["epoch"], v["metadata_hash"]
        group.validated_topology_epoch = v.get("validated_topology_epoch", -1)
    elif t == TOPOLOGY:
        group.topology = _topology(v)
        group.partitions_by_subtopology = None  # the coordinator configures it again
    elif t == MEMBER_METADATA:
        member = group.members.get(key.member_id) or StreamsMember(key.member_id)
        endpoint = v["user_endpoint"]
        group.members[key.member_id] = replace(
            member, instance_id=v["instance_id"], rack_id=v["rack_id"], client_id=v["client_id"],
            client_host=v["client_host"], rebalance_timeout_ms=v["rebalance_timeout_ms"],
            topology_epoch=v["topology_epoch"], process_id=v["process_id"],
            user_endpoint=None if endpoint is None else (endpoint["host"], endpoint["port"]),
            client_tags=tuple((kv["key"], kv["value"]) for kv in v["client_tags"]))
    elif t == TARGET_ASSIGNMENT_METADATA:
        group.assignment_epoch = v["assignment_epoch"]
    elif t == TARGET_ASSIGNMENT_MEMBER:
        group.target[key.member_id] = TaskSets(_tasks(v["active_tasks"]), _tasks(v["standby_tasks"]),
                                               _tasks(v["warmup_tasks"]))
    else:
        member = group.members.get(key.member_id) or StreamsMember(key.member_id)
        group.members[key.member_id] = replace(
            member, member_epoch=v["member_epoch"], previous_member_epoch=v["previous_member_epoch"],
            state=_state(v["state"]),
            assigned=TaskSets(_tasks(v["active_tasks"]), _tasks(v["standby_tasks"]), _tasks(v["warmup_tasks"])),
            pending_revocation=TaskSets(_tasks(v["active_tasks_pending_revocation"]),
                                        _tasks(v["standby_tasks_pending_revocation"]),
                                        _tasks(v["warmup_tasks_pending_revocation"])))


def _delete(groups: dict, group: StreamsGroup, key: StreamsRecordKey) -> None:
    t = key.record_type
    if t == GROUP_METADATA:
        del groups[group.group_id]
        group.dead = True
    elif t == TOPOLOGY:
        group.topology = None
    elif t == MEMBER_METADATA:
        group.members.pop(key.member_id, None)
    elif t == TARGET_ASSIGNMENT_METADATA:
        group.assignment_epoch = -1
    elif t == TARGET_ASSIGNMENT_MEMBER:
        group.target.pop(key.member_id, None)
    else:
        member = group.members.get(key.member_id)
        if member is not None:
            group.members[key.member_id] = replace(member, member_epoch=LEAVE_EPOCH, previous_member_epoch=LEAVE_EPOCH,
                                                   assigned=EMPTY_TASKS, pending_revocation=EMPTY_TASKS)


def _state(value: int) -> MemberState:
    try:
        return MemberState(value)
    except ValueError:
        return MemberState.UNKNOWN


def _topology(v) -> Topology:
    def info(t) -> TopicInfo:
        return TopicInfo(t["name"], t["partitions"], t["replication_factor"],
                         tuple((kv["key"], kv["value"]) for kv in t["topic_configs"]))
    return Topology(v["epoch"], tuple(
        Subtopology(s["subtopology_id"], tuple(s["source_topics"]), tuple(s["repartition_sink_topics"]),
                    tuple(info(t) for t in s["state_changelog_topics"]),
                    tuple(info(t) for t in s["repartition_source_topics"]),
                    tuple((tuple(g["source_topics"]), tuple(g["repartition_source_topics"]))
                          for g in s["copartition_groups"]))
        for s in v["subtopologies"]))


def _task_ids(tasks) -> list[dict]:
    return [{"subtopology_id": s, "partitions": sorted(p)} for s, p in sorted(tasks.items()) if p]


def _tasks(entries) -> dict[str, frozenset[int]]:
    out: dict[str, frozenset[int]] = {}
    for e in entries:
        out[e["subtopology_id"]] = out.get(e["subtopology_id"], frozenset()) | frozenset(e["partitions"])
    return out


# --- bytes ---------------------------------------------------------------------------------------

def schemas(record_type: int) -> tuple[Message, Message]:
    record = consumer_offsets.RECORD_BY_TYPE[record_type]
    return record.key, record.value


def encode(entry: StreamsRecord) -> tuple[bytes, bytes | None]:
    record = consumer_offsets.RECORD_BY_TYPE[entry.key.record_type]
    key = {"group_id": entry.key.group}
    if entry.key.member_id is not None:
        key["member_id"] = entry.key.member_id
    return coordinator_records.encode_record(record, key, entry.value)


def decode(key: bytes, value: bytes | None) -> StreamsRecord:
    decoded = coordinator_records.decode_record(consumer_offsets.RECORD_BY_TYPE, key, value)
    record_type = decoded.record.type
    if record_type not in RECORD_TYPES:
        raise coordinator_records.UnknownRecordTypeError(f"record type {record_type} is not a streams group's")
    member_id = decoded.key["member_id"] if record_type in MEMBER_RECORD_TYPES else None
    return StreamsRecord(StreamsRecordKey(record_type, decoded.key["group_id"], member_id),
                         None if decoded.is_tombstone else decoded.value)
