"""The share partitions this broker leads, and the requests that use them (Kafka's
``SharePartitionManager`` with its ``DelayedShareFetch``).

A share partition is created on first use by its group on the partition's leader: its state is
read from the share coordinator (``share_persister``) and, when the group coordinator initialized
it without a start offset, started where ``share.auto.offset.reset`` says. It is forgotten when
this broker stops leading the partition (``on_leadership``; it is read again if the broker leads
it again), when a write is fenced by a newer leader or state epoch, and once every member of its
group has disconnected from this broker. It keeps the leader epoch it was read at: a leader epoch
bumped by an ISR change while this broker stayed leader changes nothing, and the share
coordinator refuses the writes of a leader deposed meanwhile.

A fetch long-polls, as Fetch does: it reads, from each partition, the batches after the share
partition's next fetch offset, and waits (at most ``max_wait_ms``) until they hold ``min_bytes``;
an append to the partition, or records becoming available again (released, timed out, the SPSO
moving), wakes it. It then acquires records, up to ``max_records`` over all partitions, and hands
out the batches holding them. Reading and acquiring happen without a checkpoint in between, so
two members fetching at once never acquire the same records.

Acknowledgements change the share partition at once, are written through the share coordinator,
and are answered only once written (a failed write undoes them). Records whose lock runs out are
released by one background task that sleeps until the earliest lock deadline.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import uuid
from dataclasses import dataclass, field
from functools import partial

import trio

from odradek.storage.errors import KafkaStorageError, OffsetOutOfRangeError
from odradek.storage.log_slice import LogSlice
from odradek.storage.partition_log import wall_clock_ms
from odradek.wire import ErrorCode

from .acquired_records import AcquiredRecords
from .share_error import ShareError
from .share_fetch_context import ShareFetchContext, acknowledge_session_update, new_fetch_context
from .share_group_view import ShareGroupView
from .share_log_read import ShareRead, read_for_share, records_for
from .share_partition import AcknowledgementBatch, SharePartition
from .share_partition_key import SharePartitionKey
from .share_persister import SharePersister
from .share_session import ShareSession, ShareSessionKey, TopicIdPartition
from .share_session_cache import ShareSessionCache
from .share_settings import EARLIEST, ShareSettings
from .share_state_shard import ShareStateError, StateWrite
from .state_batches import StateBatch

log = logging.getLogger("odradek.share")


@dataclass(frozen=True)
class FetchTarget:
    topic_id: uuid.UUID
    partition: int
    topic: str

    @property
    def topic_id_partition(self) -> TopicIdPartition:
        return self.topic_id, self.partition


@dataclass(frozen=True)
class FetchParams:
    max_wait_ms: int
    min_bytes: int
    max_bytes: int
    max_records: int
    batch_size: int
    record_limit: bool = False  # ShareAcquireMode 1 (v2): exactly max_records, not whole batches


@dataclass
class PartitionFetch:
    """One partition's part of a ShareFetch answer."""

    error_code: ErrorCode = ErrorCode.NONE
    error_message: str | None = None
    records: bytes | LogSlice = b""
    acquired: list[AcquiredRecords] = field(default_factory=list)

    @property
    def has_records(self) -> bool:
        return len(self.records) > 0


def now_ms() -> float:
    """The clock acquisition locks run on (monotonic)."""
    return trio.current_time() * 1000


class SharePartitionManager:
    def __init__(self, broker, persister: SharePersister, groups: ShareGroupView, max_sessions: int):
        self._broker = broker
        self._persister = persister
        self.groups = groups
        self.sessions = ShareSessionCache(max_sessions)
        self._partitions: dict[SharePartitionKey, SharePartition] = {}
        self._loading: dict[SharePartitionKey, trio.Event] = {}
        self._deadlines: list[tuple[float, int, SharePartitionKey]] = []  # lock deadlines, earliest first
        self._order = itertools.count()
        self._deadline_added = trio.Event()
        self._nursery: trio.Nursery | None = None

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self._expire_locks)
            task_status.started()

    def lock_duration_ms(self, group_id: str) -> int:
        """The AcquisitionLockTimeoutMs answers carry."""
        return self.groups.settings(group_id).record_lock_duration_ms

    def on_leadership(self, topic: str, partition: int, leader_epoch: int, is_leader: bool) -> None:
        """The replica manager's news (cluster mode): share partitions of a partition this broker
        no longer leads are forgotten."""
        if is_leader:
            return
        info = self._broker.metadata.topic(topic)
        topic_id = None if info is None else info.topic_id
        for key in [key for key in self._partitions if key.partition == partition
                    and (key.topic_id == topic_id or topic_id is None)]:
            del self._partitions[key]

    # -- sessions ------------------------------------------------------------------------------

    def new_fetch_context(self, group_id: str, member_id: str, epoch: int, fetch: list[TopicIdPartition],
                          forget: list[TopicIdPartition], acknowledges: bool, connection_id: str) -> ShareFetchContext:
        """Raises ShareError for the whole request."""
        return new_fetch_context(self.sessions, ShareSessionKey(group_id, member_id), epoch, fetch, forget,
                                 acknowledges, connection_id)

    def acknowledge_session_update(self, group_id: str, member_id: str, epoch: int) -> None:
        acknowledge_session_update(self.sessions, ShareSessionKey(group_id, member_id), epoch)

    async def close_session(self, group_id: str, member_id: str) -> None:
        """The member closed its session (epoch -1): what it holds is released."""
        session = self.sessions.remove(ShareSessionKey(group_id, member_id))
        if session is not None:
            await self._release(session)

    def connection_closed(self, connection_id: str) -> None:
        """A client connection went: the session it opened ends, and its member's records are
        released at once (in the background); once none of a group's members is connected, its
        share partitions are forgotten (read again from the share coordinator on next use)."""
        session = self.sessions.connection_closed(connection_id)
        if session is not None and self._nursery is not None:
            self._nursery.start_soon(self._release_and_forget, session)

    async def _release_and_forget(self, session: ShareSession) -> None:
        await self._release(session)
        group_id = session.key.group_id
        if not self.sessions.has_group(group_id):
            self.forget_group(group_id)

    async def _release(self, session: ShareSession) -> None:
        group_id, member_id = session.key
        async with trio.open_nursery() as nursery:
            for topic_id, partition in session.partitions:
                key = SharePartitionKey(group_id, topic_id, partition)
                share_partition = self._partitions.get(key)
                if share_partition is not None:
                    nursery.start_soon(self._release_member, key, share_partition, member_id)

    async def _release_member(self, key: SharePartitionKey, share_partition: SharePartition, member_id: str) -> None:
        pending = share_partition.release_member(member_id)
        code = await self._write(key, share_partition, pending.batches)
        share_partition.finish(pending, code == ErrorCode.NONE)
        self._changed(key, share_partition)

    def forget_group(self, group_id: str) -> None:
        """Drop the group's share partitions from memory (their state stays with the share
        coordinator): after its state was deleted or reset, say."""
        for key in [key for key in self._partitions if key.group_id == group_id]:
            del self._partitions[key]

    # -- fetching ------------------------------------------------------------------------------

    async def fetch(self, group_id: str, member_id: str, targets: list[FetchTarget],
                    params: FetchParams) -> dict[TopicIdPartition, PartitionFetch]:
        results: dict[TopicIdPartition, PartitionFetch] = {}
        if not targets or params.max_records == 0 or params.max_bytes == 0:
            return results
        deadline = trio.current_time() + max(params.max_wait_ms, 0) / 1000
        settings = self.groups.settings(group_id)
        live = []
        for target in targets:
            code = self._leader_error(target)
            if code != ErrorCode.NONE:
                results[target.topic_id_partition] = PartitionFetch(code)
            else:
                live.append(target)
        if not live:
            return results
        while True:
            loaded = []
            for target in live:
                if target.topic_id_partition in results:
                    continue
                try:
                    loaded.append((target, await self._share_partition(group_id, target)))
                except ShareError as exc:
                    results[target.topic_id_partition] = PartitionFetch(exc.code, exc.message)
            # no checkpoint from here until the records are acquired
            reads, complete_now = self._read(loaded, params, settings, results)
            if complete_now or sum(read.size for *_, read in reads) >= params.min_bytes \
                    or trio.current_time() >= deadline:
                self._acquire(member_id, loaded, reads, params, results)
                return results
            watched = [key for target, share_partition in loaded
                       for key in ((target.topic, target.partition), self._key(share_partition))]
            with trio.move_on_at(deadline):
                await self._broker.appends.wait_any(watched)

    def _read(self, loaded, params: FetchParams, settings: ShareSettings,
              results: dict[TopicIdPartition, PartitionFetch]) -> tuple[list, bool]:
        """What each share partition could acquire from: (target, share partition, fetch offset,
        read) for each, and whether a partition's read failed (answered at once, as Kafka does)."""
        acquirable = [(target, sp) for target, sp in loaded if sp.can_acquire_records()]
        per_partition = max(params.max_bytes // max(len(acquirable), 1), 1)
        reads = []
        failed = False
        for target, share_partition in acquirable:
            partition_log, code = self._broker.replicas.leader_log(target.topic, target.partition)
            if partition_log is None:
                results[target.topic_id_partition] = PartitionFetch(code)
                failed = True
                continue
            offset = share_partition.next_fetch_offset()
            try:
                read = read_for_share(partition_log, offset, per_partition, settings.read_committed)
            except OffsetOutOfRangeError:
                # the log start moved past the share partition: start from it and answer empty
                share_partition.update_log_start_offset(partition_log.log_start_offset)
                failed = True
                continue
            except KafkaStorageError:
                results[target.topic_id_partition] = PartitionFetch(ErrorCode.KAFKA_STORAGE_ERROR)
                failed = True
                continue
            reads.append((target, share_partition, offset, read))
        return reads, failed

    def _acquire(self, member_id: str, loaded, reads: list, params: FetchParams,
                 results: dict[TopicIdPartition, PartitionFetch]) -> None:
        remaining = params.max_records
        now = now_ms()
        for target, share_partition, offset, read in reads:
            read: ShareRead
            answer = results.setdefault(target.topic_id_partition, PartitionFetch())
            if remaining <= 0 or not read.batches:
                continue
            acquired, count = share_partition.acquire(member_id, read.batches, offset, remaining, params.batch_size,
                                                      now, record_limit=params.record_limit, aborted=read.aborted)
            if acquired:
                answer.records = records_for(read, acquired)
                answer.acquired = acquired
                remaining -= count
                self._track_locks(self._key(share_partition), share_partition)
        for target, _share_partition in loaded:
            results.setdefault(target.topic_id_partition, PartitionFetch())

    async def _share_partition(self, group_id: str, target: FetchTarget) -> SharePartition:
        """The loaded share partition, read from the share coordinator if need be (again if
        the partition's leader epoch moved on). Raises ShareError."""
        key = SharePartitionKey(group_id, target.topic_id, target.partition)
        while True:
            share_partition = self._partitions.get(key)
            if share_partition is not None:
                return share_partition
            loading = self._loading.get(key)
            if loading is None:
                break
            await loading.wait()
        loading = self._loading[key] = trio.Event()
        leader_epoch = self._broker.replicas.leader_epoch(target.topic, target.partition)
        try:
            state = await self._persister.read(key, leader_epoch)
            start = state.start_offset if state.start_offset >= 0 else self._reset_offset(target, group_id)
            share_partition = SharePartition(group_id, target.topic_id, target.partition, leader_epoch,
                                             partial(self.groups.settings, group_id))
            share_partition.initialize(start, state.state_epoch, state.batches)
        except ShareStateError as exc:
            log.info("Could not load share partition %s: %s %s", key, exc.code.name, exc.message or "")
            raise ShareError(_load_error(exc.code), exc.message) from None
        finally:
            del self._loading[key]
            loading.set()
        self._partitions[key] = share_partition
        log.debug("Loaded share partition %s: start offset %d", key, share_partition.start_offset)
        return share_partition

    def _reset_offset(self, target: FetchTarget, group_id: str) -> int:
        """Where a share partition the group never read starts (share.auto.offset.reset): the
        high watermark (latest), the log start (earliest), or the first record at most the
        duration old (by_duration; the high watermark if none is)."""
        partition_log, code = self._broker.replicas.leader_log(target.topic, target.partition)
        if partition_log is None:
            raise ShareError(code)
        settings = self.groups.settings(group_id)
        if settings.auto_offset_reset == EARLIEST:
            return partition_log.log_start_offset
        duration = settings.reset_duration_ms()
        if duration is not None:
            found = partition_log.offset_for_timestamp(wall_clock_ms() - duration)
            if found is not None:
                return max(found[0], partition_log.log_start_offset)
        return partition_log.high_watermark

    def _leader_error(self, target: FetchTarget) -> ErrorCode:
        partition_log, code = self._broker.replicas.leader_log(target.topic, target.partition)
        return ErrorCode.NONE if partition_log is not None else ErrorCode(code)

    # -- acknowledging -------------------------------------------------------------------------

    async def acknowledge(self, group_id: str, member_id: str,
                          acknowledgements: dict[TopicIdPartition, tuple[str, list[AcknowledgementBatch]]]
                          ) -> dict[TopicIdPartition, tuple[ErrorCode, str | None]]:
        """Apply each partition's acknowledgements and write them; (error, message) per partition,
        answered once every write is done."""
        results: dict[TopicIdPartition, tuple[ErrorCode, str | None]] = {}
        async with trio.open_nursery() as nursery:
            for topic_id_partition, (topic, batches) in acknowledgements.items():
                nursery.start_soon(self._acknowledge, group_id, member_id, topic_id_partition, topic, batches,
                                   results)
        return results

    async def _acknowledge(self, group_id: str, member_id: str, topic_id_partition: TopicIdPartition, topic: str,
                           batches: list[AcknowledgementBatch], results: dict) -> None:
        topic_id, partition = topic_id_partition
        key = SharePartitionKey(group_id, topic_id, partition)
        target = FetchTarget(topic_id, partition, topic)
        code = self._leader_error(target)
        share_partition = self._partitions.get(key)
        if code != ErrorCode.NONE:
            results[topic_id_partition] = (code, None)
            return
        if share_partition is None:
            results[topic_id_partition] = (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, None)
            return
        try:
            pending = share_partition.acknowledge(member_id, batches, now_ms())
        except ShareError as exc:
            results[topic_id_partition] = (exc.code, exc.message)
            return
        self._track_locks(key, share_partition)  # RENEW moves deadlines
        code = await self._write(key, share_partition, pending.batches)
        share_partition.finish(pending, code == ErrorCode.NONE)
        self._changed(key, share_partition)
        results[topic_id_partition] = (code, None)

    async def _write(self, key: SharePartitionKey, share_partition: SharePartition,
                     batches: list[StateBatch]) -> ErrorCode:
        """Write changed ranges through the share coordinator; NONE, or the error to answer (a
        share partition fenced by the write is forgotten)."""
        if not batches:
            return ErrorCode.NONE
        write = StateWrite(share_partition.state_epoch, share_partition.leader_epoch, share_partition.start_offset,
                           share_partition.delivery_complete_count(), tuple(batches))
        try:
            await self._persister.write(key, write)
        except ShareStateError as exc:
            code = _load_error(exc.code)
            log.warning("Could not write the state of share partition %s: %s", key, exc.code.name)
            if code in (ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.GROUP_ID_NOT_FOUND,
                        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) and self._partitions.get(key) is share_partition:
                del self._partitions[key]
            return code
        return ErrorCode.NONE

    # -- acquisition locks ---------------------------------------------------------------------

    def _track_locks(self, key: SharePartitionKey, share_partition: SharePartition) -> None:
        deadline = share_partition.next_lock_deadline()
        if deadline is None:
            return
        earliest = self._deadlines[0][0] if self._deadlines else None
        heapq.heappush(self._deadlines, (deadline, next(self._order), key))
        if earliest is None or deadline < earliest:
            self._deadline_added.set()

    async def _expire_locks(self) -> None:
        """Release records whose lock ran out, as soon as it runs out."""
        while True:
            if self._deadlines:
                with trio.move_on_at(self._deadlines[0][0] / 1000):
                    await self._deadline_added.wait()
            else:
                await self._deadline_added.wait()
            self._deadline_added = trio.Event()
            now = now_ms()
            due = set()
            while self._deadlines and self._deadlines[0][0] <= now:
                due.add(heapq.heappop(self._deadlines)[2])
            for key in due:
                share_partition = self._partitions.get(key)
                if share_partition is None:
                    continue
                released = share_partition.expire_locks(now)
                if released:
                    self._nursery.start_soon(self._write_released, key, share_partition, released)
                self._changed(key, share_partition)

    async def _write_released(self, key: SharePartitionKey, share_partition: SharePartition,
                              released: list[StateBatch]) -> None:
        """Released records stay released whether or not the write succeeds, as in Kafka."""
        await self._write(key, share_partition, released)
        if share_partition.advance_start_offset():
            self._changed(key, share_partition)

    # -- internals -----------------------------------------------------------------------------

    def _changed(self, key: SharePartitionKey, share_partition: SharePartition) -> None:
        """Wake the fetches waiting on the share partition, and follow its next lock deadline."""
        self._broker.appends.notify(key)
        self._track_locks(key, share_partition)

    @staticmethod
    def _key(share_partition: SharePartition) -> SharePartitionKey:
        return SharePartitionKey(share_partition.group_id, share_partition.topic_id, share_partition.partition)


def _load_error(code: ErrorCode) -> ErrorCode:
    """How a share coordinator's error is answered to a member (Kafka's
    ``SharePartition.fetchPersisterError`` and ``Errors.forException``)."""
    if code in (ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE,
                ErrorCode.COORDINATOR_LOAD_IN_PROGRESS):
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if code in (ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION):
        return code
    if code in (ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.FENCED_STATE_EPOCH):
        return ErrorCode.NOT_LEADER_OR_FOLLOWER
    return ErrorCode.UNKNOWN_SERVER_ERROR
