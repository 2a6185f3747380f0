"""ShareFetch (KIP-932): a share group member acquires records, and acknowledges others on the way.

The request opens (epoch 0), continues or closes (epoch -1) the member's share session (see
``share.share_fetch_context``); a session error is answered for the whole request. Piggy-backed
acknowledgements are applied (and written) first, then records are fetched from every partition
of the session, long-polling as Fetch does (``max_wait_ms``, ``min_bytes``), and acquired, at
most ``MaxRecords`` of them in ranges of about ``BatchSize``, exactly MaxRecords with
ShareAcquireMode record_limit (v2). A v2 request that only renews locks (``IsRenewAck``) fetches
nothing and must say so with zero limits. Closing the session releases what the member still
holds once the answer is made.

A subsequent request is answered only with the partitions that have records, an error, an
acknowledgement result, or are new to the session. Every answer carries the group's lock duration
(AcquisitionLockTimeoutMs); a partition led elsewhere is NOT_LEADER_OR_FOLLOWER with its current
leader, whose address is in NodeEndpoints.

Kafka answers a topic id it does not know with UNKNOWN_SERVER_ERROR for the whole request (the
unknown topic's missing name fails it deep inside); this broker answers UNKNOWN_TOPIC_ID for the
partitions of that topic, which is what Kafka's share fetch context means to do.
"""

from __future__ import annotations

import logging

import trio

from odradek.storage.log_slice import LogSlice
from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType
from ..share.acknowledgement_request import parse_acknowledgements
from ..share.share_error import ShareError
from ..share.share_partition_manager import FetchParams, FetchTarget, PartitionFetch
from .share_answers import leader_of, node_endpoints, refuse_unreadable, valid_member_id

log = logging.getLogger("odradek.share")

API_KEY = ApiKey.SHARE_FETCH
RENEW_VERSION = 2
SENDFILE_MIN_BYTES = 16 * 1024
RECORD_LIMIT_MODE = 1


async def handle(ctx, request) -> dict:
    if not ctx.broker.features.share_groups_enabled:  # share.version 0
        return _error(ErrorCode.UNSUPPORTED_VERSION)
    shares = ctx.broker.shares
    group_id, member_id = request.group_id, request.member_id
    if group_id is None:
        return _error(ErrorCode.INVALID_REQUEST)
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, group_id):
        return _error(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    if not valid_member_id(member_id):
        return _error(ErrorCode.INVALID_REQUEST)
    renew = ctx.version >= RENEW_VERSION and request.is_renew_ack
    if renew:
        message = _renew_limits_error(request)
        if message:
            log.info("ShareFetch from %s refused: %s", ctx.peer, message)
            return _error(ErrorCode.INVALID_REQUEST)
    acknowledges = any(p.acknowledgement_batches for t in request.topics for p in t.partitions)
    fetch = [(t.topic_id, p.partition_index) for t in request.topics for p in t.partitions]
    forget = [(t.topic_id, index) for t in request.forgotten_topics_data for index in t.partitions]
    try:
        context = shares.new_fetch_context(group_id, member_id, request.share_session_epoch, fetch, forget,
                                           acknowledges, ctx.connection_id)
    except ShareError as exc:
        if exc.code == ErrorCode.SHARE_SESSION_LIMIT_REACHED:  # as Kafka: after the request's wait
            await trio.sleep(max(request.max_wait_ms, 0) / 1000)
        return _error(exc.code)

    acknowledged = {}
    if acknowledges:
        to_apply, acknowledged = parse_acknowledgements(ctx.broker, request.topics, ctx.version >= RENEW_VERSION,
                                                        renew)
        refuse_unreadable(ctx, to_apply, acknowledged)
        acknowledged.update(await shares.acknowledge(group_id, member_id, to_apply))
    fetched = {}
    if not renew:
        fetched = await _fetch(ctx, shares, group_id, member_id, _rotated(context.partitions, context.epoch), request)
    if context.is_final:
        await shares.close_session(group_id, member_id)
    return _response(ctx, shares.lock_duration_ms(group_id), context, fetched, acknowledged)


async def _fetch(ctx, shares, group_id: str, member_id: str, partitions, request) -> dict:
    metadata = ctx.broker.metadata
    answers: dict = {}
    targets = []
    readable = None  # with an authorizer: the topics the principal may READ, as Kafka checks each
    if ctx.broker.authorizer is not None:
        readable = ctx.authorized_names(AclOperation.READ, ResourceType.TOPIC, {
            info.name for topic_id, _ in partitions if (info := metadata.topic_by_id(topic_id)) is not None})
    for topic_id, index in partitions:
        info = metadata.topic_by_id(topic_id)
        if info is None:
            answers[(topic_id, index)] = PartitionFetch(ErrorCode.UNKNOWN_TOPIC_ID)
        elif readable is not None and info.name not in readable:
            answers[(topic_id, index)] = PartitionFetch(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        elif not 0 <= index < info.num_partitions:
            answers[(topic_id, index)] = PartitionFetch(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        else:
            targets.append(FetchTarget(topic_id, index, info.name))
    params = FetchParams(
        max_wait_ms=request.max_wait_ms, min_bytes=request.min_bytes,
        max_bytes=min(request.max_bytes, ctx.broker.config.get_int("fetch.max.bytes", 57_671_680)),
        max_records=request.max_records, batch_size=request.batch_size,
        record_limit=ctx.version >= RENEW_VERSION and request.share_acquire_mode == RECORD_LIMIT_MODE)
    answers.update(await shares.fetch(group_id, member_id, targets, params))
    return answers


def _rotated(partitions: tuple, epoch: int) -> tuple:
    """Kafka's round robin: a session's fetches start at a different partition each time, so
    that MaxRecords does not always go to the same first ones."""
    if len(partitions) < 2 or epoch < 1:
        return partitions
    at = epoch % len(partitions)
    return partitions[at:] + partitions[:at]


def _response(ctx, lock_duration_ms: int, context, fetched: dict, acknowledged: dict) -> dict:
    topics: dict = {}
    leaders = set()
    for topic_id_partition, fetch in fetched.items():
        if not context.must_answer(topic_id_partition, fetch.has_records, fetch.error_code != ErrorCode.NONE):
            continue
        topics.setdefault(topic_id_partition[0], {})[topic_id_partition[1]] = _partition(ctx, topic_id_partition,
                                                                                          fetch, leaders)
    for (topic_id, index), (code, message) in acknowledged.items():
        entry = topics.setdefault(topic_id, {}).get(index)
        if entry is None:
            entry = topics[topic_id][index] = _partition(ctx, (topic_id, index), PartitionFetch(), leaders)
        entry["acknowledge_error_code"] = code
        entry["acknowledge_error_message"] = message
    return {
        "throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None,
        "acquisition_lock_timeout_ms": lock_duration_ms,
        "responses": [{"topic_id": topic_id, "partitions": list(partitions.values())}
                      for topic_id, partitions in topics.items()],
        "node_endpoints": node_endpoints(ctx, leaders),
    }


def _partition(ctx, topic_id_partition, fetch: PartitionFetch, leaders: set) -> dict:
    records = fetch.records
    if len(records):  # bytes out per topic, as Fetch counts them
        info = ctx.broker.metadata.topic_by_id(topic_id_partition[0])
        if info is not None:
            ctx.broker.stats.topics.sent(info.name, len(records))
    if isinstance(records, LogSlice) and records.size < SENDFILE_MIN_BYTES:
        records = records.read()  # one send beats a sendfile for small answers, as in Fetch
    return {
        "partition_index": topic_id_partition[1],
        "error_code": fetch.error_code,
        "error_message": None,
        "acknowledge_error_code": ErrorCode.NONE,
        "acknowledge_error_message": None,
        "current_leader": leader_of(ctx, topic_id_partition[0], topic_id_partition[1], fetch.error_code, leaders),
        "records": records,
        "acquired_records": [acquired.as_wire() for acquired in fetch.acquired],
    }


def _renew_limits_error(request) -> str:
    """KIP-1222: a renewing request fetches nothing, and must say so."""
    message = "".join(f"{name} must be set to 0, " for name, value in (
        ("maxBytes", request.max_bytes), ("minBytes", request.min_bytes), ("maxRecords", request.max_records),
        ("maxWaitMs", request.max_wait_ms)) if value != 0)
    return message + "if isRenewAck is true." if message else ""


def _error(code: ErrorCode) -> dict:
    """A whole request refused; Kafka's answer carries no message (nor a lock duration)."""
    return {"throttle_time_ms": 0, "error_code": code, "error_message": None,
            "acquisition_lock_timeout_ms": 0, "responses": [], "node_endpoints": []}
