"""ShareSnapshot and ShareUpdate records of ``__share_group_state``, in Kafka's bytes (the schemas
are ``odradek.wire.coordinator_records.share_group_state``)."""

from __future__ import annotations

from odradek.wire.coordinator_records import UnknownRecordTypeError, decode_record, encode_record, share_group_state
from odradek.wire.coordinator_records.share_group_state import SHARE_SNAPSHOT, SHARE_UPDATE

from .share_partition_key import SharePartitionKey
from .share_state import ShareState, ShareUpdate
from .state_batches import StateBatch

# UnknownRecordTypeError is the topic's readers' too: records of other types are skipped, as Kafka does
__all__ = ["UnknownRecordTypeError", "decode", "snapshot_record", "tombstone_record", "update_record"]


def snapshot_record(key: SharePartitionKey, state: ShareState) -> tuple[bytes, bytes]:
    return encode_record(SHARE_SNAPSHOT, _key_fields(key), {
        "snapshot_epoch": state.snapshot_epoch,
        "state_epoch": state.state_epoch,
        "leader_epoch": state.leader_epoch,
        "start_offset": state.start_offset,
        "delivery_complete_count": state.delivery_complete_count,
        "create_timestamp": state.create_timestamp,
        "write_timestamp": state.write_timestamp,
        "state_batches": [batch.as_wire() for batch in state.batches],
    })


def update_record(key: SharePartitionKey, update: ShareUpdate) -> tuple[bytes, bytes]:
    return encode_record(SHARE_UPDATE, _key_fields(key), {
        "snapshot_epoch": update.snapshot_epoch,
        "leader_epoch": update.leader_epoch,
        "start_offset": update.start_offset,
        "delivery_complete_count": update.delivery_complete_count,
        "state_batches": [batch.as_wire() for batch in update.batches],
    })


def tombstone_record(key: SharePartitionKey) -> tuple[bytes, None]:
    """Kafka always deletes with a ShareSnapshot key."""
    return encode_record(SHARE_SNAPSHOT, _key_fields(key), None)


def decode(key: bytes, value: bytes | None) -> tuple[SharePartitionKey, ShareState | ShareUpdate | None]:
    """The share partition a record is about, and its snapshot, update, or None (a tombstone).
    Raises UnknownRecordTypeError for other record types, DecodeError for bad bytes."""
    decoded = decode_record(share_group_state.RECORD_BY_TYPE, key, value)
    share_key = SharePartitionKey(decoded.key.group_id, decoded.key.topic_id, decoded.key.partition)
    fields = decoded.value
    if fields is None:
        return share_key, None
    batches = tuple(StateBatch(b.first_offset, b.last_offset, b.delivery_state, b.delivery_count)
                    for b in fields.state_batches)
    if decoded.record is SHARE_SNAPSHOT:
        return share_key, ShareState(fields.snapshot_epoch, fields.state_epoch, fields.leader_epoch,
                                     fields.start_offset, fields.delivery_complete_count, fields.create_timestamp,
                                     fields.write_timestamp, batches)
    return share_key, ShareUpdate(fields.snapshot_epoch, fields.leader_epoch, fields.start_offset,
                                  fields.delivery_complete_count, batches)


def _key_fields(key: SharePartitionKey) -> dict:
    return {"group_id": key.group_id, "topic_id": key.topic_id, "partition": key.partition}
