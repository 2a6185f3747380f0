"""How a share partition reaches its share coordinator (Kafka's ``DefaultStatePersister``).

The coordinator of a share partition's state is the leader of its ``__share_group_state``
partition: this broker's own share coordinator (always, on a single broker), or another broker,
asked with the share-state APIs (Read/Write/Initialize/Delete/ReadSummary ShareGroupState) on the
inter-broker listener. Retriable answers (the coordinator moving, loading, or not reachable) are
retried a few times with backoff, as Kafka's persister does, before the error is given up on.
"""

from __future__ import annotations

import logging

import trio

from odradek.wire import ApiKey, ErrorCode

from ..cluster.broker_channel import BrokerUnavailable
from ..cluster.peers import Peers
from .share_coordinator import ShareCoordinator, StateSummary
from .share_partition_key import SharePartitionKey
from .share_state import ShareState
from .share_state_shard import ShareStateError, StateWrite
from .state_batches import StateBatch

log = logging.getLogger("odradek.share")

ATTEMPTS = 5  # Kafka's persister: 5 attempts, backing off from 1 s, doubling, up to 30 s
BACKOFF_S = 1.0
BACKOFF_MAX_S = 30.0
REQUEST_TIMEOUT_S = 30.0
RETRIABLE = frozenset({ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                       ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                       ErrorCode.NETWORK_EXCEPTION, ErrorCode.REQUEST_TIMED_OUT})
# the versions this broker asks other brokers with (Kafka 4.3's newest)
VERSIONS = {ApiKey.READ_SHARE_GROUP_STATE: 0, ApiKey.WRITE_SHARE_GROUP_STATE: 1,
            ApiKey.INITIALIZE_SHARE_GROUP_STATE: 0, ApiKey.DELETE_SHARE_GROUP_STATE: 0,
            ApiKey.READ_SHARE_GROUP_STATE_SUMMARY: 1}


class SharePersister:
    def __init__(self, broker, coordinator: ShareCoordinator):
        self._broker = broker
        self._coordinator = coordinator
        self._peers = Peers(broker, "share-persister", REQUEST_TIMEOUT_S)

    async def aclose(self) -> None:
        await self._peers.aclose()

    async def read(self, key: SharePartitionKey, leader_epoch: int) -> ShareState:
        async def local():
            return await self._coordinator.read_state(key, leader_epoch)

        async def remote(result):
            return ShareState(0, result.state_epoch, leader_epoch, result.start_offset,
                              batches=tuple(StateBatch(b.first_offset, b.last_offset, b.delivery_state,
                                                       b.delivery_count) for b in result.state_batches))

        return await self._call(key, local, ApiKey.READ_SHARE_GROUP_STATE,
                                {"partition": key.partition, "leader_epoch": leader_epoch}, remote)

    async def write(self, key: SharePartitionKey, write: StateWrite) -> None:
        async def local():
            await self._coordinator.write_state(key, write)

        await self._call(key, local, ApiKey.WRITE_SHARE_GROUP_STATE, {
            "partition": key.partition, "state_epoch": write.state_epoch, "leader_epoch": write.leader_epoch,
            "start_offset": write.start_offset, "delivery_complete_count": write.delivery_complete_count,
            "state_batches": [batch.as_wire() for batch in write.batches]})

    async def initialize(self, key: SharePartitionKey, state_epoch: int, start_offset: int) -> None:
        """What the group coordinator calls when a share group is first assigned a partition
        (start offset -1), or its offsets are reset."""
        async def local():
            await self._coordinator.initialize_state(key, state_epoch, start_offset)

        await self._call(key, local, ApiKey.INITIALIZE_SHARE_GROUP_STATE,
                         {"partition": key.partition, "state_epoch": state_epoch, "start_offset": start_offset})

    async def delete(self, key: SharePartitionKey) -> None:
        async def local():
            await self._coordinator.delete_state(key)

        await self._call(key, local, ApiKey.DELETE_SHARE_GROUP_STATE, {"partition": key.partition})

    async def summary(self, key: SharePartitionKey) -> StateSummary:
        async def local():
            return self._coordinator.read_summary(key)

        async def remote(result):
            return StateSummary(result.state_epoch, result.leader_epoch, result.start_offset,
                                result.delivery_complete_count)

        return await self._call(key, local, ApiKey.READ_SHARE_GROUP_STATE_SUMMARY,
                                {"partition": key.partition, "leader_epoch": -1}, remote)

    async def _call(self, key: SharePartitionKey, local, api_key: int, partition_body: dict, remote=None):
        """``local()`` if this broker coordinates the key, else the request to its coordinator;
        retriable errors retried. Raises ShareStateError with the last error."""
        backoff = BACKOFF_S
        for attempt in range(ATTEMPTS):
            try:
                if self._coordinator.coordinator_error(key) != ErrorCode.NOT_COORDINATOR:
                    return await local()
                result = await self._request(key, api_key, partition_body)
                return None if remote is None else await remote(result)
            except ShareStateError as exc:
                if exc.code not in RETRIABLE or attempt == ATTEMPTS - 1:
                    raise
                log.debug("Retrying %s for %s: %s", ApiKey(api_key).name, key, exc.code.name)
            await trio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)
        raise AssertionError("unreachable")

    async def _request(self, key: SharePartitionKey, api_key: int, partition_body: dict):
        leader = await self._coordinator.coordinator_of(key)  # as Kafka's FindCoordinator: creates the topic
        if leader < 0 or leader == self._broker.config.node_id:
            raise ShareStateError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        body = {"group_id": key.group_id, "topics": [{"topic_id": key.topic_id, "partitions": [partition_body]}]}
        try:
            response = await self._peers.request(leader, api_key, VERSIONS[api_key], body)
        except BrokerUnavailable as exc:
            log.info("Could not reach share coordinator %d for %s: %s", leader, key, exc)
            raise ShareStateError(ErrorCode.NETWORK_EXCEPTION) from None
        result = response.results[0].partitions[0]
        if result.error_code != ErrorCode.NONE:
            raise ShareStateError(ErrorCode(result.error_code), result.error_message)
        return result
