"""The acknowledgements a ShareFetch or ShareAcknowledge request carries, checked as Kafka checks
them before any reaches a share partition (``KafkaApis.validateAcknowledgementBatches``).

Per partition, the batches must be in offset order (Kafka lets one start at the previous one's
last offset), each with first <= last, at least one acknowledgement type, either one type or one
per offset, every type known (RENEW only at v2, and only when the request says it renews): else
the partition is answered INVALID_REQUEST and none of its acknowledgements is applied. A topic id
the broker does not know is UNKNOWN_TOPIC_ID, a partition it does not have
UNKNOWN_TOPIC_OR_PARTITION; a partition with no batches is answered NONE.
"""

from __future__ import annotations

from odradek.wire import ErrorCode

from .record_state import AcknowledgeType
from .share_partition import AcknowledgementBatch
from .share_session import TopicIdPartition

Answers = dict[TopicIdPartition, tuple[ErrorCode, str | None]]


def parse_acknowledgements(broker, topics, supports_renew: bool, is_renew: bool
                           ) -> tuple[dict[TopicIdPartition, tuple[str, list[AcknowledgementBatch]]], Answers]:
    """(the acknowledgements to apply: topic name and batches per partition, the answers
    already known)."""
    to_apply = {}
    answered: Answers = {}
    highest_type = AcknowledgeType.RENEW if supports_renew else AcknowledgeType.REJECT
    for topic in topics:
        info = broker.metadata.topic_by_id(topic.topic_id)
        for partition in topic.partitions:
            key = (topic.topic_id, partition.partition_index)
            if info is None:
                answered[key] = (ErrorCode.UNKNOWN_TOPIC_ID, None)
                continue
            batches = [AcknowledgementBatch(b.first_offset, b.last_offset, tuple(b.acknowledge_types))
                       for b in partition.acknowledgement_batches]
            if not _valid(batches, highest_type, is_renew):
                answered[key] = (ErrorCode.INVALID_REQUEST, None)
            elif not 0 <= partition.partition_index < info.num_partitions:
                answered[key] = (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, None)
            elif not batches:
                answered[key] = (ErrorCode.NONE, None)
            else:
                to_apply[key] = (info.name, batches)
    return to_apply, answered


def _valid(batches: list[AcknowledgementBatch], highest_type: int, is_renew: bool) -> bool:
    previous_last = -1
    for batch in batches:
        types = batch.acknowledge_types
        if batch.first_offset > batch.last_offset or batch.first_offset < previous_last or not types:
            return False
        if len(types) > 1 and batch.last_offset - batch.first_offset != len(types) - 1:
            return False
        if any(t < 0 or t > highest_type for t in types):
            return False
        if AcknowledgeType.RENEW in types and not is_renew:
            return False
        previous_last = batch.last_offset
    return True
