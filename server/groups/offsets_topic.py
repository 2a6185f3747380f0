"""``__consumer_offsets``: the internal topic that makes committed offsets and groups durable.

As in Kafka, a group lives in one partition of the topic, chosen from its id by Java's
``String.hashCode``, so Kafka's tools find a group where Kafka would have put it, and the broker
leading that partition coordinates the group.  The coordinator keeps everything in memory; this
topic is only written to (one batch per change, through the partition's leader, see
``coordinator_log``) and read back when a partition is taken over (at start-up on a single
broker, on becoming its leader in a cluster), where the latest record per key wins and
tombstones delete.  A compacted topic: the log cleaner drops what a later record of the same key
superseded, and replay reads whatever is left.

Transactional offset commits (TxnOffsetCommit) are written as the producer's transactional
batches and settled by the transaction marker that ends them: replay applies them at a commit
marker (unless a plain commit of the partition was written after them, as in Kafka), drops them
at an abort, and hands back those whose transaction is still open.
"""

from __future__ import annotations

import functools
import logging
import struct
from dataclasses import dataclass, field, replace

from odradek.storage.partition_log import PartitionLog, wall_clock_ms
from odradek.storage.transaction_marker import COMMIT
from odradek.wire.records import COMPRESSION_TYPES, Record, build_batch

from ..coordinator_log import Appended, CoordinatorLog
from ..coordinator_partitions import SINGLE_BROKER_EPOCH
from ..log_replay import replay_batches
from . import consumer_group_changes
from .consumer_group_changes import LoadedConsumerGroup
from .consumer_group_records import ConsumerGroupKey
from .offsets_records import (
    SHARE_GROUP_TYPES, Entry, GroupMetadata, OffsetCommit, OffsetCommitKey, UnknownRecordTypeError, decode_record,
    encode_record, entry_kind_records,
)

log = logging.getLogger("odradek.groups")

OFFSETS_TOPIC = "__consumer_offsets"


def partition_for(group_id: str, num_partitions: int) -> int:
    """Kafka's choice: ``Utils.abs(groupId.hashCode()) % numPartitions``, where ``Utils.abs``
    maps ``Integer.MIN_VALUE`` to 0."""
    hash_code = _java_string_hash(group_id)
    return (0 if hash_code == -(1 << 31) else abs(hash_code)) % num_partitions


@functools.lru_cache(maxsize=4096)  # every group request asks who coordinates its group
def _java_string_hash(text: str) -> int:
    """Java's ``String.hashCode`` (``s[0]*31^(n-1) + ... + s[n-1]`` over UTF-16 code units, in
    32-bit two's complement) of the string Java would decode from the id's UTF-8 bytes: bytes
    that are not UTF-8 (kept here as surrogate escapes) become U+FFFD, as in Java."""
    java_text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    units = java_text.encode("utf-16-be")
    hash_code = 0
    for index in range(0, len(units), 2):
        hash_code = (31 * hash_code + (units[index] << 8 | units[index + 1])) & 0xFFFFFFFF
    return hash_code - (1 << 32) if hash_code >= 1 << 31 else hash_code


@dataclass
class LoadedOffsets:
    """What replaying the topic found: live offsets per group, live classic group metadata, and
    the records of live consumer groups, and the share groups their records make."""

    offsets: dict[str, dict[tuple[str, int], OffsetCommit]] = field(default_factory=dict)
    groups: dict[str, GroupMetadata] = field(default_factory=dict)
    consumer_groups: dict[str, LoadedConsumerGroup] = field(default_factory=dict)
    share_groups: dict = field(default_factory=dict)  # group id -> ShareGroup
    streams_groups: dict = field(default_factory=dict)  # group id -> StreamsGroup
    # offsets of transactions still open: group -> producer id -> partition -> commit
    pending: dict[str, dict[int, dict[tuple[str, int], OffsetCommit]]] = field(default_factory=dict)

    def apply(self, entry: Entry) -> None:
        """Replay one record: it replaces (or, a tombstone, deletes) what its key held."""
        kind = entry_kind_records(entry)  # a share or streams group's record
        if isinstance(entry.key, ConsumerGroupKey):
            consumer_group_changes.apply(self.consumer_groups, entry)
        elif kind is not None:
            groups = self.share_groups if entry.key.record_type in SHARE_GROUP_TYPES else self.streams_groups
            kind.replay(groups, entry)
        elif isinstance(entry, OffsetCommit):  # the later in the log wins, see OffsetStore
            group_offsets = self.offsets.setdefault(entry.group, {})
            current = group_offsets.get((entry.topic, entry.partition))
            if current is None or entry.record_offset > current.record_offset:
                group_offsets[(entry.topic, entry.partition)] = entry
        elif isinstance(entry, GroupMetadata):
            self.groups[entry.group] = entry
        elif isinstance(entry.key, OffsetCommitKey):
            group_offsets = self.offsets.get(entry.group, {})
            group_offsets.pop((entry.key.topic, entry.key.partition), None)
            if not group_offsets:
                self.offsets.pop(entry.group, None)
        else:
            self.groups.pop(entry.group, None)


class OffsetsTopic:
    """Reads Kafka's ``offsets.topic.*`` broker settings; see ``ensure_exists``, ``load``, ``write``."""

    def __init__(self, broker):
        self._logs = broker.logs
        self._broker = broker
        self.log = CoordinatorLog(broker, OFFSETS_TOPIC)
        config = broker.config
        self._configured_partitions = config.get_int("offsets.topic.num.partitions", 50)
        self.replication_factor = config.get_int("offsets.topic.replication.factor", 3)
        self.segment_bytes = config.get_int("offsets.topic.segment.bytes", 104857600)
        codec = config.get_int("offsets.topic.compression.codec", 0)
        if not 0 <= codec < len(COMPRESSION_TYPES):
            raise ValueError(f"offsets.topic.compression.codec must be 0-{len(COMPRESSION_TYPES) - 1}, not {codec}")
        self.compression = COMPRESSION_TYPES[codec]

    @property
    def num_partitions(self) -> int:
        """The existing topic's partition count, else the configured one: a changed setting
        must not move groups that are already stored."""
        topic = self._broker.metadata.topic(OFFSETS_TOPIC)
        return self._configured_partitions if topic is None else topic.num_partitions

    def partition_for(self, group_id: str) -> int:
        return partition_for(group_id, self.num_partitions)

    @property
    def topic_configs(self) -> dict[str, str]:
        return {"cleanup.policy": "compact", "segment.bytes": str(self.segment_bytes), "compression.type": "producer"}

    def ensure_created(self) -> None:
        """Create the topic here and now with Kafka's settings for it, unless it exists: what a
        single broker, which owns every partition, does before its first write."""
        if self._logs.get_topic(OFFSETS_TOPIC) is not None:
            return
        self._logs.create_topic(OFFSETS_TOPIC, self._configured_partitions, self.topic_configs)
        log.info("Created %s with %d partition(s)", OFFSETS_TOPIC, self._configured_partitions)

    async def ensure_exists(self) -> None:
        """Create the topic on first use, as Kafka's FindCoordinator does, through the topic
        admin: in a cluster with ``offsets.topic.replication.factor`` replicas (capped to the
        live brokers), and without waiting for its leaders."""
        if self._broker.metadata.topic(OFFSETS_TOPIC) is None:
            await self._broker.topic_admin.create_internal_topic(
                OFFSETS_TOPIC, self._configured_partitions, self.replication_factor, self.topic_configs)

    def load(self) -> LoadedOffsets:
        """Replay every partition (blocking: a single broker's start-up runs it in a worker thread).

        Empty when the topic does not exist.  Records of types we do not keep are skipped.
        """
        loaded = LoadedOffsets()
        topic = self._logs.get_topic(OFFSETS_TOPIC)
        for index in range(topic.num_partitions if topic is not None else 0):
            self._load_into(loaded, index)
        return loaded

    def load_partition(self, index: int) -> LoadedOffsets:
        """Replay one partition (blocking: for a worker thread), as its new coordinator does."""
        loaded = LoadedOffsets()
        self._load_into(loaded, index)
        return loaded

    def _load_into(self, loaded: LoadedOffsets, index: int) -> None:
        partition_log = self._logs.partition(OFFSETS_TOPIC, index)
        if partition_log is None:
            log.error("The groups of %s-%d are not loaded: it is in an offline log directory", OFFSETS_TOPIC, index)
            return
        open_transactions: dict[int, list[tuple[int, Record]]] = {}
        for offset, record in _settled_records(partition_log, open_transactions):
            entry = _decode(record, index, offset)
            if entry is not None:
                loaded.apply(entry)
        for producer_id, records in open_transactions.items():
            for entry in filter(None, (_decode(record, index, offset) for offset, record in records)):
                if isinstance(entry, OffsetCommit):
                    held = loaded.pending.setdefault(entry.group, {}).setdefault(producer_id, {})
                    held[(entry.topic, entry.partition)] = entry

    def write(self, group_id: str, entries: list[Entry], producer: tuple[int, int] | None = None,
              coordinator_epoch: int = SINGLE_BROKER_EPOCH) -> Appended | None:
        """Append ``entries`` as one batch to the group's partition, as its leader at
        ``coordinator_epoch``; with ``producer`` (id, epoch), as a transactional batch of that
        producer. None if there was nothing to write; ``self.log.replicated`` tells when the ISR
        has it.

        Raises if nothing was written: ``CoordinatorWriteError`` (this broker does not lead the
        partition, or storage refused the batch), ``ValueError`` for an entry of another group.
        """
        if not entries:
            return None
        for entry in entries:
            if entry.group != group_id:
                raise ValueError(f"an entry of group {entry.group!r} cannot be written for group {group_id!r}")
        partition = self.partition_for(group_id)
        now = wall_clock_ms()
        records = [Record(delta, 0, *encode_record(entry)) for delta, entry in enumerate(entries)]
        transactional = {}
        if producer is not None:
            producer_id, producer_epoch = producer
            partition_log = self._logs.partition(OFFSETS_TOPIC, partition)
            sequence = 0 if partition_log is None else _next_sequence(partition_log, producer_id, producer_epoch)
            transactional = dict(producer_id=producer_id, producer_epoch=producer_epoch, transactional=True,
                                 base_sequence=sequence)
        batch = build_batch(records, base_timestamp=now, compression=self.compression, **transactional)
        return self.log.append(partition, batch, coordinator_epoch)


def _next_sequence(partition_log: PartitionLog, producer_id: int, producer_epoch: int) -> int:
    """The sequence the producer's next batch in this partition must have: storage checks our
    transactional batches as it checks a producer's own (Kafka exempts its coordinators')."""
    for producer in partition_log.active_producers():
        if producer.producer_id == producer_id and producer.producer_epoch == producer_epoch:
            return (producer.last_sequence + 1) % (1 << 31)
    return 0


def _settled_records(partition_log: PartitionLog, open_transactions: dict[int, list[tuple[int, Record]]]):
    """The partition's records, each with its offset, in the order they take effect: a
    transaction's when its commit marker comes, an aborted one's never; those still open are
    left in ``open_transactions`` by producer id."""
    for batch in replay_batches(partition_log):
        placed = [(batch.base_offset + record.offset_delta, record) for record in batch.records]
        if batch.is_control:
            held = open_transactions.pop(batch.producer_id, [])
            if _commits(batch):
                yield from held
        elif batch.is_transactional:
            open_transactions.setdefault(batch.producer_id, []).extend(placed)
        else:
            yield from placed


def _commits(control_batch) -> bool:
    """Whether a control batch is a COMMIT marker (its key: int16 version, int16 type)."""
    records = control_batch.records
    key = records[0].key if records else None
    return key is not None and len(key) >= 4 and struct.unpack_from(">h", key, 2)[0] == COMMIT


def _decode(record: Record, index: int, offset: int) -> Entry | None:
    """The entry the record at ``offset`` holds (an offset commit knows its offset); None
    (logged) for one without key or of a type we do not keep."""
    if record.key is None:
        log.warning("Skipping a record without key in %s-%d", OFFSETS_TOPIC, index)
        return None
    try:
        entry = decode_record(record.key, record.value)
    except UnknownRecordTypeError as exc:
        log.debug("Skipping a record in %s-%d: %s", OFFSETS_TOPIC, index, exc)
        return None
    return replace(entry, record_offset=offset) if isinstance(entry, OffsetCommit) else entry
