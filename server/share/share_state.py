"""What the share coordinator keeps per share partition (Kafka's ``ShareGroupOffset``), and how
the two records of ``__share_group_state`` change it.

A ShareSnapshot record carries a share partition's whole state; a ShareUpdate only what one write
changed, folded into the state it follows (``with_update``). A snapshot with a null value (a
tombstone) deletes the share partition's state. ``snapshot_epoch`` counts snapshots;
``state_epoch`` the share partition's (re)initializations by the group coordinator;
``leader_epoch`` the partition leader epoch the share partition was last written from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .state_batches import StateBatch, combine

UNINITIALIZED_START_OFFSET = -1  # the group coordinator initializes; the share partition resolves it


@dataclass(frozen=True)
class ShareState:
    snapshot_epoch: int
    state_epoch: int
    leader_epoch: int
    start_offset: int
    delivery_complete_count: int = -1
    create_timestamp: int = 0
    write_timestamp: int = 0
    batches: tuple[StateBatch, ...] = ()

    def with_update(self, update: ShareUpdate) -> ShareState:
        """This state with a ShareUpdate applied (Kafka's ``ShareCoordinatorShard.merge``)."""
        start = self.start_offset if update.start_offset == -1 else update.start_offset
        return replace(
            self,
            start_offset=start,
            leader_epoch=self.leader_epoch if update.leader_epoch == -1 else update.leader_epoch,
            delivery_complete_count=update.delivery_complete_count,
            batches=tuple(combine(list(self.batches), list(update.batches), start)),
        )


@dataclass(frozen=True)
class ShareUpdate:
    snapshot_epoch: int
    leader_epoch: int
    start_offset: int  # -1: unchanged
    delivery_complete_count: int = -1
    batches: tuple[StateBatch, ...] = ()

    def as_state(self) -> ShareState:
        """What an update means with no snapshot before it (Kafka keeps it as the state)."""
        return ShareState(self.snapshot_epoch, 0, self.leader_epoch, self.start_offset,
                          self.delivery_complete_count, batches=self.batches)
