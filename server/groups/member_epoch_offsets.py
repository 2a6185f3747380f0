"""Who may commit and fetch the offsets of a group whose members carry epochs (KIP-848 consumer
groups and KIP-1071 streams groups alike).

Kafka's rule: anyone may commit to a group without members (admin tools, the Streams reset tool),
and a fetch naming no member (admin tools, older clients) is always allowed; otherwise only a
member may, at its current epoch.
"""

from __future__ import annotations

from odradek.wire import ErrorCode

from .group_error import GroupError, known_member


class MemberEpochOffsets:
    """Mixed into a group that has ``group_id`` and ``members`` (id -> member with ``member_epoch``)."""

    def check_offset_commit(self, member_id: str, member_epoch: int) -> None:
        if member_epoch < 0 and not self.members:
            return
        self._check_member_epoch(member_id, member_epoch)

    def check_offset_fetch(self, member_id: str | None, member_epoch: int) -> None:
        if member_id is None and member_epoch < 0:
            return
        self._check_member_epoch(member_id, member_epoch)

    def _check_member_epoch(self, member_id: str | None, member_epoch: int) -> None:
        self._check_epoch_of(known_member(self, member_id), member_epoch)

    def _check_epoch_of(self, member, member_epoch: int) -> None:
        if member_epoch != member.member_epoch:
            raise GroupError(ErrorCode.STALE_MEMBER_EPOCH,
                             f"The received member epoch {member_epoch} does not match the expected "
                             f"member epoch {member.member_epoch}.")
