"""Kafka's connection quotas: how many connections, from where, and how fast they may be opened.

As in Kafka's ``ConnectionQuotas`` (SocketServer):

- ``max.connections`` (broker-wide) and ``listener.name.<l>.max.connections`` (one listener, which
  falls back to the broker-wide value) are never refused: the listener stops *accepting* until a
  connection closes, so the next client waits in the kernel's backlog. The inter-broker listener
  is exempt from the broker-wide limit (when there is another listener), not from its own; when
  its connections take the total over ``max.connections``, the least recently active connections
  of the *other* listeners are closed until it is back within (``excess``, used by the acceptor;
  Kafka's processors of the unprotected listeners each close their selector's lowest-priority,
  i.e. least recently used, channel while ``maxConnectionsExceeded``). A lowered
  ``max.connections`` closes the excess the same way.
- ``max.connection.creation.rate`` (broker-wide, and per listener) delays accepting, as Kafka's
  acceptor throttles; the inter-broker listener is exempt from the broker-wide rate.
- ``max.connections.per.ip`` and ``max.connections.per.ip.overrides`` (``host:count,...``) refuse:
  a connection beyond its address's limit is accepted and closed at once, with a log line.

The limits can change at runtime (AlterConfigs on the broker): ``reconfigure`` takes the
effective properties and wakes acceptors that waited for a slot.

Host names in ``max.connections.per.ip.overrides`` are resolved to addresses, as Kafka does, but
never on the event loop (a slow DNS server would stall every client): before the loop runs
(start-up) they are resolved directly, and on the loop only ``await resolve_override_hosts(props)``
resolves them, in a worker thread, into ``RESOLVED``; parsing on the loop then reads that and
refuses to resolve anything itself (``DnsOnTheEventLoop``, a bug, never a stall).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import trio

from .startup_error import ConfigError

INT_MAX = 2**31 - 1


@dataclass
class ConnectionLimits:
    """The settings, parsed from Kafka properties."""

    max_connections: int = INT_MAX
    per_ip: int = INT_MAX
    per_ip_overrides: dict[str, int] = field(default_factory=dict)  # by IP address text
    creation_rate: int = INT_MAX
    listener_max: dict[str, int] = field(default_factory=dict)  # listener name -> limit
    listener_rate: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_props(cls, props: Mapping[str, str], listeners: list[str]) -> "ConnectionLimits":
        """The limits in ``props``; ConfigError for a value Kafka refuses."""
        limits = cls(
            max_connections=_int(props, "max.connections", INT_MAX),
            per_ip=_int(props, "max.connections.per.ip", INT_MAX),
            per_ip_overrides=parse_overrides(props.get("max.connections.per.ip.overrides", "")),
            creation_rate=_int(props, "max.connection.creation.rate", INT_MAX),
        )
        if limits.per_ip == 0 and not limits.per_ip_overrides:
            raise ConfigError("max.connections.per.ip can be set to zero only if "
                              "max.connections.per.ip.overrides property is set.")
        for name in listeners:
            prefix = f"listener.name.{name.lower()}."
            limits.listener_max[name] = _int(props, prefix + "max.connections", limits.max_connections)
            limits.listener_rate[name] = _int(props, prefix + "max.connection.creation.rate",
                                              limits.creation_rate)
        return limits


def parse_overrides(text: str) -> dict[str, int]:
    """``max.connections.per.ip.overrides``: ``host:count`` items, hosts resolved to addresses."""
    overrides: dict[str, int] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        host, sep, count = item.rpartition(":")
        if not sep or not host or not count.strip().lstrip("-").isdigit():
            raise ConfigError(f"max.connections.per.ip.overrides: expected host:count items, got {item!r}")
        overrides[_address(host.strip().strip("[]"))] = int(count)
    return overrides


#: host name -> its address (None: it does not resolve), as last resolved; IP literals never enter
RESOLVED: dict[str, str | None] = {}


class DnsOnTheEventLoop(RuntimeError):
    """A host name was to be resolved on the event loop: ``resolve_override_hosts`` was not awaited."""


def override_hosts(text: str) -> list[str]:
    """The host names (not IP literals) in a ``max.connections.per.ip.overrides`` value."""
    hosts = []
    for item in text.split(","):
        host = item.strip().rpartition(":")[0].strip().strip("[]")
        if host and not _literal(host):
            hosts.append(host)
    return hosts


def resolve_hosts(hosts: list[str]) -> None:
    """Resolve ``hosts`` into ``RESOLVED`` (blocking: in a worker thread, or before the loop runs)."""
    for host in hosts:
        try:
            RESOLVED[host] = socket.getaddrinfo(host, None)[0][4][0]
        except OSError:
            RESOLVED[host] = None


async def resolve_override_hosts(props: Mapping[str, str]) -> None:
    """Resolve afresh, in a worker thread, the host names of ``props``'s
    ``max.connections.per.ip.overrides``: awaited before parsing them on the event loop."""
    hosts = override_hosts(props.get("max.connections.per.ip.overrides") or "")
    if hosts:
        await trio.to_thread.run_sync(resolve_hosts, hosts)


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _on_event_loop() -> bool:
    try:
        trio.lowlevel.current_trio_token()
    except RuntimeError:
        return False
    return True


def _address(host: str) -> str:
    literal = _literal(host)
    if literal is not None:
        return literal
    if host not in RESOLVED:
        if _on_event_loop():
            raise DnsOnTheEventLoop(f"{host!r} of max.connections.per.ip.overrides was not resolved off the loop")
        resolve_hosts([host])
    address = RESOLVED[host]
    if address is None:
        raise ConfigError(f"max.connections.per.ip.overrides contains invalid addresses : {host}")
    return address


def _int(props: Mapping[str, str], name: str, default: int) -> int:
    value = props.get(name)
    if value is None or not str(value).strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"Invalid value {value} for configuration {name}: Not a number of type INT") from None
    if number < 0:
        raise ConfigError(f"Invalid value {number} for configuration {name}: Value must be at least 0")
    return number


class TooManyConnections(Exception):
    """An address already has its maximum number of connections."""

    def __init__(self, ip: str, count: int) -> None:
        super().__init__(f"Rejected connection from {ip}, address already has the configured maximum of "
                         f"{count} connections.")
        self.ip = ip


class _RateLimiter:
    """Connections per second measured as Kafka's connection rate sensors measure them: a ``Rate``
    over ``quota.window.num`` samples of ``quota.window.size.seconds`` (11 of 1 s), never over less
    than all but one of them, so a burst of ten seconds' worth passes before any throttling; above
    the quota the delay is Kafka's, ``(rate - quota) / quota * window``, at most one window."""

    def __init__(self, rate: int, samples: int = 11, window_ms: int = 1000) -> None:
        self.rate = rate
        self._samples_max = samples
        self._window = window_ms
        self._samples: list[list[float]] = []  # [start ms, last event ms, count]
        self._current = 0

    def delay(self) -> float:
        """Record a connection now; the seconds to wait before accepting it."""
        if self.rate >= INT_MAX:
            return 0.0
        now = time.monotonic() * 1000
        if not self._samples:
            self._samples.append([now, now, 0.0])
        sample = self._samples[self._current]
        if now - sample[0] >= self._window:  # complete: the next one (one extra for the overlap)
            self._current = (self._current + 1) % (self._samples_max + 1)
            if self._current >= len(self._samples):
                self._samples.append([now, now, 0.0])
            sample = self._samples[self._current]
            sample[:] = [now, now, 0.0]
        sample[1], sample[2] = now, sample[2] + 1
        for old in self._samples:  # purge those without events in the monitored window
            if now - old[1] >= self._samples_max * self._window:
                old[:] = [now, now, 0.0]
        elapsed = now - min(old[0] for old in self._samples)
        full = int(elapsed // self._window)
        if full < self._samples_max - 1:
            elapsed += (self._samples_max - 1 - full) * self._window
        window = max(elapsed, 1.0)
        measured = sum(old[2] for old in self._samples) / (window / 1000)
        if measured <= self.rate:
            return 0.0
        if not self.rate:
            return self._window / 1000
        return min(round((measured - self.rate) / self.rate * window), self._window) / 1000


class ConnectionQuotas:
    """Counts of open connections by listener and address, and the limits they are held to."""

    def __init__(self, limits: ConnectionLimits, inter_broker: str, listeners: list[str]) -> None:
        self.limits = limits
        self._inter_broker = inter_broker
        self._listeners = listeners
        self.total = 0
        self.by_listener: dict[str, int] = dict.fromkeys(listeners, 0)
        self.by_ip: dict[str, int] = {}
        self._changed = trio.Event()  # set when a slot may have become free
        self._broker_rate = _RateLimiter(limits.creation_rate)
        self._listener_rates = {name: _RateLimiter(limits.listener_rate.get(name, INT_MAX)) for name in listeners}

    def reconfigure(self, props: Mapping[str, str]) -> None:
        """New limits (a dynamic config change); acceptors waiting for a slot look again."""
        self.limits = ConnectionLimits.from_props(props, self._listeners)
        self._broker_rate.rate = self.limits.creation_rate
        for name, limiter in self._listener_rates.items():
            limiter.rate = self.limits.listener_rate.get(name, INT_MAX)
        self._wake()

    def _protected(self, listener: str) -> bool:
        return listener == self._inter_broker and len(self._listeners) > 1

    def excess(self) -> int:
        """How many connections of the unprotected listeners must close: the total's excess over
        ``max.connections`` (non-zero only once the inter-broker listener took it over, or after
        ``max.connections`` was lowered)."""
        return max(0, self.total - self.limits.max_connections)

    def protected(self, listener: str) -> bool:
        """The inter-broker listener, exempt from the broker-wide limits when there is another."""
        return self._protected(listener)

    def slot_available(self, listener: str) -> bool:
        if self.by_listener[listener] >= self.limits.listener_max.get(listener, INT_MAX):
            return False
        return self._protected(listener) or self.total < self.limits.max_connections

    async def wait_for_slot(self, listener: str) -> None:
        """Before accepting on ``listener``: wait out the creation rate, then for a free slot."""
        delay = self._listener_rates[listener].delay()
        if not self._protected(listener):
            delay = max(delay, self._broker_rate.delay())
        if delay > 0:
            await trio.sleep(delay)
        while not self.slot_available(listener):
            await self._changed.wait()

    def add(self, listener: str, ip: str) -> None:
        """Count an accepted connection; TooManyConnections (it is not counted) beyond its address's limit."""
        count = self.by_ip.get(ip, 0)
        limit = self.limits.per_ip_overrides.get(ip, self.limits.per_ip)
        if count >= limit:
            raise TooManyConnections(ip, limit)
        self.by_ip[ip] = count + 1
        self.by_listener[listener] += 1
        self.total += 1

    def remove(self, listener: str, ip: str) -> None:
        count = self.by_ip[ip]
        if count == 1:
            del self.by_ip[ip]
        else:
            self.by_ip[ip] = count - 1
        self.by_listener[listener] -= 1
        self.total -= 1
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()
