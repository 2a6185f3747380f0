"""Followers copying their leaders' logs: one fetcher task per leader broker (Kafka's
ReplicaFetcherThread), fetching every partition this broker follows from that leader in one
Fetch request, as a replica (``replica_id`` set), long-polling ``replica.fetch.wait.max.ms``.

Each partition is fetched at our log end offset, with the epoch of our last batch
(``last_fetched_epoch``). If our log has a tail the leader never had (we led once, and wrote
what nobody acknowledged), the leader answers with the ``diverging_epoch`` where our histories
part, and we truncate to it before fetching again (KIP-279, as carried in Fetch by KIP-595): a
divergent tail never survives. What arrives is appended as the leader wrote it (offsets,
epochs, producer state, transaction markers), and our high watermark follows the leader's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from odradek.storage.errors import StorageError
from odradek.wire import ApiKey, ErrorCode

from ..cluster import api_versions
from ..cluster.broker_channel import BrokerConnection, BrokerUnavailable

if TYPE_CHECKING:
    from .replica_manager import ReplicaManager

log = logging.getLogger("odradek.replication")

EARLIEST, LATEST = -2, -1
_RETRY_LATER = frozenset({ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.FENCED_LEADER_EPOCH,
                          ErrorCode.UNKNOWN_LEADER_EPOCH, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                          ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.REPLICA_NOT_AVAILABLE})


@dataclass
class FetchState:
    leader_epoch: int  # the leader epoch we follow (sent as current_leader_epoch)
    delayed_until: float = 0.0  # back off after an error


class LeaderFetcher:
    """Fetches the partitions this broker follows from one leader."""

    def __init__(self, manager: "ReplicaManager", leader: int):
        self.manager = manager
        self.leader = leader
        config = manager.config
        self.connection = BrokerConnection(leader, f"replica-fetcher-{manager.broker_id}-{leader}",
                                           config.replica_socket_timeout_ms / 1000, config.inter_broker_security)
        self.partitions: dict[tuple[str, int], FetchState] = {}
        self.changed = trio.Event()  # partitions added: fetch now rather than after the long poll
        self.cancel_scope = trio.CancelScope()
        self._failing = False  # a failure is logged once, not at every retry

    def add(self, key: tuple[str, int], leader_epoch: int) -> None:
        self.partitions[key] = FetchState(leader_epoch)
        self.changed.set()

    def remove(self, key: tuple[str, int]) -> None:
        self.partitions.pop(key, None)

    async def run(self) -> None:
        with self.cancel_scope:
            try:
                while True:
                    await self._fetch_once()
            finally:
                await self.connection.aclose()

    async def _fetch_once(self) -> None:
        manager = self.manager
        config = manager.config
        now = trio.current_time()
        ready = {key: state for key, state in self.partitions.items() if state.delayed_until <= now}
        endpoint = manager.leader_endpoint(self.leader)
        if not ready or endpoint is None:
            self.changed = trio.Event()
            with trio.move_on_after(config.replica_fetch_backoff_ms / 1000):
                await self.changed.wait()
            return
        self.connection.point_at(endpoint.host, endpoint.port)
        request = self._request(ready)
        if request is None:
            return
        self.changed = trio.Event()
        try:
            response = await self.connection.request(ApiKey.FETCH, api_versions.REPLICA_FETCH, request,
                                                     timeout_s=config.replica_socket_timeout_ms / 1000
                                                     + config.replica_fetch_wait_max_ms / 1000)
        except BrokerUnavailable as exc:
            if not self._failing:
                log.info("Fetching from broker %d failed: %s; retrying every %d ms", self.leader, exc,
                         config.replica_fetch_backoff_ms)
                self._failing = True
            await trio.sleep(config.replica_fetch_backoff_ms / 1000)
            return
        if self._failing:
            log.info("Fetching from broker %d works again", self.leader)
            self._failing = False
        if response.error_code != ErrorCode.NONE:
            log.info("Broker %d refused our fetch: error %d", self.leader, response.error_code)
            await trio.sleep(config.replica_fetch_backoff_ms / 1000)
            return
        for topic in response.responses:
            for data in topic.partitions:
                await self._handle(topic.topic, data)

    def _request(self, ready: dict) -> dict | None:
        manager = self.manager
        config = manager.config
        topics: dict[str, list] = {}
        for (topic, index), state in ready.items():
            partition = manager.partitions.get((topic, index))
            if partition is None or partition.is_leader:
                self.partitions.pop((topic, index), None)
                continue
            plog = partition.log
            topics.setdefault(topic, []).append({
                "partition": index, "current_leader_epoch": state.leader_epoch,
                "fetch_offset": plog.log_end_offset, "last_fetched_epoch": plog.latest_epoch,
                "log_start_offset": plog.log_start_offset, "partition_max_bytes": config.replica_fetch_max_bytes,
            })
        if not topics:
            return None
        return {"replica_id": manager.broker_id, "max_wait_ms": config.replica_fetch_wait_max_ms,
                "min_bytes": config.replica_fetch_min_bytes, "max_bytes": config.replica_fetch_response_max_bytes,
                "isolation_level": 0, "session_id": 0, "session_epoch": -1,
                "topics": [{"topic": t, "partitions": p} for t, p in topics.items()],
                "forgotten_topics_data": [], "rack_id": ""}

    async def _handle(self, topic: str, data) -> None:
        manager = self.manager
        key = (topic, data.partition_index)
        state = self.partitions.get(key)
        partition = manager.partitions.get(key)
        if state is None or partition is None or partition.is_leader:
            return
        plog = partition.log
        code = data.error_code
        try:
            if code == ErrorCode.OFFSET_OUT_OF_RANGE:
                await self._out_of_range(topic, data.partition_index, plog)
                return
            if code in _RETRY_LATER:
                # the leader moved on, or has not heard of our epoch yet: LeaderAndIsr will tell us
                state.delayed_until = trio.current_time() + manager.config.replica_fetch_backoff_ms / 1000
                return
            if code != ErrorCode.NONE:
                log.warning("Fetching %s-%d from broker %d: error %d", topic, data.partition_index, self.leader, code)
                state.delayed_until = trio.current_time() + manager.config.replica_fetch_backoff_ms / 1000
                return
            diverging = data.diverging_epoch
            if diverging is not None and (diverging.epoch != -1 or diverging.end_offset != -1):
                await self._truncate_divergent(partition, diverging.epoch, diverging.end_offset)
                return
            records = data.records
            if records:
                await manager.append_as_follower(partition, records)
            partition.log.update_high_watermark(min(data.high_watermark, plog.log_end_offset))
            if data.log_start_offset > plog.log_start_offset:
                manager.advance_follower_log_start(partition, data.log_start_offset)
            manager.notify(key)
        except StorageError as exc:
            log.error("Replicating %s-%d from broker %d failed: %s", topic, data.partition_index, self.leader, exc)
            state.delayed_until = trio.current_time() + manager.config.replica_fetch_backoff_ms / 1000

    async def _truncate_divergent(self, partition, leader_epoch: int, leader_end: int) -> None:
        """KIP-279: keep what the leader's history shares with ours, drop the rest."""
        plog = partition.log
        if leader_epoch < 0:
            target = min(max(leader_end, plog.log_start_offset), plog.log_end_offset)
        else:
            our_epoch, our_end = plog.end_offset_for_epoch(leader_epoch)
            if our_epoch == leader_epoch:
                target = min(leader_end, our_end, plog.log_end_offset)
            else:
                target = min(our_end if our_end >= 0 else plog.log_start_offset, plog.log_end_offset)
        log.info("Truncating %s-%d to offset %d: our log diverges from leader %d's (its epoch %d ends at %d)",
                 partition.topic, partition.index, target, self.leader, leader_epoch, leader_end)
        await self.manager.truncate(partition, target)

    async def _out_of_range(self, topic: str, index: int, plog) -> None:
        """Our fetch offset is not in the leader's log: past its end (we hold a tail it never had,
        with no epochs to tell) or before its start (retention moved on while we were away)."""
        latest = await self.manager.leader_offset(self.leader, topic, index, LATEST)
        partition = self.manager.partitions.get((topic, index))
        if latest is None or partition is None:
            return
        if plog.log_end_offset > latest:
            log.warning("Truncating %s-%d to leader %d's log end %d", topic, index, self.leader, latest)
            await self.manager.truncate(partition, latest)
            return
        earliest = await self.manager.leader_offset(self.leader, topic, index, EARLIEST)
        if earliest is not None and plog.log_end_offset < earliest:
            log.warning("Restarting %s-%d at leader %d's log start %d (ours ended at %d)", topic, index,
                        self.leader, earliest, plog.log_end_offset)
            await self.manager.truncate_fully(partition, earliest)
