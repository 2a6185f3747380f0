"""The transaction coordinator's state machine: producer ids and epochs, fencing, ending
transactions, timeouts, restarts and the admin views.  Markers go to a recording fake here; the
compat tests write real ones."""

from __future__ import annotations

import pytest

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.transactions.coordinator import TransactionCoordinator
from odradek.server.transactions.txn_metadata import TxnMetadata
from odradek.server.transactions.txn_state import TxnState
from odradek.storage.partition_log import wall_clock_ms
from odradek.wire import ErrorCode

T0, T1 = ("t", 0), ("t", 1)
HOUR_MS = 3_600_000


class Markers:
    """Records every marker; partitions in ``failing`` refuse theirs."""

    def __init__(self):
        self.written: list[tuple[tuple[str, int], int, int, bool]] = []
        self.failing: set[tuple[str, int]] = set()

    async def write(self, owed, here_only=False):
        done = {}
        for markers in owed:
            done[markers.transactional_id] = set()
            for tp in sorted(markers.partitions):
                if tp not in self.failing:
                    self.written.append((tp, markers.producer_id, markers.producer_epoch, markers.commit))
                    done[markers.transactional_id].add(tp)
        return done

    async def aclose(self):
        pass


@pytest.fixture
def open_coordinator(tmp_path):
    """Opens a coordinator on the test's data directory; opening another one is a restart."""
    opened = []

    def open_one(markers=None, overrides=()):
        for broker in opened:
            broker.logs.close()
        config = BrokerConfig.load(data_dir=str(tmp_path),
                                   overrides=["transaction.state.log.num.partitions=3", *overrides])
        broker = Broker(config)
        broker.open_storage()
        coordinator = TransactionCoordinator(broker, markers if markers is not None else Markers())
        coordinator.adopt(coordinator.load())
        opened.append(broker)
        return coordinator

    yield open_one
    for broker in opened:
        broker.logs.close()


async def test_first_init_gives_a_new_producer_id_and_a_reinit_bumps_its_epoch(open_coordinator):
    coordinator = open_coordinator()
    code, producer_id, epoch = await coordinator.init_producer_id("app", 60_000)
    assert (code, epoch) == (ErrorCode.NONE, 0) and producer_id >= 0
    assert await coordinator.init_producer_id("app", 30_000) == (ErrorCode.NONE, producer_id, 1)
    metadata = coordinator.get("app")
    assert (metadata.state, metadata.timeout_ms, metadata.partitions) == (TxnState.EMPTY, 30_000, frozenset())
    other = await coordinator.init_producer_id("other", 60_000)
    assert other[0] == ErrorCode.NONE and other[1] != producer_id


async def test_init_refuses_bad_ids_and_timeouts(open_coordinator):
    coordinator = open_coordinator(overrides=["transaction.max.timeout.ms=60000"])
    assert (await coordinator.init_producer_id("", 1000))[0] == ErrorCode.INVALID_REQUEST
    assert (await coordinator.init_producer_id("app", 0))[0] == ErrorCode.INVALID_TRANSACTION_TIMEOUT
    assert (await coordinator.init_producer_id("app", 60_001))[0] == ErrorCode.INVALID_TRANSACTION_TIMEOUT
    assert coordinator.get("app") is None
    assert (await coordinator.init_producer_id("app", 60_000))[0] == ErrorCode.NONE


async def test_commit_writes_a_marker_to_every_partition_then_completes(open_coordinator):
    markers = Markers()
    coordinator = open_coordinator(markers)
    _, pid, epoch = await coordinator.init_producer_id("app", 60_000)
    assert await coordinator.add_partitions("app", pid, epoch, [T0]) == ErrorCode.NONE
    started = coordinator.get("app").start_ms
    assert await coordinator.add_partitions("app", pid, epoch, [T0, T1]) == ErrorCode.NONE
    ongoing = coordinator.get("app")
    assert (ongoing.state, ongoing.partitions, ongoing.start_ms) == (TxnState.ONGOING, {T0, T1}, started)

    assert await coordinator.end_transaction("app", pid, epoch, commit=True) == ErrorCode.NONE
    assert sorted(markers.written) == [(T0, pid, epoch, True), (T1, pid, epoch, True)]
    done = coordinator.get("app")
    assert (done.state, done.partitions, done.producer_epoch) == (TxnState.COMPLETE_COMMIT, frozenset(), epoch)
    # a retried EndTxn gets the same answer; the other outcome, or ending nothing, is refused
    assert await coordinator.end_transaction("app", pid, epoch, commit=True) == ErrorCode.NONE
    assert await coordinator.end_transaction("app", pid, epoch, commit=False) == ErrorCode.INVALID_TXN_STATE
    assert len(markers.written) == 2

    assert await coordinator.add_partitions("app", pid, epoch, [T1]) == ErrorCode.NONE  # the next transaction
    assert await coordinator.end_transaction("app", pid, epoch, commit=False) == ErrorCode.NONE
    assert markers.written[-1] == (T1, pid, epoch, False)
    assert coordinator.get("app").state == TxnState.COMPLETE_ABORT
    await coordinator.init_producer_id("fresh", 60_000)
    fresh = coordinator.get("fresh").producer_id
    assert await coordinator.end_transaction("fresh", fresh, 0, commit=True) == ErrorCode.INVALID_TXN_STATE


async def test_requests_from_unknown_or_old_producers(open_coordinator):
    coordinator = open_coordinator()
    assert await coordinator.add_partitions("nobody", 1, 0, [T0]) == ErrorCode.INVALID_PRODUCER_ID_MAPPING
    assert await coordinator.add_partitions("", 1, 0, [T0]) == ErrorCode.INVALID_REQUEST
    _, pid, epoch = await coordinator.init_producer_id("app", 60_000)
    assert await coordinator.add_partitions("app", pid + 1, epoch, [T0]) == ErrorCode.INVALID_PRODUCER_ID_MAPPING
    assert await coordinator.add_partitions("app", pid, epoch + 1, [T0]) == ErrorCode.PRODUCER_FENCED
    assert await coordinator.end_transaction("app", pid + 1, epoch, True) == ErrorCode.INVALID_PRODUCER_ID_MAPPING


async def test_a_new_instance_aborts_the_open_transaction_and_fences_the_old_one(open_coordinator):
    markers = Markers()
    coordinator = open_coordinator(markers)
    _, pid, old_epoch = await coordinator.init_producer_id("app", 60_000)
    await coordinator.add_partitions("app", pid, old_epoch, [T0])

    # Kafka aborts under a bumped epoch and asks the new instance to retry, which bumps again
    assert await coordinator.init_producer_id("app", 60_000) == (ErrorCode.CONCURRENT_TRANSACTIONS, -1, -1)
    assert markers.written == [(T0, pid, old_epoch + 1, False)]
    assert coordinator.get("app").state == TxnState.COMPLETE_ABORT
    assert await coordinator.init_producer_id("app", 60_000) == (ErrorCode.NONE, pid, old_epoch + 2)

    assert await coordinator.add_partitions("app", pid, old_epoch, [T1]) == ErrorCode.PRODUCER_FENCED
    assert await coordinator.end_transaction("app", pid, old_epoch, commit=True) == ErrorCode.PRODUCER_FENCED
    assert (await coordinator.init_producer_id("app", 60_000, pid, old_epoch))[0] == ErrorCode.PRODUCER_FENCED


async def test_a_producer_recovering_with_its_epoch_kip_360(open_coordinator):
    coordinator = open_coordinator()
    _, pid, epoch = await coordinator.init_producer_id("app", 60_000)
    assert await coordinator.init_producer_id("app", 60_000, pid, epoch) == (ErrorCode.NONE, pid, epoch + 1)
    # the answer was lost and the producer retries with the epoch it had: the same answer again
    assert await coordinator.init_producer_id("app", 60_000, pid, epoch) == (ErrorCode.NONE, pid, epoch + 1)
    assert (await coordinator.init_producer_id("app", 60_000, pid + 7, epoch + 1))[0] == ErrorCode.PRODUCER_FENCED
    # an id the coordinator never saw (its state expired) starts at epoch 0 under a new producer id
    code, new_pid, new_epoch = await coordinator.init_producer_id("forgotten", 60_000, 12345, 3)
    assert (code, new_epoch) == (ErrorCode.NONE, 0) and new_pid != 12345


async def test_used_up_epochs_get_a_new_producer_id(open_coordinator):
    coordinator = open_coordinator()
    now = wall_clock_ms()
    coordinator.adopt({"old": TxnMetadata("old", 77, 32766, 60_000, TxnState.COMPLETE_COMMIT, last_update_ms=now)})
    code, pid, epoch = await coordinator.init_producer_id("old", 60_000)
    assert (code, epoch) == (ErrorCode.NONE, 0) and pid != 77
    assert coordinator.get("old").previous_producer_id == 77
    # a retry of that rotation, naming the old id and its last epoch, gets the new id back
    coordinator.adopt({"old": TxnMetadata("old", 78, 32766, 60_000, TxnState.EMPTY, last_update_ms=now)})
    rotated = await coordinator.init_producer_id("old", 60_000, 78, 32766)
    assert rotated[0] == ErrorCode.NONE and rotated[1] != 78
    assert await coordinator.init_producer_id("old", 60_000, 78, 32766) == (ErrorCode.NONE, *rotated[1:])


async def test_timed_out_transactions_are_aborted_and_their_producer_fenced(open_coordinator):
    markers = Markers()
    coordinator = open_coordinator(markers)
    _, pid, epoch = await coordinator.init_producer_id("slow", 1_000)
    _, other_pid, other_epoch = await coordinator.init_producer_id("busy", 60_000)
    await coordinator.add_partitions("slow", pid, epoch, [T0])
    await coordinator.add_partitions("busy", other_pid, other_epoch, [T1])
    started = coordinator.get("slow").start_ms

    await coordinator.abort_timed_out(started + 1_000)  # not yet: only strictly longer than the timeout
    assert markers.written == []
    await coordinator.abort_timed_out(started + 1_001)
    assert markers.written == [(T0, pid, epoch + 1, False)]
    assert coordinator.get("slow").state == TxnState.COMPLETE_ABORT
    assert coordinator.get("busy").state == TxnState.ONGOING
    assert await coordinator.end_transaction("slow", pid, epoch, commit=True) == ErrorCode.PRODUCER_FENCED


async def test_a_marker_that_cannot_be_written_keeps_the_transaction_preparing_until_a_retry(open_coordinator):
    markers = Markers()
    coordinator = open_coordinator(markers)
    _, pid, epoch = await coordinator.init_producer_id("app", 60_000)
    await coordinator.add_partitions("app", pid, epoch, [T0, T1])
    markers.failing.add(T1)
    # the outcome is stored, so the commit is answered; the transaction cannot move on yet
    assert await coordinator.end_transaction("app", pid, epoch, commit=True) == ErrorCode.NONE
    assert coordinator.get("app").state == TxnState.PREPARE_COMMIT
    assert await coordinator.add_partitions("app", pid, epoch, [T0]) == ErrorCode.CONCURRENT_TRANSACTIONS
    assert await coordinator.end_transaction("app", pid, epoch, commit=True) == ErrorCode.CONCURRENT_TRANSACTIONS
    assert (await coordinator.init_producer_id("app", 60_000))[0] == ErrorCode.CONCURRENT_TRANSACTIONS

    markers.failing.clear()
    await coordinator.complete_transactions()  # (the coordinator's marker rounds retry it)
    assert coordinator.get("app").state == TxnState.COMPLETE_COMMIT
    assert sorted(markers.written) == [(T0, pid, epoch, True), (T1, pid, epoch, True)]


async def test_state_survives_a_restart_and_decided_outcomes_are_finished(open_coordinator):
    markers = Markers()
    first = open_coordinator(markers)
    _, pid, epoch = await first.init_producer_id("open", 60_000)
    await first.add_partitions("open", pid, epoch, [T0, T1])
    _, done_pid, done_epoch = await first.init_producer_id("done", 60_000)
    await first.add_partitions("done", done_pid, done_epoch, [T0])
    await first.end_transaction("done", done_pid, done_epoch, commit=True)
    _, stuck_pid, stuck_epoch = await first.init_producer_id("stuck", 60_000)
    await first.add_partitions("stuck", stuck_pid, stuck_epoch, [T1])
    markers.failing.add(T1)
    await first.end_transaction("stuck", stuck_pid, stuck_epoch, commit=False)
    assert first.get("stuck").state == TxnState.PREPARE_ABORT

    again_markers = Markers()
    again = open_coordinator(again_markers)
    await again.complete_transactions()  # (the coordinator's first marker round, once it runs)
    assert again.get("open") == first.get("open")
    assert (again.get("open").state, again.get("open").partitions) == (TxnState.ONGOING, {T0, T1})
    assert again.get("done").state == TxnState.COMPLETE_COMMIT
    assert again_markers.written == [(T1, stuck_pid, stuck_epoch, False)]
    assert again.get("stuck").state == TxnState.COMPLETE_ABORT
    # the producer carries on where it was
    assert await again.end_transaction("open", pid, epoch, commit=True) == ErrorCode.NONE


async def test_verify_partitions(open_coordinator):
    coordinator = open_coordinator()
    _, pid, epoch = await coordinator.init_producer_id("app", 60_000)
    await coordinator.add_partitions("app", pid, epoch, [T0])
    assert coordinator.verify_partitions("app", pid, epoch, [T0, T1]) == {
        T0: ErrorCode.NONE, T1: ErrorCode.TRANSACTION_ABORTABLE}
    assert coordinator.verify_partitions("app", pid, epoch + 1, [T0]) == {T0: ErrorCode.PRODUCER_FENCED}
    assert coordinator.verify_partitions("nobody", pid, epoch, [T0]) == {T0: ErrorCode.INVALID_PRODUCER_ID_MAPPING}


async def test_describe_and_list(open_coordinator):
    coordinator = open_coordinator()
    _, pid, epoch = await coordinator.init_producer_id("orders-1", 60_000)
    await coordinator.add_partitions("orders-1", pid, epoch, [T0])
    _, idle_pid, _ = await coordinator.init_producer_id("audit", 60_000)

    assert coordinator.describe("orders-1") == (ErrorCode.NONE, coordinator.get("orders-1"))
    assert coordinator.describe("missing") == (ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, None)
    assert coordinator.describe("") == (ErrorCode.INVALID_REQUEST, None)

    def listed(**filters):
        code, unknown, found = coordinator.list_transactions(**filters)
        return code, unknown, sorted(m.transactional_id for m in found)

    assert listed() == (ErrorCode.NONE, [], ["audit", "orders-1"])
    assert listed(states=["Ongoing", "Sleeping"]) == (ErrorCode.NONE, ["Sleeping"], ["orders-1"])
    assert listed(producer_ids=[idle_pid]) == (ErrorCode.NONE, [], ["audit"])
    assert listed(id_pattern="orders-.*") == (ErrorCode.NONE, [], ["orders-1"])
    assert listed(id_pattern="orders") == (ErrorCode.NONE, [], [])  # the whole id must match
    assert listed(id_pattern="(")[0] == ErrorCode.INVALID_REGULAR_EXPRESSION
    assert listed(states=["Ongoing"], min_duration_ms=HOUR_MS) == (ErrorCode.NONE, [], [])


async def test_idle_transactional_ids_expire(open_coordinator):
    coordinator = open_coordinator(overrides=["transactional.id.expiration.ms=1000"])
    _, pid, epoch = await coordinator.init_producer_id("idle", 60_000)
    await coordinator.init_producer_id("busy", 60_000)
    busy = coordinator.get("busy")
    await coordinator.add_partitions("busy", busy.producer_id, busy.producer_epoch, [T0])
    await coordinator.expire_transactional_ids(wall_clock_ms() + HOUR_MS)
    assert coordinator.get("idle") is None
    assert coordinator.get("busy") is not None  # an open transaction is never expired
    assert open_coordinator().get("idle") is None  # the tombstone removed it for good
