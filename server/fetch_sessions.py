"""Incremental fetch sessions (KIP-227): the broker remembers what a fetcher asked for last time.

A full Fetch (session epoch 0) names every partition; the broker answers all of them and, if its
cache has room, opens a session: the answer carries a session id and the fetcher's next epoch is 1.
Later requests (epochs 1, 2, ... and after ``2**31 - 1`` comes 1) name only the partitions whose
fetch position changed, plus the ones to forget; the broker reads every partition of the session
and answers only those with records, a changed high watermark or log start offset, or an error.
So a consumer of 10,000 partitions sends and receives a few bytes while nothing happens.

The cache follows Kafka's FetchSessionCache: ``max.incremental.fetch.session.cache.slots``
(default 1,000) split over 8 shards that full fetches take in turn, each shard owning an eighth
of the positive session ids. A full shard makes room only by evicting a session unused for two
minutes, or one that is worth less than the new one: a follower's (privileged) session may evict
any consumer's, and a session older than two minutes may be evicted by one with more partitions.
Errors are Kafka's: an unknown session id is FETCH_SESSION_ID_NOT_FOUND, an epoch other than the
one expected INVALID_FETCH_SESSION_EPOCH, and a session used across the topic-id change (v13)
FETCH_SESSION_TOPIC_ID_ERROR; all three answer with session id 0 and no partitions.
"""

from __future__ import annotations

import functools
import itertools
import operator
import random
from dataclasses import dataclass, field

from odradek.storage.partition_log import PartitionLog
from odradek.wire import ErrorCode

INVALID_SESSION_ID = 0
INITIAL_EPOCH = 0
FINAL_EPOCH = -1
MAX_EPOCH = 2**31 - 1
NUM_SHARDS = 8                 # Kafka's NumFetchSessionCacheShards
EVICTION_MS = 120_000          # Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS
SESSION_ID_RANGE = MAX_EPOCH // NUM_SHARDS
_CHANGES = operator.attrgetter("changes")
DEFAULT_SLOTS = 1000
FIRST_TOPIC_ID_VERSION = 13


def next_epoch(epoch: int) -> int:
    if epoch < 0:
        return FINAL_EPOCH
    return 1 if epoch == MAX_EPOCH else epoch + 1


class CachedPartition:
    """One partition of a session: the fetcher's last request for it, and what it was last told.
    Its attribute names are the request's, so the Fetch handler reads it like a request entry."""

    __slots__ = ("topic", "topic_id", "partition", "partition_max_bytes", "fetch_offset",
                 "current_leader_epoch", "last_fetched_epoch", "log_start_offset", "high_watermark",
                 "local_log_start_offset", "log", "seen_changes")

    def __init__(self, topic, topic_id, request_partition) -> None:
        self.topic = topic
        self.topic_id = topic_id
        self.partition = request_partition.partition
        self.high_watermark = -1
        self.local_log_start_offset = -1
        self.update_request(request_partition)

    def settle(self, entry: dict, log) -> None:
        """Note the log read for this answer if it left nothing to say: no error, nothing to read
        at the fetch offset. While that log's ``changes`` stay the same and the fetcher does not
        move, reading the partition again would give the same empty answer, which an incremental
        answer leaves out; ``quiet`` then lets the broker skip the read."""
        if (log is not None and entry["error_code"] == ErrorCode.NONE and not entry["records"]
                and self.fetch_offset >= entry["high_watermark"] and entry["preferred_read_replica"] < 0
                and "diverging_epoch" not in entry):
            self.log, self.seen_changes = log, log.changes
        else:
            self.log = None

    def update_request(self, fp) -> None:
        self.log = None  # asked about anew: read it
        self.partition_max_bytes = fp.partition_max_bytes
        self.fetch_offset = fp.fetch_offset
        self.current_leader_epoch = fp.current_leader_epoch
        self.last_fetched_epoch = fp.last_fetched_epoch
        self.log_start_offset = fp.log_start_offset

    def must_respond(self, entry: dict) -> bool:
        """Kafka's maybeUpdateResponseData: whether the answer for this partition goes out, noting
        what the fetcher will then know."""
        respond = False
        records = entry["records"]
        if records is not None and len(records) > 0:
            respond = True
        high_watermark = entry["high_watermark"]
        if self.high_watermark != high_watermark:
            respond = True
            self.high_watermark = high_watermark
        log_start = entry["log_start_offset"]
        if self.local_log_start_offset != log_start:
            respond = True
            self.local_log_start_offset = log_start
        if entry["preferred_read_replica"] >= 0:
            respond = True
        if entry["error_code"] != ErrorCode.NONE:
            self.high_watermark = -1  # so that the partition is answered again once the error is gone
            respond = True
        if "diverging_epoch" in entry:
            respond = True
        return respond


@dataclass(eq=False)
class FetchSession:
    id: int
    privileged: bool
    partitions: dict          # key -> CachedPartition, in Kafka's order: new and just-read ones last
    uses_topic_ids: bool
    creation_ms: int
    last_used_ms: int
    epoch: int
    cached_size: int = -1     # the size the cache last counted (Kafka's cachedSize)
    evictable_by_all: bool = False
    evictable_by_privileged: bool = False
    # when every partition is settled: ``PartitionLog.changes_anywhere`` then, their logs and the
    # ``changes`` each was settled at, so that an idle fetch finds "nothing changed" at once when no
    # log changed anywhere, else in one pass of C (map, list compare)
    quiet: tuple | None = None
    # the standing wake-up registration of its partitions (``AppendNotifier.subscribe``), made by its
    # first fetch that waits; ``keys_changed``: partitions joined, left or got their name since
    subscription: object = None
    keys_changed: bool = True
    closed: bool = False

    def watch_keys(self) -> list[tuple[str, int]]:
        return [(p.topic, p.partition) for p in self.partitions.values() if p.topic]

    def waiter(self, notifier):
        """The session's subscription's ``wait``, its keys brought up to date first (a cost only
        when they changed); None when it watches nothing."""
        if self.closed:
            return None
        if self.subscription is None:
            self.subscription = notifier.subscribe(self.watch_keys())
        elif self.keys_changed:
            self.subscription.update(self.watch_keys())
        self.keys_changed = False
        return self.subscription.wait if self.subscription.keys else None

    def close(self) -> None:
        """Left the cache: no more wake-ups for it (a wait under way returns)."""
        self.closed = True
        if self.subscription is not None:
            self.subscription.close()

    def note_quiet(self) -> None:
        logs = [p.log for p in self.partitions.values()]
        if any(log is None for log in logs):
            self.quiet = None
        else:
            self.quiet = (PartitionLog.changes_anywhere, logs, [p.seen_changes for p in self.partitions.values()])

    @property
    def evictable_key(self) -> tuple:
        return (self.privileged, self.cached_size, self.id)

    def groups(self, names_by_id, skip_quiet: bool) -> list[tuple]:
        """The session's partitions as (topic name or None, topic id, [CachedPartition]), runs of
        one topic together in session order. Names unknown when they joined are looked up again.
        With ``skip_quiet``, partitions settled on a log that has not changed since are left out."""
        if skip_quiet and self.quiet is not None:
            anywhere, logs, seen = self.quiet
            if anywhere == PartitionLog.changes_anywhere or list(map(_CHANGES, logs)) == seen:
                return []
        groups = []
        for part in self.partitions.values():
            if skip_quiet:
                log = part.log
                if log is not None and log.changes == part.seen_changes:
                    continue
            if part.topic is None and self.uses_topic_ids:
                part.topic = names_by_id(part.topic_id)
                self.keys_changed = self.keys_changed or part.topic is not None
            if groups and groups[-1][1] == part.topic_id and groups[-1][0] == part.topic:
                groups[-1][2].append(part)
            else:
                groups.append((part.topic, part.topic_id, [part]))
        return groups


class FetchSessionCacheShard:
    """Kafka's FetchSessionCacheShard: at most ``max_entries`` sessions with ids in its range."""

    def __init__(self, max_entries: int, shard_num: int, eviction_ms: int = EVICTION_MS) -> None:
        self.max_entries = max_entries
        self.shard_num = shard_num
        self.eviction_ms = eviction_ms
        self.sessions: dict[int, FetchSession] = {}
        self.evictions = 0
        self.created = 0

    def new_session_id(self) -> int:
        low = max(1, self.shard_num * SESSION_ID_RANGE)
        high = (self.shard_num + 1) * SESSION_ID_RANGE
        while True:
            session_id = random.randrange(low, high)
            if session_id not in self.sessions and session_id != INVALID_SESSION_ID:
                return session_id

    def maybe_create(self, now: int, privileged: bool, size: int, uses_topic_ids: bool, partitions: dict) -> int:
        if len(self.sessions) < self.max_entries or self._try_evict(privileged, (privileged, size, 0), now):
            session = FetchSession(self.new_session_id(), privileged, partitions, uses_topic_ids, now, now,
                                   next_epoch(INITIAL_EPOCH))
            self.sessions[session.id] = session
            self.created += 1
            self.touch(session, now)
            return session.id
        return INVALID_SESSION_ID

    def _try_evict(self, privileged: bool, key: tuple, now: int) -> bool:
        """A stale session (unused for ``eviction_ms``) goes first; else the least valuable one the
        new session may evict, if it is worth no more than the new one."""
        if not self.sessions:
            return False
        stalest = min(self.sessions.values(), key=lambda s: (s.last_used_ms, s.id))
        if now - stalest.last_used_ms > self.eviction_ms:
            self.remove(stalest.id)
            self.evictions += 1
            return True
        candidates = [s for s in self.sessions.values()
                      if (s.evictable_by_privileged if privileged else s.evictable_by_all)]
        if not candidates:
            return False
        cheapest = min(candidates, key=lambda s: s.evictable_key)
        if key < cheapest.evictable_key:
            return False
        self.remove(cheapest.id)
        self.evictions += 1
        return True

    def remove(self, session_id: int) -> FetchSession | None:
        session = self.sessions.pop(session_id, None)
        if session is not None:
            session.close()
        return session

    def touch(self, session: FetchSession, now: int) -> None:
        """Note a use: its last-used time, its size, and which sessions may evict it."""
        session.last_used_ms = now
        session.cached_size = len(session.partitions)
        old = now - session.creation_ms > self.eviction_ms
        session.evictable_by_privileged = not session.privileged or old
        session.evictable_by_all = old


@dataclass
class FetchContext:
    """What one Fetch request reads and how its answer is shaped.

    ``groups`` are (topic name or None, topic id, [partition entries]) in reading order; the
    entries have the request's attribute names. ``error`` is set for a session error (answer
    with it alone)."""
    kind: str                                 # "sessionless", "full", "incremental", "error"
    groups: list = field(default_factory=list)
    error: int = ErrorCode.NONE
    session: FetchSession | None = None
    request_epoch: int = 0
    names_by_id: object = None
    skip_quiet: bool = False

    def reread(self) -> list:
        """The groups to read again after waiting for appends: an incremental fetch's partitions
        that were quiet may have changed meanwhile."""
        if self.kind == "incremental":
            self.groups = self.session.groups(self.names_by_id, self.skip_quiet)
        return self.groups

    def watch_keys(self) -> list[tuple[str, int]]:
        """The (topic, partition) whose appends should wake this fetch: every partition it reads,
        for an incremental fetch all of its session's."""
        if self.kind == "incremental":
            return self.session.watch_keys()
        return [(name, p.partition) for name, _, parts in self.groups if name for p in parts]

    def waiter(self, notifier):
        """An async callable returning once an append to a partition this fetch reads is
        notified, or None if it reads none. An incremental fetch waits on its session's standing
        subscription (one event per wait); others register their partitions for the wait."""
        if self.kind == "incremental":
            return self.session.waiter(notifier)
        keys = self.watch_keys()
        return functools.partial(notifier.wait_any, keys) if keys else None


class FetchSessionCache:
    """Kafka's FetchManager with its sharded FetchSessionCache."""

    def __init__(self, slots: int = DEFAULT_SLOTS, eviction_ms: int = EVICTION_MS) -> None:
        self.shards = [FetchSessionCacheShard(slots // NUM_SHARDS, n, eviction_ms) for n in range(NUM_SHARDS)]
        self._turn = itertools.count()

    def __len__(self) -> int:
        return sum(len(shard.sessions) for shard in self.shards)

    @property
    def evictions(self) -> int:
        return sum(shard.evictions for shard in self.shards)

    @property
    def created(self) -> int:
        return sum(shard.created for shard in self.shards)

    @property
    def total_partitions(self) -> int:
        return sum(s.cached_size for shard in self.shards for s in shard.sessions.values())

    def _shard_of(self, session_id: int) -> FetchSessionCacheShard | None:
        index = session_id // SESSION_ID_RANGE
        return self.shards[index] if 0 <= index < NUM_SHARDS else None

    def new_context(self, version: int, session_id: int, epoch: int, is_follower: bool, groups: list,
                    forgotten: list, names_by_id, now: int, skip_quiet: bool = False) -> FetchContext:
        """Kafka's FetchManager.newContext. ``groups`` are the request's topics as (name or None,
        topic id, [request partitions]); ``forgotten`` the (name or None, topic id, partition)
        the request drops from its session. ``skip_quiet``: an incremental fetch need not read the
        partitions whose logs did not change since they were settled (see ``CachedPartition.settle``),
        which holds where nothing but the log decides an answer (one broker, no authorizer)."""
        uses_ids = version >= FIRST_TOPIC_ID_VERSION
        if epoch in (INITIAL_EPOCH, FINAL_EPOCH):  # a full fetch: any session it names is closed
            if session_id != INVALID_SESSION_ID:
                shard = self._shard_of(session_id)
                if shard is not None:
                    shard.remove(session_id)
            kind = "sessionless" if epoch == FINAL_EPOCH else "full"
            return FetchContext(kind, groups, request_epoch=epoch, skip_quiet=skip_quiet)
        shard = self._shard_of(session_id)
        session = shard.sessions.get(session_id) if shard is not None else None
        if session is None:
            return FetchContext("error", error=ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
        if session.epoch != epoch:
            return FetchContext("error", error=ErrorCode.INVALID_FETCH_SESSION_EPOCH)
        if session.uses_topic_ids != uses_ids:
            return FetchContext("error", error=ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)
        partitions = session.partitions
        if forgotten or any(parts for _, _, parts in groups):
            session.quiet = None
        for name, topic_id, parts in groups:
            topic_key = topic_id if uses_ids else name
            for fp in parts:
                cached = partitions.get((topic_key, fp.partition))
                if cached is None:
                    partitions[(topic_key, fp.partition)] = CachedPartition(name, topic_id, fp)
                    session.keys_changed = True
                else:
                    cached.update_request(fp)
        for name, topic_id, index in forgotten:
            if partitions.pop((topic_id if uses_ids else name, index), None) is not None:
                session.keys_changed = True
        if not partitions:  # nothing left: the session is closed and this fetch answered without one
            shard.remove(session.id)
            return FetchContext("sessionless", groups)
        shard.touch(session, now)
        session.epoch = next_epoch(session.epoch)
        return FetchContext("incremental", session.groups(names_by_id, skip_quiet), session=session,
                            request_epoch=epoch, names_by_id=names_by_id, skip_quiet=skip_quiet)

    def respond(self, context: FetchContext, is_follower: bool, uses_ids: bool, answered: list,
                now: int) -> tuple[int, int, list]:
        """(error code, session id, topics) for the answer. ``answered`` is [(topic name, topic id,
        partition entries read, answer entries)] in reading order; an incremental answer keeps only
        the partitions Kafka would send, and a full one opens a session if the cache has room."""
        if context.kind == "incremental":
            return self._incremental_answer(context, uses_ids, answered)
        topics = [_topic(name, topic_id, entries) for name, topic_id, _, entries, _ in answered]
        if context.kind != "full":
            return ErrorCode.NONE, INVALID_SESSION_ID, topics
        cached = {}
        for name, topic_id, parts, entries, logs in answered:
            topic_key = topic_id if uses_ids else name
            for fp, entry, log in zip(parts, entries, logs):
                part = CachedPartition(name, topic_id, fp)
                part.high_watermark = entry["high_watermark"]
                part.local_log_start_offset = entry["log_start_offset"]
                part.settle(entry, log)
                cached[(topic_key, fp.partition)] = part
        shard = self.shards[next(self._turn) % NUM_SHARDS]
        session_id = shard.maybe_create(now, is_follower, len(cached), uses_ids, cached)
        if session_id != INVALID_SESSION_ID and context.skip_quiet:
            shard.sessions[session_id].note_quiet()
        return ErrorCode.NONE, session_id, topics

    @staticmethod
    def _incremental_answer(context: FetchContext, uses_ids: bool, answered: list) -> tuple[int, int, list]:
        session = context.session
        if session.epoch != next_epoch(context.request_epoch):  # a duplicate request got in between
            return ErrorCode.INVALID_FETCH_SESSION_EPOCH, session.id, []
        partitions = session.partitions
        topics = []
        for name, topic_id, parts, entries, logs in answered:
            kept = []
            for cached, entry, log in zip(parts, entries, logs):
                cached.settle(entry, log)
                if cached.must_respond(entry):
                    kept.append(entry)
                    records = entry["records"]
                    if records is not None and len(records) > 0:  # to the back: the others go first next time
                        key = (cached.topic_id if uses_ids else cached.topic, cached.partition)
                        partitions[key] = partitions.pop(key)
            if kept:
                topics.append(_topic(name, topic_id, kept))
        if context.skip_quiet and (answered or session.quiet is None):
            session.note_quiet()
        return ErrorCode.NONE, session.id, topics


def _topic(name, topic_id, entries: list) -> dict:
    return {"topic": name or "", "topic_id": topic_id, "partitions": entries}
