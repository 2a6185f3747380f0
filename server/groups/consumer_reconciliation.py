"""Moving one member towards its target assignment without two members owning a partition.

Kafka's reconciliation rules: a member first revokes what it must give up, staying in its
epoch meanwhile (``unrevoked_partitions``); once its heartbeat no longer lists those
partitions it moves to the target's epoch and is given the target's partitions that are free.
Partitions still owned by others are held back (``unreleased_partitions``) and handed over on a
later heartbeat, once their owners have let go. Each partition remembers the epoch it was given
at (Kafka's assignment epochs, KIP-1251): the target's epoch for a new one, its old epoch for
one kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace

from .assignors import Assignment
from .consumer_group import ConsumerMember, MemberState

OwnerEpoch = Callable[[uuid.UUID, int], int]  # the epoch owning a partition, -1 when free


def reconcile(member: ConsumerMember, target_epoch: int, target: Assignment, owner_epoch: OwnerEpoch,
              owned: Mapping[uuid.UUID, frozenset[int]] | None) -> ConsumerMember:
    """The member's next state. ``owned`` is what its heartbeat says it owns (None: not sent)."""
    if member.is_reconciled_to(target_epoch):
        return member
    if member.state == MemberState.UNREVOKED_PARTITIONS:
        if _owns_any(owned, member.pending_revocation):
            return member
        return _next(member, member.member_epoch + 1, target_epoch, target, owner_epoch, owned)
    return _next(member, member.member_epoch, target_epoch, target, owner_epoch, owned)


def _next(member: ConsumerMember, epoch: int, target_epoch: int, target: Assignment, owner_epoch: OwnerEpoch,
          owned) -> ConsumerMember:
    keep: dict[uuid.UUID, frozenset[int]] = {}
    revoke: dict[uuid.UUID, frozenset[int]] = {}
    gain: dict[uuid.UUID, frozenset[int]] = {}
    unreleased = False
    for topic_id in set(target) | set(member.assigned):
        wanted = target.get(topic_id, frozenset())
        current = member.assigned.get(topic_id, frozenset())
        missing = wanted - current
        free = frozenset(p for p in missing if owner_epoch(topic_id, p) == -1)
        unreleased = unreleased or free != missing
        for into, partitions in ((keep, current & wanted), (revoke, current - wanted), (gain, free)):
            if partitions:
                into[topic_id] = partitions
    if revoke and _owns_any(owned, revoke):
        return replace(member, state=MemberState.UNREVOKED_PARTITIONS, member_epoch=epoch,
                       previous_member_epoch=member.member_epoch, assigned=keep, pending_revocation=revoke,
                       assignment_epochs=_epochs(member, (keep, revoke), {}, target_epoch))
    assigned = {t: keep.get(t, frozenset()) | gain.get(t, frozenset()) for t in set(keep) | set(gain)}
    state = MemberState.UNRELEASED_PARTITIONS if unreleased else MemberState.STABLE
    return replace(member, state=state, member_epoch=target_epoch,
                   previous_member_epoch=member.member_epoch, assigned=assigned, pending_revocation={},
                   assignment_epochs=_epochs(member, (keep,), gain, target_epoch))


def _epochs(member: ConsumerMember, kept, gained, target_epoch: int) -> dict[tuple[uuid.UUID, int], int]:
    epochs = {(t, p): member.assignment_epoch(t, p)
              for assignment in kept for t, partitions in assignment.items() for p in partitions}
    epochs.update(((t, p), target_epoch) for t, partitions in gained.items() for p in partitions)
    return epochs


def _owns_any(owned, partitions: Mapping[uuid.UUID, frozenset[int]]) -> bool:
    """Whether the member may still own some of ``partitions``; not knowing counts as yes."""
    if owned is None:
        return True
    return any(owned.get(topic_id, frozenset()) & parts for topic_id, parts in partitions.items())
