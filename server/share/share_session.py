"""A share session (KIP-932): the partitions a member fetches from one broker, and its epoch.

ShareFetch opens a session with epoch 0 (naming every partition it wants), then sends only the
changes (new partitions, and forgotten ones) with epochs 1, 2, ... (after ``2**31 - 1`` comes 1);
epoch -1 closes it, releasing the records the member still holds. The broker answers a session's
requests with only the partitions that have something to say (records, an error) or are new to
the session. A member has one session per broker, keyed by group and member id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import NamedTuple

INITIAL_EPOCH = 0
FINAL_EPOCH = -1
MAX_EPOCH = 2**31 - 1

TopicIdPartition = tuple[uuid.UUID, int]


class ShareSessionKey(NamedTuple):
    group_id: str
    member_id: str


def next_epoch(epoch: int) -> int:
    if epoch < 0:
        return FINAL_EPOCH
    return 1 if epoch == MAX_EPOCH else epoch + 1


@dataclass
class ShareSession:
    key: ShareSessionKey
    connection_id: str
    epoch: int = 1
    # the session's partitions in the order they joined; True while a new one has not yet been
    # answered (it is then always included, even empty)
    partitions: dict[TopicIdPartition, bool] = field(default_factory=dict)

    def update(self, fetch: list[TopicIdPartition], forget: list[TopicIdPartition]) -> None:
        """A subsequent request's changes: partitions it names join (if new), forgotten ones leave."""
        for partition in fetch:
            self.partitions.setdefault(partition, True)
        for partition in forget:
            self.partitions.pop(partition, None)

    def must_answer(self, partition: TopicIdPartition, has_records: bool, has_error: bool) -> bool:
        """Whether a subsequent request's answer includes the partition (Kafka's
        ``CachedSharePartition.maybeUpdateResponseData``); an error is repeated until it clears,
        and a partition that had one is answered once more after."""
        new = self.partitions.get(partition, False)
        if partition in self.partitions:
            self.partitions[partition] = has_error
        return has_records or new or has_error
