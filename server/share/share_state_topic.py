"""``__share_group_state``: the internal topic that makes share partitions' state durable.

As in Kafka, a share partition's state lives in one partition of the topic, chosen by Java's
``String.hashCode`` of its coordinator key ``group:topicId:partition`` (so a share group's
partitions spread over the topic), and the broker leading that partition is its share
coordinator. Kafka's settings for it: ``cleanup.policy=delete`` with unlimited retention (the
coordinator deletes superseded records itself), ``min.insync.replicas`` and ``segment.bytes``
from ``share.coordinator.state.topic.*``. It is created on first use. Each write is one batch
through the partition's leader (``coordinator_log``), read back when the partition is taken over.
"""

from __future__ import annotations

import logging

from odradek.storage.partition_log import wall_clock_ms
from odradek.wire import DecodeError
from odradek.wire.records import Record, build_batch

from ..coordinator_log import Appended, CoordinatorLog
from ..groups.offsets_topic import partition_for
from ..log_replay import replay_batches
from . import SHARE_STATE_TOPIC
from .share_coordinator_config import ShareCoordinatorConfig
from .share_partition_key import SharePartitionKey
from .share_state_records import UnknownRecordTypeError, decode
from .share_state_shard import ShareStateShard

log = logging.getLogger("odradek.share")


class ShareStateTopic:
    def __init__(self, broker, config: ShareCoordinatorConfig):
        self._broker = broker
        self._logs = broker.logs
        self._config = config
        self.log = CoordinatorLog(broker, SHARE_STATE_TOPIC)

    @property
    def num_partitions(self) -> int:
        """The existing topic's partition count, else the configured one: a changed setting must
        not move states already stored."""
        topic = self._broker.metadata.topic(SHARE_STATE_TOPIC)
        return self._config.topic_partitions if topic is None else topic.num_partitions

    def partition_for(self, key: SharePartitionKey) -> int:
        return partition_for(key.coordinator_key(), self.num_partitions)

    @property
    def topic_configs(self) -> dict[str, str]:
        return {
            "cleanup.policy": "delete",
            "compression.type": "producer",
            "segment.bytes": str(self._config.topic_segment_bytes),
            "min.insync.replicas": str(self._config.topic_min_isr),
            "retention.ms": "-1",
        }

    def ensure_created(self) -> None:
        """Create the topic here and now, unless it exists: what a single broker, which owns
        every partition, does before its first write."""
        if self._logs.get_topic(SHARE_STATE_TOPIC) is not None:
            return
        self._logs.create_topic(SHARE_STATE_TOPIC, self._config.topic_partitions, self.topic_configs)
        log.info("Created %s with %d partition(s)", SHARE_STATE_TOPIC, self._config.topic_partitions)

    async def ensure_exists(self) -> None:
        """Create the topic on first use (FindCoordinator), through the topic admin: in a cluster
        with ``share.coordinator.state.topic.replication.factor`` replicas, capped to the live
        brokers."""
        if self._broker.metadata.topic(SHARE_STATE_TOPIC) is None:
            await self._broker.topic_admin.create_internal_topic(
                SHARE_STATE_TOPIC, self._config.topic_partitions, self._config.topic_replication_factor,
                self.topic_configs)

    def write(self, partition: int, records: list[tuple[bytes, bytes | None]], coordinator_epoch: int) -> Appended:
        """Append the records as one batch to the partition, as its leader at ``coordinator_epoch``;
        raises CoordinatorWriteError if nothing was written."""
        now = wall_clock_ms()
        batch = build_batch([Record(delta, 0, key, value) for delta, (key, value) in enumerate(records)],
                            base_timestamp=now, compression=self._config.compression)
        return self.log.append(partition, batch, coordinator_epoch)

    def load_partition(self, index: int) -> ShareStateShard:
        """Replay one partition (blocking: for a worker thread). Records of types Kafka's share
        coordinator would not know are skipped, as it skips them."""
        shard = ShareStateShard(self._config.updates_per_snapshot)
        partition_log = self._logs.partition(SHARE_STATE_TOPIC, index)
        if partition_log is None:
            if self._logs.is_offline(SHARE_STATE_TOPIC, index):
                log.error("The share states of %s-%d are not loaded: it is in an offline log directory",
                          SHARE_STATE_TOPIC, index)
            return shard
        for batch in replay_batches(partition_log):
            if batch.is_control:
                continue
            for record in batch.records:
                offset = batch.base_offset + record.offset_delta
                try:
                    key, value = decode(record.key or b"", record.value)
                except UnknownRecordTypeError as exc:
                    log.debug("Skipping a record in %s-%d: %s", SHARE_STATE_TOPIC, index, exc)
                    continue
                except DecodeError as exc:
                    log.warning("Skipping a record in %s-%d at offset %d: %s", SHARE_STATE_TOPIC, index, offset, exc)
                    continue
                shard.replay(key, value, offset)
        return shard
