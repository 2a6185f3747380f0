"""A group request refused with a Kafka error code."""

from odradek.wire import ErrorCode


class GroupError(Exception):
    def __init__(self, code: ErrorCode, message: str | None = None):
        super().__init__(message or code.name)
        self.code = code
        self.message = message  # None when the error says nothing more than its code


def unknown_member(member_id: str, group_id: str) -> GroupError:
    """Kafka's UNKNOWN_MEMBER_ID for a member id the group does not hold, worded as Kafka words it."""
    return GroupError(ErrorCode.UNKNOWN_MEMBER_ID, f"Member {member_id} is not a member of group {group_id}.")


def known_member(group, member_id: str):
    """``group``'s member ``member_id``, for a request that only an existing member may send."""
    member = group.members.get(member_id)
    if member is None:
        raise unknown_member(member_id, group.group_id)
    return member
