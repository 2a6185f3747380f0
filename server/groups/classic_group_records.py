"""A classic group as a GroupMetadata record in ``__consumer_offsets``, and back."""

from __future__ import annotations

from .classic_group import ClassicGroup, ClassicMember, GroupState
from .offsets_records import GroupMetadata, MemberMetadata


def group_to_record(group: ClassicGroup) -> GroupMetadata:
    return GroupMetadata(
        group=group.group_id,
        protocol_type=group.protocol_type or "",
        generation=group.generation,
        protocol=group.protocol_name,
        leader=group.leader_id,
        current_state_timestamp_ms=group.state_timestamp_ms,
        members=[
            MemberMetadata(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                rebalance_timeout_ms=m.rebalance_timeout_ms,
                session_timeout_ms=m.session_timeout_ms,
                subscription=m.metadata_for(group.protocol_name) if group.protocol_name else b"",
                assignment=m.assignment,
            )
            for m in group.members.values()
        ],
    )


def group_from_record(record: GroupMetadata) -> ClassicGroup:
    """Members come back Stable with their assignments; Kafka does the same on load."""
    group = ClassicGroup(
        record.group,
        state=GroupState.STABLE if record.members else GroupState.EMPTY,
        generation=record.generation,
        protocol_type=record.protocol_type or None,
        protocol_name=record.protocol,
        state_timestamp_ms=record.current_state_timestamp_ms,
    )
    for m in record.members:
        group.add(ClassicMember(
            member_id=m.member_id,
            group_instance_id=m.group_instance_id,
            client_id=m.client_id,
            client_host=m.client_host,
            session_timeout_ms=m.session_timeout_ms,
            rebalance_timeout_ms=m.rebalance_timeout_ms,
            protocol_type=record.protocol_type,
            protocols=[(record.protocol, m.subscription)] if record.protocol else [],
            assignment=m.assignment,
            is_new=False,
        ))
    group.leader_id = record.leader if record.leader in group.members else group.leader_id
    return group
