"""Share sessions (KIP-932) as Kafka's SharePartitionManager keeps them: epochs, the cache's limit,
subsequent answers that carry only news, and sessions ended by their connection."""

import uuid

import pytest

from odradek.server.share.share_error import ShareError
from odradek.server.share.share_fetch_context import acknowledge_session_update, new_fetch_context
from odradek.server.share.share_session import MAX_EPOCH, ShareSessionKey, next_epoch
from odradek.server.share.share_session_cache import ShareSessionCache
from odradek.wire import ErrorCode

T = uuid.UUID(int=1)
A, B = ShareSessionKey("g", "a"), ShareSessionKey("g", "b")


def refused(call, *args) -> ErrorCode:
    with pytest.raises(ShareError) as caught:
        call(*args)
    return caught.value.code


def test_epochs_open_continue_and_close():
    cache = ShareSessionCache(10)
    opened = new_fetch_context(cache, A, 0, [(T, 0)], [], False, "c1")
    assert opened.partitions == ((T, 0),) and opened.session is None
    assert cache.get(A).epoch == 1
    assert refused(new_fetch_context, cache, A, 2, [], [], False, "c1") == ErrorCode.INVALID_SHARE_SESSION_EPOCH
    following = new_fetch_context(cache, A, 1, [(T, 1)], [(T, 0)], True, "c1")
    assert following.partitions == ((T, 1),)
    assert cache.get(A).epoch == 2
    acknowledge_session_update(cache, A, 2)
    assert cache.get(A).epoch == 3
    assert new_fetch_context(cache, A, -1, [], [], True, "c1").partitions == ()
    assert refused(new_fetch_context, cache, B, 4, [], [], False, "c2") == ErrorCode.SHARE_SESSION_NOT_FOUND
    assert refused(new_fetch_context, cache, B, -1, [], [], False, "c2") == ErrorCode.SHARE_SESSION_NOT_FOUND


def test_the_initial_epoch_carries_no_acknowledgements_and_acknowledge_cannot_open():
    cache = ShareSessionCache(10)
    assert refused(new_fetch_context, cache, A, 0, [(T, 0)], [], True, "c1") == ErrorCode.INVALID_REQUEST
    assert refused(acknowledge_session_update, cache, A, 0) == ErrorCode.INVALID_SHARE_SESSION_EPOCH
    assert refused(acknowledge_session_update, cache, A, 1) == ErrorCode.SHARE_SESSION_NOT_FOUND


def test_the_cache_is_bounded():
    cache = ShareSessionCache(1)
    new_fetch_context(cache, A, 0, [(T, 0)], [], False, "c1")
    assert refused(new_fetch_context, cache, B, 0, [(T, 0)], [], False, "c2") == ErrorCode.SHARE_SESSION_LIMIT_REACHED
    new_fetch_context(cache, A, 0, [(T, 0)], [], False, "c1")  # replacing one's own session is fine


def test_a_subsequent_answer_carries_only_news():
    cache = ShareSessionCache(10)
    new_fetch_context(cache, A, 0, [(T, 0)], [], False, "c1")
    context = new_fetch_context(cache, A, 1, [(T, 1)], [], False, "c1")
    assert context.must_answer((T, 1), False, False)  # new to the session
    assert not context.must_answer((T, 0), False, False)
    assert context.must_answer((T, 0), True, False)
    assert context.must_answer((T, 0), False, True)
    context = new_fetch_context(cache, A, 2, [], [], False, "c1")
    assert not context.must_answer((T, 1), False, False)
    assert context.must_answer((T, 0), False, False)  # once more after its error cleared


def test_a_session_ends_with_its_connection_unless_it_was_replaced():
    cache = ShareSessionCache(10)
    new_fetch_context(cache, A, 0, [(T, 0)], [], False, "c1")
    new_fetch_context(cache, A, 0, [(T, 0)], [], False, "c2")  # the member reconnected
    assert cache.connection_closed("c1") is None
    assert cache.get(A) is not None
    assert cache.connection_closed("c2").key == A
    assert cache.get(A) is None and not cache.has_group("g")


def test_epochs_wrap_to_one():
    assert next_epoch(MAX_EPOCH) == 1
    assert next_epoch(-1) == -1
