"""A pretend partition log for share-partition tests: record batches by offset, read as a fetch reads."""

from __future__ import annotations

from typing import NamedTuple


class Batch(NamedTuple):
    base_offset: int
    last_offset: int


def batches_of(*sizes: int, start: int = 0) -> list[Batch]:
    """Consecutive batches of the given record counts."""
    result, offset = [], start
    for size in sizes:
        result.append(Batch(offset, offset + size - 1))
        offset += size
    return result


def read(log: list[Batch], offset: int, max_batches: int = 1000) -> list[Batch]:
    """The batches from the one holding ``offset``, as the log returns them."""
    found = [batch for batch in log if batch.last_offset >= offset]
    return found[:max_batches]
