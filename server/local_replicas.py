"""Partitions as a single broker has them: every one is here, and this broker leads it.

Handlers reach a partition's log through ``broker.replicas`` in both modes: here every log is the
leader's, acks=all means nothing more than acks=1 (the only replica has it), and the leader epoch
is 0. A partition whose log directory is offline answers KAFKA_STORAGE_ERROR, as Kafka's
ReplicaManager answers for an offline partition. In cluster mode ``replication.replica_manager.ReplicaManager`` answers the same calls.
"""

from __future__ import annotations

from odradek.storage.partition_log import PartitionLog
from odradek.wire import ErrorCode

from .stats.replica_counts import ReplicaCounts

TopicPartition = tuple[str, int]
LEADER_EPOCH = 0


class LocalReplicas:
    waits_for_acks = False  # the leader is the whole ISR: acks=all is answered at once

    def __init__(self, logs):
        self._logs = logs

    def leader_log(self, topic: str, index: int, current_leader_epoch: int = -1) -> tuple[PartitionLog | None, int]:
        log = self._logs.partition(topic, index)
        if log is None:  # its log directory offline, or no such partition
            code = ErrorCode.KAFKA_STORAGE_ERROR if self._logs.is_offline(topic, index) else \
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            return None, code
        if current_leader_epoch > LEADER_EPOCH:
            return None, ErrorCode.UNKNOWN_LEADER_EPOCH
        return log, ErrorCode.NONE

    replica_log = leader_log

    def consumer_log(self, topic: str, index: int, current_leader_epoch: int,
                     client_rack: str) -> tuple[PartitionLog | None, int, int]:
        """A consumer's fetch: the only replica is the one to read from."""
        log, code = self.leader_log(topic, index, current_leader_epoch)
        return log, code, -1

    def leader_epoch(self, topic: str, index: int) -> int:
        return LEADER_EPOCH

    def end_offset_for_epoch(self, log: PartitionLog, epoch: int) -> tuple[int, int]:
        """Epoch 0 has lasted since the partition began: any epoch asked about ends at the log end."""
        return LEADER_EPOCH, log.log_end_offset

    def append(self, log: PartitionLog, records):
        """A producer's batches, as they are: nobody else will ever lead, so no epoch is stamped."""
        return log.append(records)

    def append_marker(self, log: PartitionLog, producer_id: int, producer_epoch: int, commit: bool,
                      coordinator_epoch: int) -> int:
        """A transaction coordinator's marker, as it is (see ``append``); its offset."""
        return log.append_marker(producer_id, producer_epoch, commit, coordinator_epoch)

    def check_produce(self, log: PartitionLog, acks: int) -> int:
        return ErrorCode.NONE

    def after_append(self, log: PartitionLog) -> None:
        pass

    def replica_counts(self) -> ReplicaCounts:
        """Every online partition is here and led here; none is ever under-replicated."""
        online = sum(len(logs) for logs in self._logs.partitions_by_dir().values())
        offline = sum(len(self._logs.offline_partitions(topic.name)) for topic in self._logs.topics())
        return ReplicaCounts(partitions=online, leaders=online, under_replicated=0, offline=offline)

    async def wait_for_acks(self, appended, timeout_ms: int) -> dict[TopicPartition, int]:
        return {}

    def follower_fetch(self, replica, topic, index, fetch_offset, last_fetched_epoch, current_leader_epoch):
        return ErrorCode.NOT_LEADER_OR_FOLLOWER, None, None, False
