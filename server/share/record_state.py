"""The states an in-flight record moves through, and the acknowledgement types that move it.

Kafka's ``RecordState`` ids are also the ``DeliveryState`` written to ``__share_group_state``:
only AVAILABLE, ACKNOWLEDGED and ARCHIVED are ever written (an acquisition is not persisted).
ACKNOWLEDGED and ARCHIVED are terminal: nothing moves a record out of them. AVAILABLE moves only to
ACQUIRED; ACQUIRED moves to any other state (KIP-1191's ARCHIVING is named but unused, as in 4.3).
"""

from __future__ import annotations

from enum import IntEnum


class RecordState(IntEnum):
    AVAILABLE = 0
    ACQUIRED = 1
    ACKNOWLEDGED = 2
    ARCHIVING = 3
    ARCHIVED = 4

    @property
    def is_terminal(self) -> bool:
        return self in (RecordState.ACKNOWLEDGED, RecordState.ARCHIVED)

    def may_become(self, new: RecordState) -> bool:
        """Kafka's ``RecordState.validateTransition``."""
        if new == self or self.is_terminal:
            return False
        return self != RecordState.AVAILABLE or new == RecordState.ACQUIRED


class AcknowledgeType(IntEnum):
    """ShareFetch/ShareAcknowledge ``AcknowledgeTypes``: 0 marks a gap (an offset the consumer
    found no record at, e.g. compacted away); RENEW (v2, KIP-1222) extends the lock instead."""

    GAP = 0
    ACCEPT = 1
    RELEASE = 2
    REJECT = 3
    RENEW = 4


#: What each acknowledgement makes of an acquired record (RENEW changes no state).
ACK_TYPE_STATE = {
    AcknowledgeType.GAP: RecordState.ARCHIVED,
    AcknowledgeType.ACCEPT: RecordState.ACKNOWLEDGED,
    AcknowledgeType.RELEASE: RecordState.AVAILABLE,
    AcknowledgeType.REJECT: RecordState.ARCHIVED,
}
