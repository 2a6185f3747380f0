"""``__transaction_state``: the internal topic that makes transactional ids and their state durable.

As in Kafka, a transactional id lives in one partition, chosen like a group's partition in
``__consumer_offsets`` (Java's ``String.hashCode``), and the topic is compacted and never
compressed.  The coordinator keeps every id in memory; the topic is written once per state
change (one record, one batch) and read back once, at start-up, where the last record per id
wins and tombstones delete.  It is created on first use.
"""

from __future__ import annotations

import logging

from odradek.storage.errors import KafkaStorageError, UnknownTopicError
from odradek.storage.partition_log import PartitionLog, wall_clock_ms
from odradek.wire import DecodeError
from odradek.wire.records import Record, build_batch

from ..groups.offsets_topic import partition_for
from ..log_replay import replay_batches
from .txn_config import TxnConfig
from .txn_log_records import decode_key, decode_value, encode_key, encode_value
from .txn_metadata import TxnMetadata

log = logging.getLogger("odradek.transactions")

TRANSACTION_STATE_TOPIC = "__transaction_state"


class TransactionTopic:
    def __init__(self, broker, config: TxnConfig):
        self._logs = broker.logs
        self._appends = broker.appends
        self._config = config

    @property
    def num_partitions(self) -> int:
        """The existing topic's partition count, else the configured one: a changed setting
        must not move ids that are already stored."""
        topic = self._logs.get_topic(TRANSACTION_STATE_TOPIC)
        return self._config.topic_partitions if topic is None else topic.num_partitions

    def partition_for(self, transactional_id: str) -> int:
        return partition_for(transactional_id, self.num_partitions)

    def ensure_created(self) -> None:
        if self._logs.get_topic(TRANSACTION_STATE_TOPIC) is not None:
            return
        self._logs.create_topic(TRANSACTION_STATE_TOPIC, self._config.topic_partitions, {
            "cleanup.policy": "compact",
            "compression.type": "uncompressed",
            "segment.bytes": str(self._config.topic_segment_bytes),
            "unclean.leader.election.enable": "false",
        })
        log.info("Created %s with %d partition(s)", TRANSACTION_STATE_TOPIC, self._config.topic_partitions)

    def write(self, metadata: TxnMetadata) -> None:
        """Store ``metadata`` as its id's latest state; raises (storage errors) if nothing was written."""
        self._append(metadata.transactional_id, encode_value(metadata))

    def remove(self, transactional_id: str) -> None:
        """Write the id's tombstone."""
        self._append(transactional_id, None)

    def _append(self, transactional_id: str, value: bytes | None) -> None:
        self.ensure_created()
        partition = self.partition_for(transactional_id)
        partition_log = self._logs.partition(TRANSACTION_STATE_TOPIC, partition)
        if partition_log is None:
            if self._logs.is_offline(TRANSACTION_STATE_TOPIC, partition):
                raise KafkaStorageError(f"{TRANSACTION_STATE_TOPIC}-{partition} is in an offline log directory.")
            raise UnknownTopicError(f"{TRANSACTION_STATE_TOPIC}-{partition} does not exist.")
        now = wall_clock_ms()
        batch = build_batch([Record(0, 0, encode_key(transactional_id), value)], base_timestamp=now)
        partition_log.append(batch, now_ms=now)
        self._appends.notify((TRANSACTION_STATE_TOPIC, partition))

    def load(self) -> dict[str, TxnMetadata]:
        """Replay every partition (blocking: meant for a worker thread at start-up).

        Empty when the topic does not exist.  Records whose key has a version we do not know
        are skipped, as Kafka skips them.
        """
        loaded: dict[str, TxnMetadata] = {}
        topic = self._logs.get_topic(TRANSACTION_STATE_TOPIC)
        for index in range(topic.num_partitions if topic is not None else 0):
            partition_log = self._logs.partition(TRANSACTION_STATE_TOPIC, index)
            if partition_log is None:
                log.error("The transactional ids of %s-%d are not loaded: it is in an offline log directory",
                          TRANSACTION_STATE_TOPIC, index)
                continue
            for record in _records(partition_log):
                try:
                    transactional_id = decode_key(record.key or b"")
                except DecodeError as exc:
                    log.warning("Skipping a record in %s-%d: %s", TRANSACTION_STATE_TOPIC, index, exc)
                    continue
                metadata = decode_value(transactional_id, record.value)
                if metadata is None:
                    loaded.pop(transactional_id, None)
                else:
                    loaded[transactional_id] = metadata
        return loaded


def _records(partition_log: PartitionLog):
    """Every record of the partition in offset order (control batches skipped: none are written here)."""
    for batch in replay_batches(partition_log):
        if not batch.is_control:
            yield from batch.records
