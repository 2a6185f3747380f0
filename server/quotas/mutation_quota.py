"""The controller mutation quota (KIP-599): partitions created or deleted per second.

CreateTopics, CreatePartitions and DeleteTopics take one token per partition they create or
delete from the client's bucket (``rate.TokenBucket``), after the topic has passed every other
check and before it is created or deleted (validate-only CreateTopics too, as Kafka's controller
counts them). Which answer a client over its quota gets depends on the request's version, as in
Kafka's ControllerMutationQuotaManager:

* strict (CreateTopics v6+, CreatePartitions v3+, DeleteTopics v5+, the versions that know the
  error): a topic asked for while the bucket is below zero is refused with
  THROTTLING_QUOTA_EXCEEDED; one asked for while it is not is allowed, however many partitions it
  has (the bucket may go below zero);
* permissive (older versions): every mutation is made, and counted.

The bucket's window is Kafka's ``controller.quota.window.num`` (11) samples of
``controller.quota.window.size.seconds`` (1), not the other quotas' ``quota.window.*``.
Either way the answer's ``throttle_time_ms`` is the time until the bucket is back at zero (less
the time the request took since), and the connection is muted that long (KIP-219).
"""

from __future__ import annotations

import trio

from odradek.wire import ErrorCode

from .rate import TokenBucket

#: the first version of each API at which the quota is strict
STRICT_SINCE = {"create_topics": 6, "create_partitions": 3, "delete_topics": 5}
DEFAULT_WINDOW_NUM = 11  # controller.quota.window.num
DEFAULT_WINDOW_SECONDS = 1  # controller.quota.window.size.seconds
THROTTLED_MESSAGE = "The throttling quota has been exceeded."  # Kafka's Errors.THROTTLING_QUOTA_EXCEEDED


class QuotaExceeded(Exception):
    """A strict quota refused a mutation: the topic is answered THROTTLING_QUOTA_EXCEEDED, with
    no message (Kafka's ApiError leaves out a message that is the error's own)."""

    code = ErrorCode.THROTTLING_QUOTA_EXCEEDED
    message = None


class MutationQuota:
    """One request's view of its client's bucket."""

    __slots__ = ("_bucket", "_bound", "_strict", "_throttle_ms", "_recorded_at")

    def __init__(self, bucket: TokenBucket, bound: float, strict: bool):
        self._bucket = bucket
        self._bound = bound
        self._strict = strict
        self._throttle_ms = 0
        self._recorded_at = 0.0

    def record(self, partitions: int) -> None:
        """Take ``partitions`` tokens; QuotaExceeded (strict) if the bucket is already below zero."""
        now = _now_ms()
        if self._strict:
            tokens = self._bucket.measure(self._bound, now)
            if tokens < 0:
                self._throttled(tokens, now)
                raise QuotaExceeded(THROTTLED_MESSAGE)
            self._bucket.record(partitions, self._bound, now)
            return
        self._bucket.record(partitions, self._bound, now)
        if self._bucket.tokens < 0:
            self._throttled(self._bucket.tokens, now)

    def _throttled(self, tokens: float, now: float) -> None:
        self._throttle_ms = TokenBucket.throttle_ms(tokens, self._bound)
        self._recorded_at = now

    @property
    def throttle_ms(self) -> int:
        """The throttle time, less the time since it was measured (a request may wait meanwhile)."""
        if not self._throttle_ms:
            return 0
        return max(0, round(self._throttle_ms - (_now_ms() - self._recorded_at)))


class MutationQuotaManager:
    """Kafka's ControllerMutationQuotaManager: a bucket per quota (the sensor's user/client id)."""

    def __init__(self, lookup, props):
        self._lookup = lookup  # a client_quotas.QuotaManager of controller_mutation_rate: which quota applies
        # Kafka's own window for this quota (the burst is (num - 1) windows' worth)
        self._window_num = int(props.get("controller.quota.window.num", DEFAULT_WINDOW_NUM))
        self._window_ms = int(props.get("controller.quota.window.size.seconds", DEFAULT_WINDOW_SECONDS)) * 1000
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    @property
    def enabled(self) -> bool:
        return self._lookup.enabled

    def changed(self) -> None:
        self._lookup.changed()
        if not self._lookup.enabled:
            self._buckets.clear()

    def quota_for(self, ctx, api: str) -> MutationQuota | None:
        """The request's quota (strict or permissive by its version), None if it has none."""
        if not self._lookup.enabled:
            return None
        found = self._lookup.quota(ctx.principal.name, ctx.header.client_id or "")
        if found is None:
            return None
        tags, bound = found
        bucket = self._buckets.get(tags)
        if bucket is None:
            bucket = self._buckets[tags] = TokenBucket(self._window_num, self._window_ms)
        return MutationQuota(bucket, bound, ctx.version >= STRICT_SINCE[api])


def throttle(ctx, quota: MutationQuota | None, body: dict) -> dict:
    """The answer with the quota's throttle time (the larger of it and any other), the connection muted."""
    if quota is None:
        return body
    throttle_ms = quota.throttle_ms
    if throttle_ms:
        body["throttle_time_ms"] = max(body.get("throttle_time_ms", 0), throttle_ms)
        session = ctx.session
        if session is not None:
            session.muted_until = max(session.muted_until, trio.current_time() + throttle_ms / 1000)
    return body


def _now_ms() -> float:
    return trio.current_time() * 1000
