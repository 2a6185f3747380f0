"""AcquiredRecords: the offset ranges a ShareFetch answer hands a member, with their delivery count."""

from __future__ import annotations

from typing import NamedTuple


class AcquiredRecords(NamedTuple):
    first_offset: int
    last_offset: int
    delivery_count: int

    @property
    def record_count(self) -> int:
        return self.last_offset - self.first_offset + 1

    def as_wire(self) -> dict:
        return {"first_offset": self.first_offset, "last_offset": self.last_offset,
                "delivery_count": self.delivery_count}


def merged(ranges: list[AcquiredRecords]) -> list[AcquiredRecords]:
    """Contiguous ranges with the same delivery count as one (Kafka's
    ``ShareFetchUtils.accumulateAcquiredRecords``): records acquired one offset at a time are
    answered as few ranges as possible."""
    result: list[AcquiredRecords] = []
    for current in ranges:
        if result and result[-1].last_offset + 1 == current.first_offset \
                and result[-1].delivery_count == current.delivery_count:
            result[-1] = result[-1]._replace(last_offset=current.last_offset)
        else:
            result.append(current)
    return result
