"""The transaction APIs end to end in one process: requests encoded, dispatched to the handlers,
answered by the coordinator over real storage (markers included), responses decoded.

These pin what real clients rarely show: error codes per request version, batched and
verify-only AddPartitionsToTxn, the transaction check before TxnOffsetCommit, and what
read_committed Fetch and ListOffsets answer around an open transaction.
"""

from __future__ import annotations

import itertools

import pytest

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.dispatch import dispatch
from odradek.server.groups.offsets_topic import OFFSETS_TOPIC, partition_for
from odradek.storage.partition_log import wall_clock_ms
from odradek.wire import ApiKey, ErrorCode, encode_request, parse_response
from odradek.wire.records import Record, build_batch, read_batches

_ids = itertools.count(1)


@pytest.fixture
def broker(tmp_path):
    config = BrokerConfig.load(data_dir=str(tmp_path), overrides=[
        "transaction.state.log.num.partitions=3", "offsets.topic.num.partitions=3",
        "transaction.max.timeout.ms=60000"])
    broker = Broker(config)
    broker.open_storage()
    broker.groups.adopt(broker.groups.load())
    broker.transactions.adopt(broker.transactions.load())
    broker.logs.create_topic("t", 2)
    yield broker
    broker.logs.close()


async def call(broker, api_key: int, version: int, body: dict):
    frame = encode_request(api_key, version, next(_ids), "test", body)[4:]  # as the connection splits it
    chunks = await dispatch(broker, frame, "test", "PLAINTEXT")
    _, response = parse_response(api_key, version, b"".join(chunks)[4:])
    return response


async def init(broker, transactional_id: str, version: int = 4, timeout_ms: int = 60_000,
               producer_id: int = -1, producer_epoch: int = -1):
    return await call(broker, ApiKey.INIT_PRODUCER_ID, version, {
        "transactional_id": transactional_id, "transaction_timeout_ms": timeout_ms,
        "producer_id": producer_id, "producer_epoch": producer_epoch})


async def add_partitions(broker, transactional_id, producer_id, epoch, partitions, version: int = 3) -> dict:
    response = await call(broker, ApiKey.ADD_PARTITIONS_TO_TXN, version, {
        "v3_and_below_transactional_id": transactional_id, "v3_and_below_producer_id": producer_id,
        "v3_and_below_producer_epoch": epoch,
        "v3_and_below_topics": [{"name": "t", "partitions": partitions}]})
    return {(t.name, p.partition_index): p.partition_error_code
            for t in response.results_by_topic_v3_and_below for p in t.results_by_partition}


async def end(broker, transactional_id, producer_id, epoch, commit: bool, version: int = 3):
    return await call(broker, ApiKey.END_TXN, version, {
        "transactional_id": transactional_id, "producer_id": producer_id, "producer_epoch": epoch,
        "committed": commit})


def produce_transactional(broker, producer_id: int, epoch: int, sequence: int, values: list[bytes],
                          partition: int = 0, timestamp: int | None = None) -> None:
    records = [Record(i, 0, None, value) for i, value in enumerate(values)]
    batch = build_batch(records, base_timestamp=timestamp or wall_clock_ms(), producer_id=producer_id,
                        producer_epoch=epoch, base_sequence=sequence, transactional=True)
    broker.logs.partition("t", partition).append(batch)


async def test_init_producer_id_checks_and_version_dependent_fencing(broker):
    assert (await init(broker, "app", producer_id=5)).error_code == ErrorCode.INVALID_REQUEST
    assert (await init(broker, "app", timeout_ms=60_001)).error_code == ErrorCode.INVALID_TRANSACTION_TIMEOUT
    refused = await call(broker, ApiKey.INIT_PRODUCER_ID, 6, {
        "transactional_id": "app", "transaction_timeout_ms": 1000, "enable2_pc": True})
    assert refused.error_code == ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    first = await init(broker, "app")
    assert (first.error_code, first.producer_epoch) == (ErrorCode.NONE, 0)
    await init(broker, "app")  # a new instance: epoch 1
    for version, code in ((3, ErrorCode.INVALID_PRODUCER_EPOCH), (4, ErrorCode.PRODUCER_FENCED)):
        stale = await init(broker, "app", version, producer_id=first.producer_id, producer_epoch=7)
        assert (stale.error_code, stale.producer_id, stale.producer_epoch) == (code, -1, -1)


async def test_add_partitions_is_all_or_nothing_and_answers_fencing_by_version(broker):
    producer = await init(broker, "app")
    pid = producer.producer_id
    assert await add_partitions(broker, "app", pid, 0, [0, 7]) == {
        ("t", 0): ErrorCode.OPERATION_NOT_ATTEMPTED, ("t", 7): ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}
    assert broker.transactions.get("app").partitions == frozenset()
    assert await add_partitions(broker, "app", pid, 0, [0, 1]) == {
        ("t", 0): ErrorCode.NONE, ("t", 1): ErrorCode.NONE}
    assert await add_partitions(broker, "app", pid, 1, [0], version=1) == {("t", 0): ErrorCode.INVALID_PRODUCER_EPOCH}
    assert await add_partitions(broker, "app", pid, 1, [0], version=2) == {("t", 0): ErrorCode.PRODUCER_FENCED}
    assert await add_partitions(broker, "app", pid + 1, 0, [0]) == {("t", 0): ErrorCode.INVALID_PRODUCER_ID_MAPPING}


async def test_batched_add_partitions_and_verify_only(broker):
    a, b = await init(broker, "a"), await init(broker, "b")
    await add_partitions(broker, "a", a.producer_id, 0, [0])
    response = await call(broker, ApiKey.ADD_PARTITIONS_TO_TXN, 5, {"transactions": [
        {"transactional_id": "a", "producer_id": a.producer_id, "producer_epoch": 0, "verify_only": True,
         "topics": [{"name": "t", "partitions": [0, 1]}]},
        {"transactional_id": "b", "producer_id": b.producer_id, "producer_epoch": 0, "verify_only": False,
         "topics": [{"name": "t", "partitions": [1]}]},
    ]})
    answers = {r.transactional_id: {p.partition_index: p.partition_error_code
                                    for t in r.topic_results for p in t.results_by_partition}
               for r in response.results_by_transaction}
    assert answers == {"a": {0: ErrorCode.NONE, 1: ErrorCode.TRANSACTION_ABORTABLE}, "b": {1: ErrorCode.NONE}}
    assert broker.transactions.get("a").partitions == {("t", 0)}  # verifying adds nothing
    assert broker.transactions.get("b").partitions == {("t", 1)}


async def test_end_txn_writes_markers_and_v5_names_the_producer(broker):
    producer = await init(broker, "app")
    pid = producer.producer_id
    await add_partitions(broker, "app", pid, 0, [0, 1])
    produce_transactional(broker, pid, 0, 0, [b"a", b"b"])
    assert broker.logs.partition("t", 0).last_stable_offset == 0
    done = await end(broker, "app", pid, 0, commit=True, version=5)
    assert (done.error_code, done.producer_id, done.producer_epoch) == (ErrorCode.NONE, pid, 0)
    for partition in (0, 1):
        partition_log = broker.logs.partition("t", partition)
        [marker] = [b for b in read_batches(partition_log.read(0, 1 << 20).read()) if b.is_control]
        assert (marker.producer_id, marker.producer_epoch) == (pid, 0)
        assert partition_log.last_stable_offset == partition_log.high_watermark
    assert (await end(broker, "app", pid, 0, commit=False, version=5)).error_code == ErrorCode.INVALID_TXN_STATE
    assert (await end(broker, "app", pid, 3, commit=True, version=1)).error_code == ErrorCode.INVALID_PRODUCER_EPOCH


async def test_read_committed_fetch_and_list_offsets_stop_at_the_open_transaction(broker):
    producer = await init(broker, "app")
    pid = producer.producer_id
    await add_partitions(broker, "app", pid, 0, [0])
    then = wall_clock_ms() + 60_000  # later than the markers' times, within what storage accepts
    produce_transactional(broker, pid, 0, 0, [b"aborted"])
    await end(broker, "app", pid, 0, commit=False)  # offsets 0 and 1 (its marker)
    await add_partitions(broker, "app", pid, 0, [0])
    produce_transactional(broker, pid, 0, 1, [b"open-1", b"open-2"], timestamp=then)  # offsets 2 and 3, open

    async def fetch(isolation_level: int):
        response = await call(broker, ApiKey.FETCH, 11, {
            "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20,
            "isolation_level": isolation_level, "session_id": 0, "session_epoch": -1,
            "topics": [{"topic": "t", "partitions": [{"partition": 0, "current_leader_epoch": -1, "fetch_offset": 0,
                                                       "log_start_offset": -1, "partition_max_bytes": 1 << 20}]}],
            "forgotten_topics_data": [], "rack_id": ""})
        [answer] = response.responses[0].partitions
        offsets = [b.base_offset for b in read_batches(bytes(answer.records or b""))]
        aborted = None if answer.aborted_transactions is None else [
            (a.producer_id, a.first_offset) for a in answer.aborted_transactions]
        return answer.last_stable_offset, offsets, aborted

    assert await fetch(1) == (2, [0, 1], [(pid, 0)])
    assert await fetch(0) == (2, [0, 1, 2], None)

    async def latest(isolation_level: int, timestamp: int = -1) -> int:
        response = await call(broker, ApiKey.LIST_OFFSETS, 5, {
            "replica_id": -1, "isolation_level": isolation_level, "topics": [
                {"name": "t", "partitions": [{"partition_index": 0, "current_leader_epoch": -1,
                                              "timestamp": timestamp}]}]})
        return response.topics[0].partitions[0].offset

    assert (await latest(1), await latest(0)) == (2, 4)
    assert (await latest(1, timestamp=0), await latest(0, timestamp=0)) == (0, 0)
    # the first record at or after ``then`` is open: read_committed finds none yet
    assert (await latest(1, timestamp=then), await latest(0, timestamp=then)) == (-1, 2)


async def test_txn_offset_commit_is_checked_against_the_transaction(broker):
    producer = await init(broker, "app")
    pid = producer.producer_id

    async def commit_offsets(version: int, epoch: int = 0, group: str = "g") -> int:
        response = await call(broker, ApiKey.TXN_OFFSET_COMMIT, version, {
            "transactional_id": "app", "group_id": group, "producer_id": pid, "producer_epoch": epoch,
            "generation_id": -1, "member_id": "", "group_instance_id": None,
            "topics": [{"name": "t", "partitions": [{"partition_index": 0, "committed_offset": 5,
                                                     "committed_leader_epoch": -1, "committed_metadata": "m"}]}]})
        return response.topics[0].partitions[0].error_code

    # AddOffsetsToTxn has not put the group's offsets partition in the transaction yet
    assert await commit_offsets(3) == ErrorCode.INVALID_TXN_STATE
    assert await commit_offsets(4) == ErrorCode.TRANSACTION_ABORTABLE
    added = await call(broker, ApiKey.ADD_OFFSETS_TO_TXN, 3, {
        "transactional_id": "app", "producer_id": pid, "producer_epoch": 0, "group_id": "g"})
    assert added.error_code == ErrorCode.NONE
    assert broker.transactions.get("app").partitions == {(OFFSETS_TOPIC, partition_for("g", 3))}
    assert await commit_offsets(3, epoch=1) == ErrorCode.INVALID_PRODUCER_EPOCH
    assert await commit_offsets(3, group="") == ErrorCode.INVALID_GROUP_ID
    assert await commit_offsets(3) == ErrorCode.NONE

    async def fetch_offset(require_stable: bool):
        response = await call(broker, ApiKey.OFFSET_FETCH, 8, {
            "groups": [{"group_id": "g", "topics": [{"name": "t", "partition_indexes": [0]}]}],
            "require_stable": require_stable})
        [answer] = response.groups[0].topics[0].partitions
        return answer.error_code, answer.committed_offset

    assert await fetch_offset(False) == (ErrorCode.NONE, -1)
    assert await fetch_offset(True) == (ErrorCode.UNSTABLE_OFFSET_COMMIT, -1)
    assert (await end(broker, "app", pid, 0, commit=True)).error_code == ErrorCode.NONE
    assert await fetch_offset(True) == (ErrorCode.NONE, 5)


async def test_describe_and_list_transactions_and_producers(broker):
    producer = await init(broker, "app")
    pid = producer.producer_id
    await add_partitions(broker, "app", pid, 0, [1])
    produce_transactional(broker, pid, 0, 0, [b"a", b"b"], partition=1)

    described = await call(broker, ApiKey.DESCRIBE_TRANSACTIONS, 0, {"transactional_ids": ["app", "nobody", ""]})
    app, nobody, empty = described.transaction_states
    assert (app.error_code, app.transaction_state, app.producer_id, app.transaction_timeout_ms) == (
        ErrorCode.NONE, "Ongoing", pid, 60_000)
    assert [(t.topic, list(t.partitions)) for t in app.topics] == [("t", [1])]
    assert (nobody.error_code, empty.error_code) == (ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, ErrorCode.INVALID_REQUEST)

    listed = await call(broker, ApiKey.LIST_TRANSACTIONS, 2, {
        "state_filters": ["Ongoing", "Bogus"], "producer_id_filters": [], "duration_filter": -1,
        "transactional_id_pattern": "a.p"})
    assert list(listed.unknown_state_filters) == ["Bogus"]
    assert [(t.transactional_id, t.producer_id, t.transaction_state) for t in listed.transaction_states] == [
        ("app", pid, "Ongoing")]

    producers = await call(broker, ApiKey.DESCRIBE_PRODUCERS, 0, {
        "topics": [{"name": "t", "partition_indexes": [1, 9]}]})
    known, unknown = producers.topics[0].partitions
    [active] = known.active_producers
    assert (active.producer_id, active.producer_epoch, active.last_sequence, active.current_txn_start_offset) == (
        pid, 0, 1, 0)
    assert unknown.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


async def test_transactional_produce_is_checked_against_the_transaction_and_retries_are_answered(broker):
    producer = await init(broker, "app")
    pid = producer.producer_id
    await add_partitions(broker, "app", pid, 0, [0])

    async def produce(version: int, partition: int, epoch: int = 0, sequence: int = 0,
                      transactional_id: str | None = "app"):
        batch = build_batch([Record(0, 0, None, b"v")], base_timestamp=wall_clock_ms(), producer_id=pid,
                            producer_epoch=epoch, base_sequence=sequence, transactional=True)
        response = await call(broker, ApiKey.PRODUCE, version, {
            "transactional_id": transactional_id, "acks": -1, "timeout_ms": 1000, "topic_data": [
                {"name": "t", "partition_data": [{"index": partition, "records": batch}]}]})
        answer = response.responses[0].partition_responses[0]
        return answer.error_code, answer.base_offset

    # partition 1 was never added: a transaction there would never be ended
    assert await produce(10, 1) == (ErrorCode.INVALID_TXN_STATE, -1)
    assert await produce(11, 1) == (ErrorCode.TRANSACTION_ABORTABLE, -1)
    assert await produce(11, 0, epoch=1) == (ErrorCode.INVALID_PRODUCER_EPOCH, -1)
    assert broker.logs.partition("t", 1).log_end_offset == 0
    assert await produce(11, 0) == (ErrorCode.NONE, 0)
    assert await produce(11, 0) == (ErrorCode.NONE, 0)  # the retry: the batch the log already has
    assert broker.logs.partition("t", 0).log_end_offset == 1
    assert await produce(11, 0, sequence=1) == (ErrorCode.NONE, 1)


async def test_a_commit_decided_before_a_crash_is_finished_at_start_up(broker):
    producer = await init(broker, "app")
    pid = producer.producer_id
    await add_partitions(broker, "app", pid, 0, [0])
    await call(broker, ApiKey.ADD_OFFSETS_TO_TXN, 3, {
        "transactional_id": "app", "producer_id": pid, "producer_epoch": 0, "group_id": "g"})
    produce_transactional(broker, pid, 0, 0, [b"a"])
    await call(broker, ApiKey.TXN_OFFSET_COMMIT, 3, {
        "transactional_id": "app", "group_id": "g", "producer_id": pid, "producer_epoch": 0,
        "generation_id": -1, "member_id": "", "group_instance_id": None,
        "topics": [{"name": "t", "partitions": [{"partition_index": 1, "committed_offset": 8,
                                                 "committed_leader_epoch": -1, "committed_metadata": ""}]}]})
    # the coordinator stored PrepareCommit, then the broker died before writing any marker
    decided = broker.transactions.get("app").preparing(commit=True, now_ms=wall_clock_ms())
    broker.transactions.topic.write(decided)
    broker.logs.close()

    again = Broker(broker.config)
    again.open_storage()
    try:
        again.groups.adopt(again.groups.load())
        assert again.groups.offsets.is_pending("g", "t", 1)
        again.transactions.adopt(again.transactions.load())
        await again.transactions.complete_transactions()  # (its first round of markers, once it runs)
        assert again.transactions.get("app").state.display_name == "CompleteCommit"
        partition_log = again.logs.partition("t", 0)
        assert partition_log.last_stable_offset == partition_log.high_watermark == 2  # the record and its marker
        assert again.groups.offsets.get("g", "t", 1).offset == 8
    finally:
        again.logs.close()
