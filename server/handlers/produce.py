"""Produce: validate each partition's record batches and append them to the log.

Batches stay opaque bytes: storage reads their headers, checks CRCs and rewrites base offsets.
acks=0 gets no response at all (and a closed connection if anything failed); acks=-1 waits until
every in-sync replica has the batch (``broker.replicas``: on a single broker, the leader is the
whole ISR and there is nothing to wait for); this broker must lead the partition, and in cluster
mode its batches are stamped with its leader epoch.

A transactional batch is first checked against its transaction, as Kafka 4 does (KIP-890): a
partition the transaction never added would otherwise get a transaction nobody ends, holding
back its last stable offset for good. Only the first batch of a transaction in each partition
is checked (later ones find it open there), with the transactional id's coordinator: a lookup
when this broker coordinates it, one AddPartitionsToTxn (verify only) per request when another
broker does; a coordinator that cannot tell yet is answered NOT_ENOUGH_REPLICAS, which the
producer retries, as Kafka answers it.  A retried batch the log already holds is answered with
its original offsets.  A partition whose ``flush.messages`` is reached is fsynced, in a worker
thread, before the answer (see ``group_flush``: concurrent requests share fsyncs).  A batch refused
for some of its records names them in ``record_errors`` (v8+), with the log start offset, as
Kafka answers a record validation failure.
"""

from __future__ import annotations

import struct

from odradek.storage.batch_header import (
    ATTRIBUTES_OFFSET,
    HEADER_SIZE,
    LOG_OVERHEAD,
    MAGIC_OFFSET,
    TRANSACTIONAL_BIT,
    read_header,
)
from odradek.wire import ApiKey, ErrorCode

from ..close_connection import CloseConnection
from ..deferred_response import Deferred
from ..security.acl.codes import AclOperation, ResourceType
from ..storage_errors import error_code_for, record_errors_for
from .topic_lookup import resolve_topic

API_KEY = ApiKey.PRODUCE
FIRST_TRANSACTION_ABORTABLE_VERSION = 11
FIRST_TOPIC_ID_VERSION = 13
LENGTH_OFFSET = 8  # a batch's batchLength, after its baseOffset
_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")


async def handle(ctx, request) -> dict | None:
    broker = ctx.broker
    by_id = ctx.version >= FIRST_TOPIC_ID_VERSION
    acks_valid = request.acks in (0, 1, -1)
    responses = []
    flush = []  # (log, answer) whose flush.messages is reached: fsynced before the answer
    appended = []  # (answer, log, offset after the batch): what acks=all waits for
    if broker.authorizer is not None:
        refused = _unauthorized(ctx, request, by_id)
        if refused is not None:
            return refused
    verified = await _verify_transactions(ctx, request, by_id) if request.transactional_id is not None else {}
    for topic_data in request.topic_data:
        topic = resolve_topic(broker, topic_data.name, topic_data.topic_id, by_id)
        denied = topic is not None and broker.authorizer is not None and not ctx.authorize(
            AclOperation.WRITE, ResourceType.TOPIC, topic.name)
        partitions = []
        for part in topic_data.partition_data:
            if not acks_valid:
                partitions.append(_error(part.index, ErrorCode.INVALID_REQUIRED_ACKS))
            elif topic is None:
                code = ErrorCode.UNKNOWN_TOPIC_ID if by_id else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                partitions.append(_error(part.index, code))
            elif denied:
                partitions.append(_error(part.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED))
            else:
                partitions.append(_append(ctx, request, topic.name, part, flush, appended, verified))
        responses.append(
            {"name": topic_data.name, "topic_id": topic_data.topic_id, "partition_responses": partitions}
        )
    if flush:
        # one fsync shared with concurrent requests; a partition whose disk fails meanwhile
        # answers KAFKA_STORAGE_ERROR (its log directory is offline now)
        failed = await broker.flusher.flush([log for log, _ in flush])
        for log, answer in flush:
            if log in failed:
                answer.update(_error(answer["index"], ErrorCode.KAFKA_STORAGE_ERROR))
    answer = {"responses": responses, "throttle_time_ms": 0}
    if request.acks == -1 and appended and broker.replicas.waits_for_acks:
        async def replicated() -> dict:
            await _wait_for_isr(broker, appended, request.timeout_ms)
            return answer

        return Deferred(replicated)  # the connection goes on with the next requests meanwhile
    if request.acks == 0:
        failed = [p for t in responses for p in t["partition_responses"] if p["error_code"]]
        if failed:
            # No response can carry the error, so Kafka closes the connection instead.
            raise CloseConnection(f"acks=0 produce failed with error {failed[0]['error_code']}")
        return None
    return answer


async def _wait_for_isr(broker, appended: list, timeout_ms: int) -> None:
    """acks=all: answer each partition once its ISR has the batch, or with why it has not."""
    outcome = await broker.replicas.wait_for_acks([(log, end) for _, log, end in appended], timeout_ms)
    for answer, log, _ in appended:
        code = outcome.get((log.topic, log.partition), ErrorCode.NONE)
        if code != ErrorCode.NONE:
            answer.update(_error(answer["index"], code))


def _append(ctx, request, topic: str, part, flush: list, appended: list, verified: dict) -> dict:
    broker = ctx.broker
    replicas = broker.replicas
    log, code = replicas.leader_log(topic, part.index)
    if log is None:
        return _error(part.index, code)
    code = replicas.check_produce(log, request.acks)
    if code != ErrorCode.NONE:
        return _error(part.index, code)
    if not part.records:
        return _error(part.index, ErrorCode.CORRUPT_MESSAGE, "the request carries no record batch")
    code = _transaction_error(ctx, verified.get((topic, part.index), ErrorCode.NONE))
    if code != ErrorCode.NONE:
        return _error(part.index, code)
    try:
        info = replicas.append(log, part.records)
    except Exception as exc:
        code = error_code_for(exc)
        if code == ErrorCode.UNKNOWN_SERVER_ERROR:
            raise
        answer = _error(part.index, code, str(exc))
        if exc.record_errors:
            answer.update(record_errors=record_errors_for(exc), log_start_offset=log.log_start_offset)
        return answer
    replicas.after_append(log)
    broker.appends.notify((topic, part.index))
    if not info.duplicate:
        broker.stats.topics.produced(topic, info.record_count, len(part.records))
    answer = {
        "index": part.index,
        "error_code": ErrorCode.NONE,
        "base_offset": info.first_offset,
        "log_append_time_ms": info.log_append_time_ms,
        "log_start_offset": info.log_start_offset,
    }
    if log.take_flush():
        flush.append((log, answer))
    appended.append((answer, log, info.last_offset + 1))
    return answer


async def _verify_transactions(ctx, request, by_id: bool) -> dict[tuple[str, int], ErrorCode]:
    """The transaction coordinator's word on each partition whose batch is the first of its
    producer's transaction there (KIP-890); batches of an open transaction, others' partitions and
    malformed data (left for storage to refuse) need none."""
    broker = ctx.broker
    wanted: dict[tuple[int, int], list[tuple[str, int]]] = {}
    for topic_data in request.topic_data:
        topic = resolve_topic(broker, topic_data.name, topic_data.topic_id, by_id)
        if topic is None:
            continue
        for part in topic_data.partition_data:
            if not part.records or len(part.records) < HEADER_SIZE:
                continue
            header = read_header(part.records)
            if not header.is_transactional:
                continue
            log, _ = broker.replicas.leader_log(topic.name, part.index)
            if log is None or log.has_ongoing_transaction(header.producer_id, header.producer_epoch):
                continue
            wanted.setdefault((header.producer_id, header.producer_epoch), []).append((topic.name, part.index))
    verified = {}
    for (producer_id, producer_epoch), partitions in wanted.items():
        verified.update(await broker.transactions.verify(request.transactional_id, producer_id, producer_epoch,
                                                         partitions))
    return verified


def _transaction_error(ctx, code: ErrorCode) -> ErrorCode:
    """A verification's outcome as Kafka answers it to producers: a fenced one gets
    INVALID_PRODUCER_EPOCH, one that did not add the partition INVALID_TXN_STATE before v11, and
    one whose coordinator could not tell (elsewhere, loading, or ending the transaction)
    NOT_ENOUGH_REPLICAS, which every producer retries."""
    if code == ErrorCode.PRODUCER_FENCED:
        return ErrorCode.INVALID_PRODUCER_EPOCH
    if code == ErrorCode.TRANSACTION_ABORTABLE and ctx.version < FIRST_TRANSACTION_ABORTABLE_VERSION:
        return ErrorCode.INVALID_TXN_STATE
    if code in (ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR):
        return ErrorCode.NOT_ENOUGH_REPLICAS
    return code


def _unauthorized(ctx, request, by_id: bool) -> dict | None:
    """Kafka's answer to transactional records whose principal may not WRITE the request's
    transactional id (or that come without one): TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every
    partition, before anything else."""
    transactional_id = request.transactional_id
    if not _has_transactional_records(request):
        return None
    if transactional_id is not None and ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID,
                                                      transactional_id):
        return None
    if request.acks == 0:
        raise CloseConnection("acks=0 produce failed with error TRANSACTIONAL_ID_AUTHORIZATION_FAILED")
    return {"throttle_time_ms": 0, "responses": [
        {"name": t.name, "topic_id": t.topic_id, "partition_responses": [
            _error(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) for p in t.partition_data]}
        for t in request.topic_data]}


def _has_transactional_records(request) -> bool:
    """Whether any batch of the request is transactional (its header's attributes only). Kafka
    looks at each partition's first batch, and refuses a partition that holds more than one
    (v3+); odradek takes several, so it looks at every one: a transactional batch behind a plain
    one must not slip past the transactional id's ACL. Only asked when an authorizer is on."""
    return any(part.records and _any_transactional(part.records)
               for topic_data in request.topic_data for part in topic_data.partition_data)


def _any_transactional(records) -> bool:
    position, end = 0, len(records)
    while end - position >= HEADER_SIZE:
        if records[position + MAGIC_OFFSET] != 2:
            return False  # not a v2 batch: storage refuses the data, whatever this says
        if _INT16.unpack_from(records, position + ATTRIBUTES_OFFSET)[0] & TRANSACTIONAL_BIT:
            return True
        length = _INT32.unpack_from(records, position + LENGTH_OFFSET)[0]
        if length < HEADER_SIZE - LOG_OVERHEAD:
            return False  # malformed: storage refuses it
        position += LOG_OVERHEAD + length
    return False


def _error(index: int, code: ErrorCode, message: str | None = None) -> dict:
    return {
        "index": index,
        "error_code": code,
        "base_offset": -1,
        "log_append_time_ms": -1,
        "log_start_offset": -1,
        "error_message": message,
    }
