"""``__transaction_state``: the internal topic that makes transactional ids and their state durable.

As in Kafka, a transactional id lives in one partition, chosen like a group's partition in
``__consumer_offsets`` (Java's ``String.hashCode``), and the topic is compacted and never
compressed; the broker leading that partition coordinates the id.  The coordinator keeps its ids
in memory; the topic is written once per state change (one record, one batch, through the
partition's leader, see ``coordinator_log``) and read back when a partition is taken over (at
start-up on a single broker, on becoming its leader in a cluster), where the last record per id
wins and tombstones delete.  It is created on first use.
"""

from __future__ import annotations

import logging

from odradek.storage.partition_log import PartitionLog, wall_clock_ms
from odradek.wire import DecodeError
from odradek.wire.records import Record, build_batch

from ..coordinator_log import Appended, CoordinatorLog
from ..coordinator_partitions import SINGLE_BROKER_EPOCH
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
        self._broker = broker
        self._config = config
        self.log = CoordinatorLog(broker, TRANSACTION_STATE_TOPIC)

    @property
    def num_partitions(self) -> int:
        """The existing topic's partition count, else the configured one: a changed setting
        must not move ids that are already stored."""
        topic = self._broker.metadata.topic(TRANSACTION_STATE_TOPIC)
        return self._config.topic_partitions if topic is None else topic.num_partitions

    def partition_for(self, transactional_id: str) -> int:
        return partition_for(transactional_id, self.num_partitions)

    @property
    def topic_configs(self) -> dict[str, str]:
        return {
            "cleanup.policy": "compact",
            "compression.type": "uncompressed",
            "segment.bytes": str(self._config.topic_segment_bytes),
            "unclean.leader.election.enable": "false",
            "min.insync.replicas": str(self._config.topic_min_isr),
        }

    def ensure_created(self) -> None:
        """Create the topic here and now, unless it exists: what a single broker, which owns
        every partition, does before its first write."""
        if self._logs.get_topic(TRANSACTION_STATE_TOPIC) is not None:
            return
        self._logs.create_topic(TRANSACTION_STATE_TOPIC, self._config.topic_partitions, self.topic_configs)
        log.info("Created %s with %d partition(s)", TRANSACTION_STATE_TOPIC, self._config.topic_partitions)

    async def ensure_exists(self) -> None:
        """Create the topic on first use (FindCoordinator), through the topic admin: in a cluster
        with ``transaction.state.log.replication.factor`` replicas, capped to the live brokers."""
        if self._broker.metadata.topic(TRANSACTION_STATE_TOPIC) is None:
            await self._broker.topic_admin.create_internal_topic(
                TRANSACTION_STATE_TOPIC, self._config.topic_partitions, self._config.topic_replication_factor,
                self.topic_configs)

    def write(self, metadata: TxnMetadata, coordinator_epoch: int = SINGLE_BROKER_EPOCH) -> Appended:
        """Store ``metadata`` as its id's latest state, as the leader of its partition at
        ``coordinator_epoch``; raises CoordinatorWriteError if nothing was written."""
        return self._append(metadata.transactional_id, encode_value(metadata), coordinator_epoch)

    def remove(self, transactional_id: str, coordinator_epoch: int = SINGLE_BROKER_EPOCH) -> Appended:
        """Write the id's tombstone."""
        return self._append(transactional_id, None, coordinator_epoch)

    def _append(self, transactional_id: str, value: bytes | None, coordinator_epoch: int) -> Appended:
        now = wall_clock_ms()
        batch = build_batch([Record(0, 0, encode_key(transactional_id), value)], base_timestamp=now)
        return self.log.append(self.partition_for(transactional_id), batch, coordinator_epoch)

    def load(self) -> dict[str, TxnMetadata]:
        """Replay every partition (blocking: a single broker's start-up runs it in a worker thread).

        Empty when the topic does not exist.  Records whose key has a version we do not know
        are skipped, as Kafka skips them.
        """
        loaded: dict[str, TxnMetadata] = {}
        topic = self._logs.get_topic(TRANSACTION_STATE_TOPIC)
        for index in range(topic.num_partitions if topic is not None else 0):
            loaded.update(self.load_partition(index))
        return loaded

    def load_partition(self, index: int) -> dict[str, TxnMetadata]:
        """Replay one partition (blocking: for a worker thread), as its new coordinator does."""
        loaded: dict[str, TxnMetadata] = {}
        partition_log = self._logs.partition(TRANSACTION_STATE_TOPIC, index)
        if partition_log is None:
            log.error("The transactional ids of %s-%d are not loaded: it is in an offline log directory",
                      TRANSACTION_STATE_TOPIC, index)
            return loaded
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
