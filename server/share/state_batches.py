"""Persisted share-partition state: offset ranges with a delivery state and count.

What WriteShareGroupState carries and ``__share_group_state`` records (Kafka's
``PersisterStateBatch``): only AVAILABLE (0), ACKNOWLEDGED (2) and ARCHIVED (4) ranges. A write
names only the ranges that changed; the share coordinator folds them into what it holds
(``combine``), dropping whatever lies before the share-partition start offset, so the state it
keeps covers only the in-flight window.

Kafka's combiner resolves overlapping ranges by priority (higher delivery count, then higher state
id); a share partition's writes only ever move a record up that order, and reach the coordinator
in the order they were made, so the newest range wins, which is what ``combine`` does.
"""

from __future__ import annotations

from typing import NamedTuple


class StateBatch(NamedTuple):
    first_offset: int
    last_offset: int
    delivery_state: int
    delivery_count: int

    def as_wire(self) -> dict:
        return self._asdict()


def combine(so_far: list[StateBatch], changed: list[StateBatch], start_offset: int) -> list[StateBatch]:
    """``so_far`` with ``changed`` laid over it, pruned before ``start_offset`` (-1: no pruning),
    as non-overlapping ranges in offset order, adjacent ranges of the same state and count merged."""
    ranges = sorted(so_far)
    for batch in changed:
        ranges = _overlay(ranges, batch)
    if start_offset >= 0:
        ranges = [b if b.first_offset >= start_offset else b._replace(first_offset=start_offset)
                  for b in ranges if b.last_offset >= start_offset]
    return _merge_adjacent(ranges)


def _overlay(ranges: list[StateBatch], new: StateBatch) -> list[StateBatch]:
    result = []
    for batch in ranges:
        if batch.last_offset < new.first_offset or batch.first_offset > new.last_offset:
            result.append(batch)
            continue
        if batch.first_offset < new.first_offset:
            result.append(batch._replace(last_offset=new.first_offset - 1))
        if batch.last_offset > new.last_offset:
            result.append(batch._replace(first_offset=new.last_offset + 1))
    result.append(new)
    result.sort()
    return result


def _merge_adjacent(ranges: list[StateBatch]) -> list[StateBatch]:
    merged: list[StateBatch] = []
    for batch in ranges:
        if merged and merged[-1].last_offset + 1 == batch.first_offset \
                and merged[-1][2:] == batch[2:]:
            merged[-1] = merged[-1]._replace(last_offset=batch.last_offset)
        else:
            merged.append(batch)
    return merged
