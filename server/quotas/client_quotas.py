"""The configured client quotas, and the rate each (user, client id) is held to.

``ClientQuotas`` keeps every entity's quotas (in memory, and in a store: the data directory alone,
ZooKeeper's ``/config/users`` and ``/config/clients`` in a cluster); AlterClientQuotas changes
them, DescribeClientQuotas reads them, and a change made on another broker arrives through
``reloaded``. Each ``QuotaManager`` (produce bytes, fetch bytes, request time) finds the quota a
request falls under in Kafka's order of precedence (DefaultQuotaCallback), the first of::

    /config/users/<user>/clients/<client-id>
    /config/users/<user>/clients/<default>
    /config/users/<user>
    /config/users/<default>/clients/<client-id>
    /config/users/<default>/clients/<default>
    /config/users/<default>
    /config/clients/<client-id>
    /config/clients/<default>

that has a quota of its own kind, and measures the rate of everyone that quota covers together: a quota on a user is shared by all
its client ids, a default applies to each user or client id on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

import trio

from .entities import (CLIENT_ID, CONSUMER_BYTE_RATE, CONTROLLER_MUTATION_RATE, PRODUCER_BYTE_RATE, REQUEST_PERCENTAGE, USER, Entity,
                       describe)
from .mutation_quota import MutationQuotaManager
from .rate import Rate
from .request_time import RequestClock

log = logging.getLogger("odradek.server")

DEFAULT_WINDOW_NUM = 11  # quota.window.num
DEFAULT_WINDOW_SECONDS = 1  # quota.window.size.seconds
_CACHE_LIMIT = 10_000  # (user, client id) look-ups remembered until the quotas change


def _candidates(user: str, client_id: str):
    """(entity, the sensor's (user, client id) tags) in Kafka's order of precedence."""
    yield ((CLIENT_ID, client_id), (USER, user)), (user, client_id)
    yield ((CLIENT_ID, None), (USER, user)), (user, client_id)
    yield ((USER, user),), (user, "")
    yield ((CLIENT_ID, client_id), (USER, None)), (user, client_id)
    yield ((CLIENT_ID, None), (USER, None)), (user, client_id)
    yield ((USER, None),), (user, "")
    yield ((CLIENT_ID, client_id),), ("", client_id)
    yield ((CLIENT_ID, None),), ("", client_id)


class QuotaManager:
    """One kind of quota (Kafka's Produce, Fetch or Request ClientQuotaManager)."""

    def __init__(self, key: str, quotas: "ClientQuotas"):
        self.key = key
        self._quotas = quotas
        self._found: dict[tuple[str, str], tuple[tuple[str, str], float] | None] = {}
        self._rates: dict[tuple[str, str], Rate] = {}
        self.enabled = False  # some entity has a quota of this kind

    def changed(self) -> None:
        self._found.clear()
        self.enabled = any(self.key in configs for configs in self._quotas.quotas.values())
        if not self.enabled:
            self._rates.clear()

    def quota(self, user: str, client_id: str) -> tuple[tuple[str, str], float] | None:
        """(the sensor's tags, the quota) that applies to the pair, or None."""
        key = (user, client_id)
        try:
            return self._found[key]
        except KeyError:
            pass
        found = None
        quotas = self._quotas.quotas
        for entity, tags in _candidates(user, client_id):
            configs = quotas.get(entity)
            if configs is not None and self.key in configs:
                found = (tags, configs[self.key])
                break
        if len(self._found) >= _CACHE_LIMIT:
            self._found.clear()
        self._found[key] = found
        return found

    def record(self, user: str, client_id: str, value: float, now_ms: float | None = None) -> int:
        """Count ``value`` against the pair's quota; the throttle time (ms) it earned, or 0."""
        found = self.quota(user, client_id)
        if found is None:
            return 0
        tags, bound = found
        rate = self._rates.get(tags)
        if rate is None:
            rate = self._rates[tags] = Rate(self._quotas.window_num, self._quotas.window_ms)
        if bound <= 0:  # a zero quota: everything waits a whole window
            rate.record(value, _now_ms() if now_ms is None else now_ms)
            return self._quotas.window_ms
        return rate.record_and_throttle(value, bound, _now_ms() if now_ms is None else now_ms)

    def unrecord(self, user: str, client_id: str, value: float) -> None:
        """Take back a recorded value (a throttled fetch is answered without its records)."""
        found = self.quota(user, client_id)
        if found is not None and found[0] in self._rates:
            self._rates[found[0]].record(-value, _now_ms())

    def max_value_in_window(self, user: str, client_id: str) -> float | None:
        """The most one request may bring without being throttled for certain (Kafka caps a
        throttled consumer's fetch size with it); None without a quota."""
        found = self.quota(user, client_id)
        if found is None:
            return None
        return found[1] * (self._quotas.window_num - 1) * self._quotas.window_ms / 1000


class ClientQuotas:
    def __init__(self, store, props: Mapping[str, str]):
        self.store = store
        self.quotas: dict[Entity, dict[str, float]] = {}
        self.lock = trio.Lock()  # one alteration at a time: each reads what the one before kept
        self.window_num = int(props.get("quota.window.num", DEFAULT_WINDOW_NUM))
        self.window_ms = int(props.get("quota.window.size.seconds", DEFAULT_WINDOW_SECONDS)) * 1000
        self.produce = QuotaManager(PRODUCER_BYTE_RATE, self)
        self.fetch = QuotaManager(CONSUMER_BYTE_RATE, self)
        self.request = QuotaManager(REQUEST_PERCENTAGE, self)
        self.mutation = MutationQuotaManager(QuotaManager(CONTROLLER_MUTATION_RATE, self), props)
        #: how long each request keeps the event loop busy, measured only while a request quota is set
        self.clock = RequestClock()
        #: called after every change (the broker puts quota accounting in front of Produce/Fetch)
        self.on_change: Callable[[], None] | None = None

    def load(self) -> None:
        """Read every entity's quotas (blocking; at start-up, once the data directory is locked)."""
        self.quotas = {entity: dict(configs) for entity, configs in self.store.load().items() if configs}
        self._changed()

    async def alter(self, entity: Entity, configs: Mapping[str, float]) -> None:
        """Make ``configs`` the entity's quotas (none: it has no quota any more), and keep them."""
        await self.store.save(entity, configs)
        self.reloaded(entity, configs)

    def reloaded(self, entity: Entity, configs: Mapping[str, float]) -> None:
        """The entity's quotas are now ``configs`` (changed here, or on another broker)."""
        if configs:
            self.quotas[entity] = dict(configs)
        else:
            self.quotas.pop(entity, None)
        log.info("Client quotas of %s: %s", describe(entity),
                 ", ".join(f"{k}={v}" for k, v in sorted(configs.items())) or "none")
        self._changed()

    def entities(self) -> Iterable[tuple[Entity, dict[str, float]]]:
        return list(self.quotas.items())

    @property
    def enforcing(self) -> bool:
        """Some quota needs the routes' accounting (``throttled_routes``)."""
        return self.produce.enabled or self.fetch.enabled or self.request.enabled

    @property
    def max_request_throttle_ms(self) -> int:
        """Kafka bounds a request-time throttle by one quota window (ClientRequestQuotaManager)."""
        return self.window_ms

    def _changed(self) -> None:
        for manager in (self.produce, self.fetch, self.request, self.mutation):
            manager.changed()
        if self.on_change is not None:
            self.on_change()


def _now_ms() -> float:
    return trio.current_time() * 1000
