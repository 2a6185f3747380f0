"""Moving a group between the two protocols (KIP-848's online upgrade and downgrade), as Kafka does.

``group.consumer.migration.policy`` (Kafka's default ``bidirectional``; ``upgrade``,
``downgrade``, ``disabled``) says which way a group may go. A ``group.protocol=consumer`` member
joining a classic group that uses the consumer protocol converts it: every classic member
becomes a consumer-group member at the generation's epoch, Stable, owning (and targeted at) what
its last SyncGroup gave it, and keeps speaking JoinGroup/SyncGroup/Heartbeat to the converted
group. When the last consumer-protocol member leaves and classic members remain, the group goes
back: a classic group at the group epoch, each member holding its target assignment, which then
rebalances as a classic group does.
"""

from __future__ import annotations

import uuid

from odradek.wire import DecodeError, ErrorCode
from odradek.wire.embedded import (
    CONSUMER_PROTOCOL_ASSIGNMENT, CONSUMER_PROTOCOL_SUBSCRIPTION, decode_embedded, encode_embedded,
)

from .assignors import Assignment
from .classic_group import ClassicGroup, ClassicMember, GroupState
from .consumer_group import ConsumerGroup, ConsumerMember, MemberState
from .consumer_group_records import ClassicMemberMetadata
from .group_error import GroupError

CONSUMER_PROTOCOL_TYPE = "consumer"


# --- classic to consumer -------------------------------------------------------------------------

def consumer_group_from_classic(classic: ClassicGroup, topics, max_size: int) -> ConsumerGroup:
    """The consumer group a classic group becomes (Kafka's validateOnlineUpgrade and
    ConsumerGroup.fromClassicGroup); GROUP_ID_NOT_FOUND, with Kafka's message, when it cannot.
    ``topics`` looks topic names up (``topic(name)``)."""
    group_id = classic.group_id
    if classic.protocol_type != CONSUMER_PROTOCOL_TYPE:
        raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Cannot upgrade classic group {group_id} to consumer group "
                         "because the group does not use the consumer embedded protocol.")
    if len(classic.members) > max_size:
        raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Cannot upgrade classic group {group_id} to consumer group "
                         "because the group size exceeds the consumer group maximum size.")
    group = ConsumerGroup(group_id, group_epoch=classic.generation, assignment_epoch=classic.generation)
    for member in classic.members.values():
        try:
            assigned = _assigned(member.assignment, topics)
            protocol = classic.protocol_name or member.protocols[0][0]
            _, subscription = decode_embedded(CONSUMER_PROTOCOL_SUBSCRIPTION, member.metadata_for(protocol))
        except (DecodeError, KeyError):
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Cannot upgrade classic group {group_id} to consumer "
                             "group because the embedded consumer protocol is malformed.") from None
        except _UserData:
            raise GroupError(ErrorCode.GROUP_ID_NOT_FOUND, f"Cannot upgrade classic group {group_id} to consumer "
                             "group because an unsupported custom assignor is in use. Please refer to the "
                             "documentation or switch to a default assignor before re-attempting the upgrade.") from None
        group.put_member(ConsumerMember(
            member.member_id, instance_id=member.group_instance_id, rack_id=subscription.rack_id,
            client_id=member.client_id, client_host=member.client_host,
            rebalance_timeout_ms=member.rebalance_timeout_ms,
            subscribed_topic_names=tuple(subscription.topics), subscribed_topic_regex="",
            member_epoch=classic.generation, previous_member_epoch=classic.generation, state=MemberState.STABLE,
            assigned=assigned, classic=classic_metadata(member.session_timeout_ms, member.protocols),
            assignment_epochs={(t, p): classic.generation for t, ps in assigned.items() for p in ps}))
        group.target[member.member_id] = assigned
    return group


class _UserData(Exception):
    """A custom assignor's user data, which the consumer group's assignors would lose."""


def _assigned(assignment: bytes, topics) -> Assignment:
    if not assignment:
        return {}  # a member that joined but never synced
    _, decoded = decode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, assignment)
    if decoded.user_data:
        raise _UserData
    assigned: dict[uuid.UUID, frozenset[int]] = {}
    for entry in decoded.assigned_partitions:
        info = topics.topic(entry.topic)
        if info is not None:
            assigned[info.topic_id] = assigned.get(info.topic_id, frozenset()) | frozenset(entry.partitions)
    return assigned


def classic_metadata(session_timeout_ms: int, protocols) -> ClassicMemberMetadata:
    return ClassicMemberMetadata(session_timeout_ms, tuple((name, bytes(metadata)) for name, metadata in protocols))


def subscription_of(protocols) -> object:
    """The consumer-protocol subscription a JoinGroup carries (every protocol has the same one);
    UNKNOWN_SERVER_ERROR when it does not decode (Kafka's coordinator fails the same way)."""
    try:
        return decode_embedded(CONSUMER_PROTOCOL_SUBSCRIPTION, bytes(protocols[0][1]))[1]
    except DecodeError:
        raise GroupError(ErrorCode.UNKNOWN_SERVER_ERROR, "Malformed embedded consumer protocol in "
                         "subscription deserialization.") from None


def assignment_bytes(member: ConsumerMember, partitions: Assignment, topics) -> bytes:
    """``partitions`` as a ConsumerProtocolAssignment at the version of the member's (first)
    subscription, as Kafka answers a classic member."""
    version = _metadata_version(member.classic.supported_protocols[0][1])
    by_name = []
    for topic_id, numbers in partitions.items():
        info = topics.topic_by_id(topic_id)
        if info is not None and numbers:
            by_name.append({"topic": info.name, "partitions": sorted(numbers)})
    return encode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, version, {"assigned_partitions": by_name,
                                                                   "user_data": None})


def _metadata_version(metadata: bytes) -> int:
    high = CONSUMER_PROTOCOL_ASSIGNMENT.valid_versions.high
    return min(int.from_bytes(metadata[:2], "big", signed=True), high) if len(metadata) >= 2 else 0


# --- consumer to classic -------------------------------------------------------------------------

def classic_group_from_consumer(group: ConsumerGroup, leaving: set[str], topics, now_ms: int) -> ClassicGroup:
    """The classic group a consumer group whose other members all use the classic protocol
    becomes (Kafka's ClassicGroup.fromConsumerGroup): Stable at the group epoch, each member
    holding its target assignment, at the version it subscribed with."""
    classic = ClassicGroup(group.group_id, state=GroupState.STABLE, generation=group.group_epoch,
                           protocol_type=CONSUMER_PROTOCOL_TYPE, state_timestamp_ms=now_ms)
    kept = [m for m in group.members.values() if m.member_id not in leaving]
    for member in kept:
        classic.add(ClassicMember(
            member.member_id, member.instance_id, member.client_id, member.client_host,
            member.classic.session_timeout_ms, member.rebalance_timeout_ms, CONSUMER_PROTOCOL_TYPE,
            [(name, metadata) for name, metadata in member.classic.supported_protocols], is_new=False))
    classic.protocol_name = classic.select_protocol()
    for member in kept:
        classic.members[member.member_id].assignment = assignment_bytes(
            member, group.target.get(member.member_id, {}), topics)
    return classic
