"""The transaction coordinator: every transactional id, its producer id and epoch, its transaction.

On a single broker this node coordinates every transactional id.  State lives in memory and in
``__transaction_state`` (written before memory changes, replayed at start-up).  Ending a
transaction is Kafka's two phases: the outcome is stored (PrepareCommit or PrepareAbort), a
marker is written to every partition of the transaction, then the end is stored
(CompleteCommit or CompleteAbort).  Each step is a synchronous append on the event loop, so no
request ever sees a transition half done; only a marker that could not be written leaves a
transaction preparing (requests then get CONCURRENT_TRANSACTIONS) until a retry succeeds.

This broker speaks transaction protocol v1: clients add partitions with AddPartitionsToTxn and
the epoch only changes on InitProducerId or when the coordinator fences (KIP-890's protocol v2
is not advertised).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

import trio

from odradek.storage.errors import StorageError
from odradek.storage.partition_log import wall_clock_ms
from odradek.wire import ErrorCode

from .markers import MarkerWriter
from .txn_config import TxnConfig
from .txn_metadata import NO_PRODUCER_ID, TopicPartition, TxnError, TxnMetadata, epoch_exhausted
from .txn_state import TxnState
from .txn_topic import TRANSACTION_STATE_TOPIC, TransactionTopic

log = logging.getLogger("odradek.transactions")

# (partition, producer id, producer epoch, commit) -> True once written (or nowhere to write)
WriteMarker = Callable[[TopicPartition, int, int, bool], bool]


class TransactionCoordinator:
    def __init__(self, broker, write_marker: WriteMarker | None = None):
        self.config = TxnConfig.from_broker(broker.config)
        self.topic = TransactionTopic(broker, self.config)
        self._producer_ids = broker.producer_ids
        self._write_marker = write_marker or MarkerWriter(broker).write
        self._txns: dict[str, TxnMetadata] = {}
        self._unmarked: dict[str, set[TopicPartition]] = {}  # per preparing id: partitions still owed a marker

    # -- life cycle ----------------------------------------------------------------------------

    def load(self) -> dict[str, TxnMetadata]:
        """Replay ``__transaction_state`` (blocking: start-up runs it in a worker thread)."""
        return self.topic.load()

    def adopt(self, loaded: dict[str, TxnMetadata]) -> None:
        """Take over the replayed state and finish the transactions whose outcome was decided
        but whose markers may not all have been written (Kafka writes them all again)."""
        self._txns = dict(loaded)
        log.info("Loaded %d transactional id(s) from %s", len(loaded), TRANSACTION_STATE_TOPIC)
        for metadata in loaded.values():
            if metadata.state.is_preparing:
                self._unmarked[metadata.transactional_id] = set(metadata.partitions)
                self._finish(metadata.transactional_id)

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_every, self.config.abort_timed_out_interval_ms, self.abort_timed_out)
            nursery.start_soon(_every, self.config.remove_expired_interval_ms, self.expire_transactional_ids)

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
            current = self._txns.get(transactional_id)
            if spare_id is None and _needs_new_producer_id(current, expected):
                try:
                    spare_id = await self._producer_ids.allocate()
                except StorageError:  # the metadata directory failed: the broker is stopping
                    return ErrorCode.COORDINATOR_NOT_AVAILABLE, NO_PRODUCER_ID, -1
                continue  # the state may have changed while we waited
            try:
                metadata = self._initialize(transactional_id, current, timeout_ms, expected, spare_id)
            except TxnError as exc:
                return exc.code, NO_PRODUCER_ID, -1
            log.info("Initialized transactional id %s with producer id %d and epoch %d",
                     transactional_id, metadata.producer_id, metadata.producer_epoch)
            return ErrorCode.NONE, metadata.producer_id, metadata.producer_epoch

    def add_partitions(self, transactional_id: str, producer_id: int, producer_epoch: int,
                       partitions: Iterable[TopicPartition]) -> ErrorCode:
        """Add partitions to the producer's transaction, beginning one if none is open."""
        partitions = frozenset(partitions)
        try:
            metadata = self._owned(transactional_id, producer_id, producer_epoch)
            if metadata.state == TxnState.ONGOING and partitions <= metadata.partitions:
                return ErrorCode.NONE
            self._store(metadata.with_partitions(partitions, wall_clock_ms()))
        except TxnError as exc:
            return exc.code
        return ErrorCode.NONE

    def verify_partitions(self, transactional_id: str, producer_id: int, producer_epoch: int,
                          partitions: Iterable[TopicPartition]) -> dict[TopicPartition, ErrorCode]:
        """Whether each partition is already in the producer's transaction (AddPartitionsToTxn v4+
        verify-only, and the check before a transactional Produce or TxnOffsetCommit writes):
        TRANSACTION_ABORTABLE for one that is not."""
        partitions = list(partitions)
        try:
            metadata = self._owned(transactional_id, producer_id, producer_epoch)
        except TxnError as exc:
            return {tp: exc.code for tp in partitions}
        return {tp: ErrorCode.NONE if tp in metadata.partitions else ErrorCode.TRANSACTION_ABORTABLE
                for tp in partitions}

    def end_transaction(self, transactional_id: str, producer_id: int, producer_epoch: int,
                        commit: bool) -> ErrorCode:
        """Commit or abort the open transaction; repeating the last outcome is answered NONE (a
        retry), asking for the other one INVALID_TXN_STATE."""
        try:
            metadata = self._owned(transactional_id, producer_id, producer_epoch)
            if metadata.state == TxnState.ONGOING:
                self._end(metadata.preparing(commit, wall_clock_ms()))
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
        metadata = self._txns.get(transactional_id)
        if metadata is None:
            return ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, None
        return ErrorCode.NONE, metadata

    def list_transactions(self, states: Iterable[str] = (), producer_ids: Iterable[int] = (),
                          min_duration_ms: int = -1,
                          id_pattern: str | None = None) -> tuple[ErrorCode, list[str], list[TxnMetadata]]:
        """(error, unknown state names, matches): filters left empty match everything; a
        duration keeps transactions running longer than it; the pattern must match the whole id."""
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

    def abort_timed_out(self, now_ms: int | None = None) -> None:
        """Abort every transaction open longer than its timeout (fencing its producer), so that
        an abandoned transaction cannot hold back the last stable offset of its partitions;
        then retry markers that could not be written before."""
        now = wall_clock_ms() if now_ms is None else now_ms
        for metadata in list(self._txns.values()):
            if metadata.state == TxnState.ONGOING and metadata.start_ms + metadata.timeout_ms < now:
                log.info("Aborting transaction of %s (producer id %d): open longer than its timeout of %d ms",
                         metadata.transactional_id, metadata.producer_id, metadata.timeout_ms)
                try:
                    self._end(metadata.fenced_for_abort(now))
                except TxnError as exc:
                    log.warning("Could not abort the timed-out transaction of %s: %s",
                                metadata.transactional_id, exc.code.name)
        for transactional_id in list(self._unmarked):
            self._finish(transactional_id)

    def expire_transactional_ids(self, now_ms: int | None = None) -> None:
        """Forget ids idle for ``transactional.id.expiration.ms`` (tombstones in the log)."""
        now = wall_clock_ms() if now_ms is None else now_ms
        cutoff = now - self.config.transactional_id_expiration_ms
        for metadata in list(self._txns.values()):
            if metadata.state.is_idle and metadata.last_update_ms <= cutoff:
                try:
                    self.topic.remove(metadata.transactional_id)
                except Exception:
                    log.exception("Could not expire transactional id %s", metadata.transactional_id)
                    continue
                del self._txns[metadata.transactional_id]
                log.info("Expired transactional id %s", metadata.transactional_id)

    # -- internals -----------------------------------------------------------------------------

    def _initialize(self, transactional_id: str, current: TxnMetadata | None, timeout_ms: int,
                    expected: tuple[int, int] | None, spare_id: int | None) -> TxnMetadata:
        now = wall_clock_ms()
        metadata = current or TxnMetadata.new(transactional_id, spare_id, timeout_ms, now)
        if metadata.state.is_preparing:
            raise TxnError(ErrorCode.CONCURRENT_TRANSACTIONS)
        if expected is not None and not _may_resume(metadata, *expected):
            raise TxnError(ErrorCode.PRODUCER_FENCED)
        if metadata.state == TxnState.ONGOING:
            self._end(metadata.fenced_for_abort(now))
            raise TxnError(ErrorCode.CONCURRENT_TRANSACTIONS)
        if _rotates(metadata, expected):
            following = metadata.with_new_producer_id(spare_id, timeout_ms, expected is not None, now)
        else:
            following = metadata.with_bumped_epoch(timeout_ms, None if expected is None else expected[1], now)
        self._store(following)
        return following

    def _owned(self, transactional_id: str, producer_id: int, producer_epoch: int) -> TxnMetadata:
        """The id's metadata, if the producer asking is its current one and it is not mid-way
        through ending a transaction."""
        if not transactional_id:
            raise TxnError(ErrorCode.INVALID_REQUEST)
        metadata = self._txns.get(transactional_id)
        if metadata is None or metadata.producer_id != producer_id:
            raise TxnError(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
        if metadata.producer_epoch != producer_epoch:
            raise TxnError(ErrorCode.PRODUCER_FENCED)
        if metadata.state.is_preparing:
            raise TxnError(ErrorCode.CONCURRENT_TRANSACTIONS)
        return metadata

    def _store(self, metadata: TxnMetadata) -> None:
        try:
            self.topic.write(metadata)
        except StorageError as exc:  # e.g. its partition's log directory is offline
            log.error("Could not store the state of transactional id %s: %s", metadata.transactional_id, exc)
            raise TxnError(ErrorCode.COORDINATOR_NOT_AVAILABLE) from None
        except Exception:
            log.exception("Could not store the state of transactional id %s", metadata.transactional_id)
            raise TxnError(ErrorCode.COORDINATOR_NOT_AVAILABLE) from None
        self._txns[metadata.transactional_id] = metadata

    def _end(self, prepared: TxnMetadata) -> None:
        """Store the decided outcome, then write its markers and complete."""
        self._store(prepared)
        self._unmarked[prepared.transactional_id] = set(prepared.partitions)
        self._finish(prepared.transactional_id)

    def _finish(self, transactional_id: str) -> None:
        metadata = self._txns[transactional_id]
        remaining = self._unmarked[transactional_id]
        for tp in sorted(remaining):
            if self._write_marker(tp, metadata.producer_id, metadata.producer_epoch, metadata.committing):
                remaining.discard(tp)
        if remaining:
            return  # retried by the next abort_timed_out round
        try:
            self._store(metadata.completed(wall_clock_ms()))
        except TxnError:
            return
        del self._unmarked[transactional_id]


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


async def _every(interval_ms: int, action: Callable[[], None]) -> None:
    while True:
        await trio.sleep(interval_ms / 1000)
        action()
