"""A coordinator's writes to its internal topic, as Kafka's coordinators make them: appended to the
partition's leader log through ``broker.replicas`` (which checks this broker still leads it at
the coordinator epoch, and stamps its leader epoch), and counted only once the ISR has them
(acks=all).

The append itself is synchronous, on the event loop, so the coordinator's view and its log
change in the same order; ``replicated`` then waits for the followers. On a single broker there
is nothing to wait for: ``LocalReplicas.wait_for_acks`` returns at once, without a checkpoint.
Each coordinator maps the replication errors to its own answers (Kafka's are not the same for
offset commits, group metadata and transaction state).
"""

from __future__ import annotations

from dataclasses import dataclass

import trio

from odradek.storage.errors import StorageError
from odradek.storage.partition_log import PartitionLog
from odradek.wire import ErrorCode

from .storage_errors import error_code_for

ACKS_ALL = -1  # coordinators write as acks=all producers do (Kafka's offsets.commit.required.acks, -1)


class CoordinatorWriteError(Exception):
    """Nothing was appended; ``code`` is the replica manager's or storage's error."""

    def __init__(self, code: ErrorCode, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Appended:
    log: PartitionLog
    base_offset: int
    next_offset: int  # the offset after the batch: what the high watermark must reach


class CoordinatorLog:
    def __init__(self, broker, topic: str):
        self._broker = broker
        self.topic = topic

    def append(self, partition: int, batch: bytes, coordinator_epoch: int) -> Appended:
        """Append one batch to the partition this broker leads at ``coordinator_epoch``; raises
        CoordinatorWriteError when it does not (any more), or when storage refuses the batch."""
        replicas = self._broker.replicas
        log, code = replicas.leader_log(self.topic, partition, coordinator_epoch)
        if log is None:
            raise CoordinatorWriteError(code, f"{self.topic}-{partition} cannot be written here: {code.name}")
        code = replicas.check_produce(log, ACKS_ALL)
        if code != ErrorCode.NONE:
            raise CoordinatorWriteError(code, f"{self.topic}-{partition} has too few in-sync replicas: {code.name}")
        try:
            info = replicas.append(log, batch)
        except StorageError as exc:
            raise CoordinatorWriteError(error_code_for(exc), str(exc)) from None
        replicas.after_append(log)
        self._broker.appends.notify((self.topic, partition))
        return Appended(log, info.first_offset, info.last_offset + 1)

    async def replicated(self, appended: Appended, timeout_ms: int) -> ErrorCode:
        """Wait, at most ``timeout_ms``, until every in-sync replica has the batch: NONE, or the
        replica manager's error (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        REQUEST_TIMED_OUT). Shielded: a write that was made is seen through even when the
        request that asked for it goes away, so the coordinator's view follows the log."""
        with trio.CancelScope(shield=True):
            outcome = await self._broker.replicas.wait_for_acks([(appended.log, appended.next_offset)], timeout_ms)
        return outcome.get((appended.log.topic, appended.log.partition), ErrorCode.NONE)
