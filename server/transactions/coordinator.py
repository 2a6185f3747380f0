"""The transaction coordinator: its transactional ids, their producer ids and epochs, their transactions.

A transactional id belongs to the leader of its partition of ``__transaction_state`` (Kafka's
rule). A single broker leads every partition and replays the whole topic at start-up; in a
cluster the replica manager tells the coordinator when this broker starts or stops leading a
partition (``on_leadership``), and it loads or unloads that partition's ids (see
``coordinator_partitions``): requests for other ids are answered NOT_COORDINATOR, and
COORDINATOR_LOAD_IN_PROGRESS while their partition loads. A transaction whose outcome was
decided but not finished when its partition was taken over is finished by its new coordinator.

State lives in memory and in ``__transaction_state``: each change is written to the partition's
leader log at the coordinator epoch and takes effect once every in-sync replica has it (Kafka's
pending state: meanwhile the id's requests get CONCURRENT_TRANSACTIONS). Ending a transaction is
Kafka's two phases: the outcome is stored (PrepareCommit or PrepareAbort) and the producer
answered, a marker is written to every partition of the transaction (see ``markers``), then the
end is stored (CompleteCommit or CompleteAbort). Markers for partitions this broker leads are
written before EndTxn is answered (on a single broker that is all of them, so the transaction is
complete by then); the others go to their leaders in the background and are retried until
written, and the id's requests get CONCURRENT_TRANSACTIONS until the transaction is complete.

This broker speaks transaction protocol v1: clients add partitions with AddPartitionsToTxn and
the epoch only changes on InitProducerId or when the coordinator fences (KIP-890's protocol v2
is not advertised).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable

import trio

from odradek.storage.partition_log import wall_clock_ms
from odradek.wire import ApiKey, ErrorCode

from ..cluster import api_versions
from ..cluster.broker_channel import BrokerUnavailable
from ..cluster.peers import Peers
from ..coordinator_log import CoordinatorWriteError
from ..coordinator_partitions import CoordinatorPartitions
from ..producer_ids import ProducerIdsUnavailable
from ..topic_admin import TopicAdminError
from .markers import MarkerWriter, Markers
from .txn_config import TxnConfig
from .txn_metadata import NO_PRODUCER_ID, TopicPartition, TxnError, TxnMetadata, epoch_exhausted
from .txn_state import TxnState
from .txn_topic import TRANSACTION_STATE_TOPIC, TransactionTopic

log = logging.getLogger("odradek.transactions")

# between rounds of markers that could not be written yet: doubled while rounds make no progress
MARKER_RETRY_BACKOFF_S = 0.1
MARKER_RETRY_BACKOFF_MAX_S = 1.0


class TransactionCoordinator:
    def __init__(self, broker, markers: MarkerWriter | None = None):
        self._broker = broker
        self.config = TxnConfig.from_broker(broker.config)
        self.topic = TransactionTopic(broker, self.config)
        self.partitions = CoordinatorPartitions()
        self.markers = markers or MarkerWriter(broker, self.config.request_timeout_ms)
        self._coordinators = Peers(broker, "txn-verify", self.config.request_timeout_ms / 1000)
        self._txns: dict[str, TxnMetadata] = {}
        self._unmarked: dict[str, set[TopicPartition]] = {}  # per preparing id: partitions still owed a marker
        self._writing: set[str] = set()  # ids whose next state is being written (Kafka's pending state)
        self._marking: set[str] = set()  # ids whose markers are being written
        self._markers_due = trio.Event()
        self._nursery: trio.Nursery | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def load(self) -> dict[str, TxnMetadata]:
        """Replay all of ``__transaction_state`` (blocking: a single broker's start-up runs it in
        a worker thread)."""
        return self.topic.load()

    def adopt(self, loaded: dict[str, TxnMetadata]) -> None:
        """Take over the whole topic (a single broker coordinates every id); transactions whose
        outcome was decided but whose markers may not all have been written are finished by
        ``complete_transactions`` (Kafka writes their markers again)."""
        self.partitions.own_all()
        self._take(loaded)
        log.info("Loaded %d transactional id(s) from %s", len(loaded), TRANSACTION_STATE_TOPIC)

    def _take(self, loaded: dict[str, TxnMetadata]) -> None:
        self._txns.update(loaded)
        for metadata in loaded.values():
            if metadata.state.is_preparing:
                self._unmarked[metadata.transactional_id] = set(metadata.partitions)
                self._markers_due.set()

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(_every, self.config.abort_timed_out_interval_ms, self.abort_timed_out)
                nursery.start_soon(_every, self.config.remove_expired_interval_ms, self.expire_transactional_ids)
                nursery.start_soon(self._send_markers)
                task_status.started()
        finally:
            with trio.CancelScope(shield=True):
                await self.markers.aclose()
                await self._coordinators.aclose()

    # -- leadership of __transaction_state partitions (cluster mode) ---------------------------

    def on_leadership(self, partition: int, leader_epoch: int, is_leader: bool) -> None:
        """The replica manager's news: this broker leads ``partition`` (from ``leader_epoch``) or
        no longer does. Kafka's onElection and onResignation."""
        if is_leader:
            if self.partitions.elected(partition, leader_epoch):
                self._nursery.start_soon(self._load_partition, partition)
        elif self.partitions.resigned(partition):
            self._unload_partition(partition)

    async def _load_partition(self, partition: int) -> None:
        done = await self.partitions.load(partition, self.topic.load_partition,
                                          f"the transactional ids of {TRANSACTION_STATE_TOPIC}")
        if done is None:
            return
        loaded, epoch = done
        self._take(loaded)
        log.info("Loaded %d transactional id(s) from %s-%d; coordinating them at epoch %d", len(loaded),
                 TRANSACTION_STATE_TOPIC, partition, epoch)

    def _unload_partition(self, partition: int) -> None:
        gone = [tid for tid in self._txns if self.topic.partition_for(tid) == partition]
        for tid in gone:
            del self._txns[tid]
            self._unmarked.pop(tid, None)
        log.info("No longer coordinating the transactional ids of %s-%d (%d unloaded)", TRANSACTION_STATE_TOPIC,
                 partition, len(gone))

    # -- who coordinates an id -----------------------------------------------------------------

    def coordinator_error(self, transactional_id: str) -> ErrorCode:
        return self.partitions.error(self.topic.partition_for(transactional_id))

    async def coordinator_of(self, transactional_id: str) -> int:
        """The broker coordinating the id (FindCoordinator): the leader of its partition, -1 if
        it has none. The topic is created first if it does not exist yet."""
        try:
            await self.topic.ensure_exists()
        except TopicAdminError as exc:
            log.warning("Could not create %s: %s", TRANSACTION_STATE_TOPIC, exc)
            return -1
        return self._leader_of(transactional_id)

    def _leader_of(self, transactional_id: str) -> int:
        partition = self._broker.metadata.partition(TRANSACTION_STATE_TOPIC, self.topic.partition_for(transactional_id))
        return -1 if partition is None else partition.leader

    # -- requests ------------------------------------------------------------------------------

    def get(self, transactional_id: str) -> TxnMetadata | None:
        return self._txns.get(transactional_id)

    async def init_producer_id(self, transactional_id: str, timeout_ms: int,
                               producer_id: int = NO_PRODUCER_ID,
                               producer_epoch: int = -1) -> tuple[ErrorCode, int, int]:
        """(error, producer id, epoch) for a transactional producer starting (or recovering, when
        it names its current ``producer_id`` and ``producer_epoch``, KIP-360).  An open
        transaction is aborted first and CONCURRENT_TRANSACTIONS answered, so that the retry
        bumps the epoch once more, as Kafka does."""
        if not transactional_id:
            return ErrorCode.INVALID_REQUEST, NO_PRODUCER_ID, -1
        if not self.config.valid_timeout(timeout_ms):
            return ErrorCode.INVALID_TRANSACTION_TIMEOUT, NO_PRODUCER_ID, -1
        expected = None if producer_id == NO_PRODUCER_ID else (producer_id, producer_epoch)
        spare_id = None
        while True:
            code = self.coordinator_error(transactional_id)
            if code != ErrorCode.NONE:
                return code, NO_PRODUCER_ID, -1
            current = self._txns.get(transactional_id)
            if spare_id is None and _needs_new_producer_id(current, expected):
                try:
                    spare_id = await self._broker.producer_ids.allocate()
                except ProducerIdsUnavailable:  # the metadata directory failed, or ZooKeeper is out of reach
                    return ErrorCode.COORDINATOR_NOT_AVAILABLE, NO_PRODUCER_ID, -1
                continue  # the state may have changed while we waited
            try:
                metadata = await self._initialize(transactional_id, current, timeout_ms, expected, spare_id)
            except TxnError as exc:
                return exc.code, NO_PRODUCER_ID, -1
            log.info("Initialized transactional id %s with producer id %d and epoch %d",
                     transactional_id, metadata.producer_id, metadata.producer_epoch)
            return ErrorCode.NONE, metadata.producer_id, metadata.producer_epoch

    async def add_partitions(self, transactional_id: str, producer_id: int, producer_epoch: int,
                             partitions: Iterable[TopicPartition]) -> ErrorCode:
        """Add partitions to the producer's transaction, beginning one if none is open."""
        partitions = frozenset(partitions)
        try:
            metadata = self._owned(transactional_id, producer_id, producer_epoch)
            if metadata.state == TxnState.ONGOING and partitions <= metadata.partitions:
                return ErrorCode.NONE
            await self._store(metadata.with_partitions(partitions, wall_clock_ms()))
        except TxnError as exc:
            return exc.code
        return ErrorCode.NONE

    def verify_partitions(self, transactional_id: str, producer_id: int, producer_epoch: int,
                          partitions: Iterable[TopicPartition]) -> dict[TopicPartition, ErrorCode]:
        """Whether each partition is already in the producer's transaction (AddPartitionsToTxn v4+
        verify-only, from the leaders of those partitions): TRANSACTION_ABORTABLE for one that is
        not; the id's error (NOT_COORDINATOR, PRODUCER_FENCED, ...) for all if it is refused."""
        partitions = list(partitions)
        try:
            metadata = self._owned(transactional_id, producer_id, producer_epoch)
        except TxnError as exc:
            return {tp: exc.code for tp in partitions}
        return {tp: ErrorCode.NONE if tp in metadata.partitions else ErrorCode.TRANSACTION_ABORTABLE
                for tp in partitions}

    async def verify(self, transactional_id: str, producer_id: int, producer_epoch: int,
                     partitions: Iterable[TopicPartition]) -> dict[TopicPartition, ErrorCode]:
        """``verify_partitions`` asked of the id's coordinator, wherever it is: here, or with an
        AddPartitionsToTxn (verify only, KIP-890) to the broker leading its partition, as a Kafka
        partition leader checks a transactional batch (or offset commit) before writing it.
        COORDINATOR_NOT_AVAILABLE when that partition has no leader, NETWORK_EXCEPTION when its
        leader cannot be reached."""
        partitions = list(partitions)
        if not transactional_id or self.coordinator_error(transactional_id) != ErrorCode.NOT_COORDINATOR:
            return self.verify_partitions(transactional_id, producer_id, producer_epoch, partitions)
        leader = self._leader_of(transactional_id)
        if leader < 0 or leader == self._broker.config.node_id:
            return dict.fromkeys(partitions, ErrorCode.COORDINATOR_NOT_AVAILABLE)
        topics: dict[str, list[int]] = {}
        for topic, index in partitions:
            topics.setdefault(topic, []).append(index)
        try:
            response = await self._coordinators.request(leader, ApiKey.ADD_PARTITIONS_TO_TXN,
                                                        api_versions.ADD_PARTITIONS_TO_TXN, {"transactions": [{
                "transactional_id": transactional_id, "producer_id": producer_id, "producer_epoch": producer_epoch,
                "verify_only": True, "topics": [{"name": t, "partitions": p} for t, p in topics.items()]}]})
        except BrokerUnavailable as exc:
            log.info("Could not verify the transaction of %s with broker %d: %s", transactional_id, leader, exc)
            return dict.fromkeys(partitions, ErrorCode.NETWORK_EXCEPTION)
        if response.error_code != ErrorCode.NONE:
            return dict.fromkeys(partitions, ErrorCode(response.error_code))
        verified = {(topic.name, result.partition_index): ErrorCode(result.partition_error_code)
                    for txn in response.results_by_transaction for topic in txn.topic_results
                    for result in topic.results_by_partition}
        return {tp: verified.get(tp, ErrorCode.UNKNOWN_SERVER_ERROR) for tp in partitions}

    async def end_transaction(self, transactional_id: str, producer_id: int, producer_epoch: int,
                              commit: bool) -> ErrorCode:
        """Commit or abort the open transaction; repeating the last outcome is answered NONE (a
        retry), asking for the other one INVALID_TXN_STATE."""
        try:
            metadata = self._owned(transactional_id, producer_id, producer_epoch)
            if metadata.state == TxnState.ONGOING:
                await self._end(metadata.preparing(commit, wall_clock_ms()))
            elif metadata.state == (TxnState.COMPLETE_COMMIT if commit else TxnState.COMPLETE_ABORT):
                pass
            else:
                raise TxnError(ErrorCode.INVALID_TXN_STATE)
        except TxnError as exc:
            return exc.code
        return ErrorCode.NONE

    # -- admin ---------------------------------------------------------------------------------

    def describe(self, transactional_id: str) -> tuple[ErrorCode, TxnMetadata | None]:
        if not transactional_id:
            return ErrorCode.INVALID_REQUEST, None
        code = self.coordinator_error(transactional_id)
        if code != ErrorCode.NONE:
            return code, None
        metadata = self._txns.get(transactional_id)
        if metadata is None:
            return ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, None
        return ErrorCode.NONE, metadata

    def list_transactions(self, states: Iterable[str] = (), producer_ids: Iterable[int] = (),
                          min_duration_ms: int = -1,
                          id_pattern: str | None = None) -> tuple[ErrorCode, list[str], list[TxnMetadata]]:
        """(error, unknown state names, matches) among the ids this broker coordinates: filters
        left empty match everything; a duration keeps transactions running longer than it; the
        pattern must match the whole id. COORDINATOR_LOAD_IN_PROGRESS while a partition loads."""
        if self.partitions.is_loading():
            return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, [], []
        states, producer_ids = list(states), set(producer_ids)
        wanted = {TxnState.from_display_name(name) for name in states} - {None}
        unknown = [name for name in states if TxnState.from_display_name(name) is None]
        try:
            pattern = re.compile(id_pattern) if id_pattern else None
        except re.error:
            return ErrorCode.INVALID_REGULAR_EXPRESSION, [], []
        now = wall_clock_ms()
        matches = [
            m for m in self._txns.values()
            if (not producer_ids or m.producer_id in producer_ids)
            and (not states or m.state in wanted)
            and (min_duration_ms < 0 or now - m.start_ms > min_duration_ms)
            and (pattern is None or pattern.fullmatch(m.transactional_id))
        ]
        return ErrorCode.NONE, unknown, matches

    # -- timers --------------------------------------------------------------------------------

    async def abort_timed_out(self, now_ms: int | None = None) -> None:
        """Abort every transaction open longer than its timeout (fencing its producer), so that
        an abandoned transaction cannot hold back the last stable offset of its partitions."""
        now = wall_clock_ms() if now_ms is None else now_ms
        for metadata in list(self._txns.values()):
            tid = metadata.transactional_id
            if metadata.state == TxnState.ONGOING and metadata.start_ms + metadata.timeout_ms < now \
                    and tid not in self._writing and self._txns.get(tid) is metadata:
                log.info("Aborting transaction of %s (producer id %d): open longer than its timeout of %d ms",
                         tid, metadata.producer_id, metadata.timeout_ms)
                try:
                    await self._end(metadata.fenced_for_abort(now))
                except TxnError as exc:
                    log.warning("Could not abort the timed-out transaction of %s: %s", tid, exc.code.name)

    async def expire_transactional_ids(self, now_ms: int | None = None) -> None:
        """Forget ids idle for ``transactional.id.expiration.ms`` (tombstones in the log)."""
        now = wall_clock_ms() if now_ms is None else now_ms
        cutoff = now - self.config.transactional_id_expiration_ms
        for metadata in list(self._txns.values()):
            tid = metadata.transactional_id
            if not (metadata.state.is_idle and metadata.last_update_ms <= cutoff) or tid in self._writing:
                continue
            partition = self.topic.partition_for(tid)
            epoch = self.partitions.epoch(partition)
            if epoch is None:
                continue
            try:
                appended = self.topic.remove(tid, epoch)
            except CoordinatorWriteError as exc:
                log.warning("Could not expire transactional id %s: %s", tid, exc)
                continue
            self._writing.add(tid)
            try:
                outcome = await self.topic.log.replicated(appended, self.config.request_timeout_ms)
            finally:
                self._writing.discard(tid)
            if outcome != ErrorCode.NONE or self.partitions.epoch(partition) != epoch:
                continue
            if self._txns.get(tid) is metadata:
                del self._txns[tid]
                log.info("Expired transactional id %s", tid)

    # -- markers -------------------------------------------------------------------------------

    async def _send_markers(self) -> None:
        """Write the markers owed, in rounds, until there are none left."""
        backoff = MARKER_RETRY_BACKOFF_S
        while True:
            if not self._unmarked:
                await self._markers_due.wait()
            self._markers_due = trio.Event()
            owed = sum(len(partitions) + 1 for partitions in self._unmarked.values())
            await self.complete_transactions()
            if self._unmarked:
                still = sum(len(partitions) + 1 for partitions in self._unmarked.values())
                backoff = min(backoff * 2, MARKER_RETRY_BACKOFF_MAX_S) if still >= owed else MARKER_RETRY_BACKOFF_S
                await trio.sleep(backoff)
            else:
                backoff = MARKER_RETRY_BACKOFF_S

    async def complete_transactions(self, transactional_ids: Iterable[str] | None = None,
                                    here_only: bool = False) -> None:
        """Write the markers these transactions (by default, every one ending) still owe (with
        ``here_only``, only to partitions this broker leads), and store the end of each that owes
        none any more."""
        ids = [tid for tid in (self._unmarked if transactional_ids is None else transactional_ids)
               if tid in self._unmarked and tid not in self._marking]
        owed = []
        for tid in ids:
            metadata = self._txns[tid]
            epoch = self.partitions.epoch(self.topic.partition_for(tid))
            owed.append(Markers(tid, metadata.producer_id, metadata.producer_epoch, metadata.committing, epoch,
                                frozenset(self._unmarked[tid])))
        self._marking.update(ids)
        try:
            done = await self.markers.write([m for m in owed if m.partitions], here_only)
            for markers in owed:
                await self._complete_if_marked(markers, done.get(markers.transactional_id, set()))
        finally:
            self._marking.difference_update(ids)

    async def _complete_if_marked(self, markers: Markers, written: set[TopicPartition]) -> None:
        tid = markers.transactional_id
        remaining = self._unmarked.get(tid)
        if remaining is None or self.partitions.epoch(self.topic.partition_for(tid)) != markers.coordinator_epoch:
            return  # no longer ours
        remaining -= written
        if remaining:
            self._markers_due.set()
            return
        try:
            await self._store(self._txns[tid].completed(wall_clock_ms()))
        except TxnError as exc:
            log.info("Could not complete the transaction of %s (%s); will retry", tid, exc.code.name)
            self._markers_due.set()
            return
        del self._unmarked[tid]

    # -- internals -----------------------------------------------------------------------------

    async def _initialize(self, transactional_id: str, current: TxnMetadata | None, timeout_ms: int,
                          expected: tuple[int, int] | None, spare_id: int | None) -> TxnMetadata:
        now = wall_clock_ms()
        if transactional_id in self._writing:
            raise TxnError(ErrorCode.CONCURRENT_TRANSACTIONS)
        metadata = current or TxnMetadata.new(transactional_id, spare_id, timeout_ms, now)
        if metadata.state.is_preparing:
            raise TxnError(ErrorCode.CONCURRENT_TRANSACTIONS)
        if expected is not None and not _may_resume(metadata, *expected):
            raise TxnError(ErrorCode.PRODUCER_FENCED)
        if metadata.state == TxnState.ONGOING:
            await self._end(metadata.fenced_for_abort(now))
            raise TxnError(ErrorCode.CONCURRENT_TRANSACTIONS)
        if _rotates(metadata, expected):
            following = metadata.with_new_producer_id(spare_id, timeout_ms, expected is not None, now)
        else:
            following = metadata.with_bumped_epoch(timeout_ms, None if expected is None else expected[1], now)
        await self._store(following)
        return following

    def _owned(self, transactional_id: str, producer_id: int, producer_epoch: int) -> TxnMetadata:
        """The id's metadata, if this broker coordinates it, the producer asking is its current
        one and it is not mid-way through a change or through ending a transaction."""
        if not transactional_id:
            raise TxnError(ErrorCode.INVALID_REQUEST)
        code = self.coordinator_error(transactional_id)
        if code != ErrorCode.NONE:
            raise TxnError(code)
        metadata = self._txns.get(transactional_id)
        if metadata is None or metadata.producer_id != producer_id:
            raise TxnError(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
        if metadata.producer_epoch != producer_epoch:
            raise TxnError(ErrorCode.PRODUCER_FENCED)
        if metadata.state.is_preparing or transactional_id in self._writing:
            raise TxnError(ErrorCode.CONCURRENT_TRANSACTIONS)
        return metadata

    async def _store(self, metadata: TxnMetadata) -> None:
        """Write the id's next state; it takes effect once every in-sync replica has it."""
        tid = metadata.transactional_id
        partition = self.topic.partition_for(tid)
        epoch = self.partitions.epoch(partition)
        if epoch is None:
            raise TxnError(self.partitions.error(partition))
        if tid in self._writing:
            raise TxnError(ErrorCode.CONCURRENT_TRANSACTIONS)
        try:
            if self.partitions.owns_all and self._broker.metadata.topic(TRANSACTION_STATE_TOPIC) is None:
                self.topic.ensure_created()  # a single broker creates it before its first write
            appended = self.topic.write(metadata, epoch)
        except CoordinatorWriteError as exc:  # e.g. no longer the leader, or its log directory is offline
            log.error("Could not store the state of transactional id %s: %s", tid, exc)
            raise TxnError(_txn_log_error(exc.code)) from None
        except Exception:
            log.exception("Could not store the state of transactional id %s", tid)
            raise TxnError(ErrorCode.COORDINATOR_NOT_AVAILABLE) from None
        self._writing.add(tid)
        try:
            outcome = await self.topic.log.replicated(appended, metadata.timeout_ms)
        finally:
            self._writing.discard(tid)
        if outcome != ErrorCode.NONE:
            log.warning("The state of transactional id %s was not replicated: %s", tid, outcome.name)
            raise TxnError(_txn_log_error(outcome))
        if self.partitions.epoch(partition) != epoch:
            raise TxnError(ErrorCode.NOT_COORDINATOR)
        self._txns[tid] = metadata

    async def _end(self, prepared: TxnMetadata) -> None:
        """Store the decided outcome, then write the markers this broker can write at once, and
        complete if that was all of them; the rest follow in the background."""
        await self._store(prepared)
        tid = prepared.transactional_id
        self._unmarked[tid] = set(prepared.partitions)
        await self.complete_transactions([tid], here_only=True)
        if tid in self._unmarked:
            self._markers_due.set()


def _needs_new_producer_id(current: TxnMetadata | None, expected: tuple[int, int] | None) -> bool:
    return current is None or (current.state.is_idle and _rotates(current, expected))


def _rotates(metadata: TxnMetadata, expected: tuple[int, int] | None) -> bool:
    """A new producer id replaces one whose epochs are used up, unless the producer asking
    names an older epoch (it is then fenced, or answered again)."""
    return epoch_exhausted(metadata.producer_epoch) and (expected is None or expected[1] == metadata.producer_epoch)


def _may_resume(metadata: TxnMetadata, producer_id: int, producer_epoch: int) -> bool:
    """Kafka's rule for a producer naming its id: a fresh id, its current one, or the previous
    one whose epochs ran out (a retry after the rotation whose answer was lost)."""
    return (metadata.producer_epoch == -1 or producer_id == metadata.producer_id
            or (producer_id == metadata.previous_producer_id and epoch_exhausted(producer_epoch)))


async def _every(interval_ms: int, action: Callable[[], Awaitable[None]]) -> None:
    while True:
        await trio.sleep(interval_ms / 1000)
        await action()


def _txn_log_error(code: ErrorCode) -> ErrorCode:
    """Kafka's answer when a write to ``__transaction_state`` failed
    (TransactionStateManager.appendTransactionToLog): retriable ones the producer retries,
    NOT_COORDINATOR once this broker no longer leads the partition."""
    if code in (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_ENOUGH_REPLICAS,
                ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.REQUEST_TIMED_OUT):
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if code in (ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.FENCED_LEADER_EPOCH,
                ErrorCode.UNKNOWN_LEADER_EPOCH):
        return ErrorCode.NOT_COORDINATOR
    if code in (ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE):
        return ErrorCode.UNKNOWN_SERVER_ERROR
    return code
