"""Fetch: whole record batches from each partition, long-polling until ``min_bytes`` arrive.

The handler first plans which byte ranges of which segment files to send (cheap, in the event
loop) and waits for appends if there is not enough yet. Large ranges are not read at all: they go
into the response as log slices that the connection sends with sendfile. Which partitions a request
reads, and which of them its answer carries, is the fetch session's business (KIP-227, see
``server/fetch_sessions.py``): a full fetch reads what it names, an incremental one every partition
of its session, answering only those with something new.

Consumers read from the partition's leader, up to its high watermark: what every in-sync replica
has. A follower broker's fetch (``replica_id`` set, cluster mode) reads up to the log end
instead, tells the leader how far the follower got (``broker.replicas.follower_fetch``), and is
answered with the ``diverging_epoch`` where the follower's log departs from the leader's.

A read_committed consumer (isolation level 1) reads only up to the last stable offset, and gets
the aborted transactions among the batches it reads so that it can skip their records.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field

import trio

from odradek.storage.errors import KafkaStorageError, OffsetOutOfRangeError
from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType
from .topic_lookup import NO_TOPIC_ID, resolve_topic

API_KEY = ApiKey.FETCH
FIRST_TOPIC_ID_VERSION = 13
FIRST_REPLICA_STATE_VERSION = 15
SENDFILE_MIN_BYTES = 16 * 1024
NO_ERROR = ErrorCode.NONE
_REQUEST_FIELDS = operator.itemgetter("partition", "fetch_offset", "current_leader_epoch", "partition_max_bytes")
_SESSION_FIELDS = operator.attrgetter("partition", "fetch_offset", "current_leader_epoch", "partition_max_bytes")


@dataclass
class _Plan:
    topics: list = field(default_factory=list)  # (name, topic id, partitions read, answer entries, logs)
    slices: list = field(default_factory=list)  # (topic, partition entry, LogSlice)
    total_bytes: int = 0
    has_error: bool = False


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    by_id = ctx.version >= FIRST_TOPIC_ID_VERSION
    replica = _replica_id(ctx, request)
    sessions = broker.fetch_sessions
    context = sessions.new_context(ctx.version, request.session_id, request.session_epoch, replica >= 0,
                                   _request_groups(broker, request, by_id), _forgotten(broker, request, by_id),
                                   functools.partial(_name_of, broker), _now_ms(),
                                   skip_quiet=broker.cluster is None and broker.authorizer is None)
    if context.error:
        return {"throttle_time_ms": 0, "error_code": context.error, "session_id": 0, "responses": []}
    groups = context.groups
    deadline = trio.current_time() + max(request.max_wait_ms, 0) / 1000
    readable = _readable_topics(ctx, groups, replica) if broker.authorizer is not None else None
    plan = _plan(broker, request, groups, by_id, replica, readable)
    if plan.total_bytes < request.min_bytes and not plan.has_error:
        wait = context.waiter(broker.appends)  # (no checkpoint since the plan: no append missed)
        with trio.move_on_at(deadline):
            while plan.total_bytes < request.min_bytes and wait is not None:
                await wait()
                plan = _plan(broker, request, context.reread(), by_id, replica, readable)
                wait = context.waiter(broker.appends)
    _attach_records(plan)
    if replica < 0:  # a follower's fetch is replication, not counted as bytes out
        broker.stats.topics.fetched(plan.slices)
    error, session_id, topics = sessions.respond(context, replica >= 0, by_id, plan.topics, _now_ms())
    return {"throttle_time_ms": 0, "error_code": error, "session_id": session_id, "responses": topics}


def _now_ms() -> int:
    return int(trio.current_time() * 1000)


def _name_of(broker, topic_id) -> str | None:
    info = resolve_topic(broker, None, topic_id, True)
    return info.name if info is not None else None


def _request_groups(broker, request, by_id: bool) -> list[tuple]:
    """The request's topics as (name, topic id, partitions): by id (v13+) the name is the topic's
    (None if no topic has that id); before, the name asked for and the zero id."""
    if not by_id:
        return [(t.topic, NO_TOPIC_ID, t.partitions) for t in request.topics]
    return [(_name_of(broker, t.topic_id), t.topic_id, t.partitions) for t in request.topics]


def _forgotten(broker, request, by_id: bool) -> list[tuple]:
    topics = request.get("forgotten_topics_data") or ()
    if by_id:
        return [(None, t.topic_id, index) for t in topics for index in t.partitions]
    return [(t.topic, NO_TOPIC_ID, index) for t in topics for index in t.partitions]


def _replica_id(ctx, request) -> int:
    """The fetching broker's id for a follower's fetch (v15+ carry it in ``replica_state``), else -1."""
    if ctx.version >= FIRST_REPLICA_STATE_VERSION:
        state = request.replica_state
        return state.replica_id if state is not None else -1
    return request.replica_id


def _readable_topics(ctx, groups, replica: int) -> set[str] | None:
    """The topics the request may read, as Kafka decides: a follower needs CLUSTER_ACTION on the
    cluster (for all of them), a consumer READ on each topic; None: all."""
    if replica >= 0:
        return None if ctx.authorize_cluster(AclOperation.CLUSTER_ACTION) else set()
    names = {name for name, _, _ in groups if name is not None}
    return ctx.authorized_names(AclOperation.READ, ResourceType.TOPIC, names)


def _plan(broker, request, groups, by_id: bool, replica: int = -1, readable: set[str] | None = None) -> _Plan:
    plan = _Plan()
    budget = request.max_bytes
    read_committed = request.isolation_level == 1
    replicas = broker.replicas
    rack = request.get("rack_id") or ""
    for name, topic_id, fetch_partitions in groups:
        info = broker.metadata.topic(name) if name else None
        partitions = []
        logs = []  # the log each answer entry was read from (None: an error), for the session
        if not fetch_partitions:
            plan.topics.append((name, topic_id, fetch_partitions, partitions, logs))
            continue
        # a request's partitions are Containers, a session's CachedPartitions: one C call reads either
        fields = _REQUEST_FIELDS if isinstance(fetch_partitions[0], dict) else _SESSION_FIELDS
        for fp in fetch_partitions:
            index, fetch_offset, leader_epoch, partition_max_bytes = fields(fp)
            diverging, preferred = None, -1
            if info is None:
                log, code = None, ErrorCode.UNKNOWN_TOPIC_ID if by_id else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            elif readable is not None and info.name not in readable:
                log, code = None, ErrorCode.TOPIC_AUTHORIZATION_FAILED
            elif replica >= 0:
                code, log, diverging, behind = replicas.follower_fetch(
                    replica, info.name, index, fetch_offset, fp.last_fetched_epoch, leader_epoch)
                if behind:
                    plan.has_error = True  # the follower must learn the new high watermark now
            else:
                log, code, preferred = replicas.consumer_log(info.name, index, leader_epoch, rack)
            if log is None or code:
                partitions.append(_partition_error(index, code))
                logs.append(None)
                plan.has_error = True
                continue
            high_watermark, stable, log_start, log_end = log.fetch_offsets()
            entry = {
                "partition_index": index,
                "error_code": NO_ERROR,
                "high_watermark": high_watermark,
                "last_stable_offset": stable,
                "log_start_offset": log_start,
                "aborted_transactions": None,
                "preferred_read_replica": -1,
                "records": b"",
            }
            partitions.append(entry)
            logs.append(log)
            if diverging is not None:
                entry["diverging_epoch"] = {"epoch": diverging[0], "end_offset": diverging[1]}
                plan.has_error = True  # answer at once: the follower must truncate first
                continue
            if preferred >= 0:
                entry["preferred_read_replica"] = preferred  # KIP-392: no records, read there instead
                plan.has_error = True
                continue
            if fetch_offset == log_end:  # at the end: nothing to read, no slice to plan
                if read_committed:
                    entry["aborted_transactions"] = []
                continue
            limit = min(partition_max_bytes, budget)
            if limit <= 0 and plan.total_bytes > 0:
                continue
            try:
                log_slice = log.read(fetch_offset, max(limit, 0), min_one_batch=plan.total_bytes == 0,
                                     max_offset=_read_bound(log, stable, read_committed, replica))
                if read_committed:
                    entry["aborted_transactions"] = [
                        {"producer_id": producer_id, "first_offset": first_offset}
                        for producer_id, first_offset in log.aborted_transactions(fetch_offset, stable)
                    ]
            except OffsetOutOfRangeError:
                entry["error_code"] = ErrorCode.OFFSET_OUT_OF_RANGE
                plan.has_error = True
                continue
            except KafkaStorageError:  # its log directory failed just now
                partitions[-1] = _partition_error(index, ErrorCode.KAFKA_STORAGE_ERROR)
                plan.has_error = True
                continue
            if log_slice.size:
                plan.slices.append((info.name, entry, log_slice))
                plan.total_bytes += log_slice.size
                budget -= log_slice.size
        plan.topics.append((name, topic_id, fetch_partitions, partitions, logs))
    return plan


def _read_bound(log, stable: int, read_committed: bool, replica: int) -> int | None:
    """How far this fetch may read: the LSO for read_committed, the high watermark for other
    consumers (None when that is the log end, as on a single broker), the log end for followers."""
    if replica >= 0:
        return None
    if read_committed:
        return stable
    high_watermark = log.high_watermark
    return None if high_watermark >= log.log_end_offset else high_watermark


def _partition_error(index: int, code: ErrorCode) -> dict:
    return {
        "partition_index": index,
        "error_code": code,
        "high_watermark": -1,
        "last_stable_offset": -1,
        "log_start_offset": -1,
        "aborted_transactions": None,
        "preferred_read_replica": -1,
        "records": b"",
    }


def _attach_records(plan: _Plan) -> None:
    """Small slices are copied now (one send beats a sendfile per partition); large ones stay
    slices, which the response writer sends straight from the file with sendfile."""
    for _, entry, log_slice in plan.slices:
        entry["records"] = log_slice.read() if log_slice.size < SENDFILE_MIN_BYTES else log_slice
