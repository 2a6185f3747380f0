"""What one ShareFetch or ShareAcknowledge does to its member's share session (Kafka's
``SharePartitionManager.newContext`` and ``acknowledgeSessionUpdate``).

ShareFetch at epoch 0 replaces any session of the member with a new one (and may carry no
acknowledgements: it has fetched nothing yet); at -1 it only acknowledges, then the session closes;
at any other epoch it must be the session's next one, adds and forgets partitions, and fetches
from every partition of the session. ShareAcknowledge may not open a session (epoch 0), and moves
the epoch on like a fetch. Errors are answered for the whole request: SHARE_SESSION_NOT_FOUND,
INVALID_SHARE_SESSION_EPOCH, SHARE_SESSION_LIMIT_REACHED, INVALID_REQUEST.
"""

from __future__ import annotations

from dataclasses import dataclass

from odradek.wire import ErrorCode

from .share_error import ShareError
from .share_session import FINAL_EPOCH, INITIAL_EPOCH, ShareSession, ShareSessionKey, TopicIdPartition, next_epoch
from .share_session_cache import ShareSessionCache


@dataclass(frozen=True)
class ShareFetchContext:
    epoch: int
    partitions: tuple[TopicIdPartition, ...]  # what to fetch from
    session: ShareSession | None = None  # a subsequent request's session: its answers are filtered

    @property
    def is_final(self) -> bool:
        return self.epoch == FINAL_EPOCH

    def must_answer(self, partition: TopicIdPartition, has_records: bool, has_error: bool) -> bool:
        if self.session is None:
            return True
        return self.session.must_answer(partition, has_records, has_error)


def new_fetch_context(cache: ShareSessionCache, key: ShareSessionKey, epoch: int, fetch: list[TopicIdPartition],
                      forget: list[TopicIdPartition], acknowledges: bool, connection_id: str) -> ShareFetchContext:
    if epoch == FINAL_EPOCH:
        if cache.get(key) is None:
            raise ShareError(ErrorCode.SHARE_SESSION_NOT_FOUND)
        return ShareFetchContext(epoch, ())
    if epoch == INITIAL_EPOCH:
        if acknowledges:
            raise ShareError(ErrorCode.INVALID_REQUEST, "Acknowledge data present in the initial fetch request.")
        cache.remove(key)
        if cache.create(key, fetch, connection_id) is None:
            raise ShareError(ErrorCode.SHARE_SESSION_LIMIT_REACHED)
        return ShareFetchContext(epoch, tuple(fetch))
    session = cache.get(key)
    if session is None:
        raise ShareError(ErrorCode.SHARE_SESSION_NOT_FOUND)
    if session.epoch != epoch:
        raise ShareError(ErrorCode.INVALID_SHARE_SESSION_EPOCH)
    session.update(fetch, forget)
    session.epoch = next_epoch(session.epoch)
    return ShareFetchContext(epoch, tuple(session.partitions), session)


def acknowledge_session_update(cache: ShareSessionCache, key: ShareSessionKey, epoch: int) -> None:
    if epoch == INITIAL_EPOCH:
        raise ShareError(ErrorCode.INVALID_SHARE_SESSION_EPOCH)
    session = cache.get(key)
    if session is None:
        raise ShareError(ErrorCode.SHARE_SESSION_NOT_FOUND)
    if epoch == FINAL_EPOCH:
        return
    if session.epoch != epoch:
        raise ShareError(ErrorCode.INVALID_SHARE_SESSION_EPOCH)
    session.epoch = next_epoch(session.epoch)
