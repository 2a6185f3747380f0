"""Client connections per listener: open, accepted and closed (Kafka's socket-server-metrics
connection-count, connection-creation-total and connection-close-total), and the ones the broker
refused or closed itself, by reason (issue 18's limits: odradek's own series, Kafka has none).

Refusals and the broker's own closes happen once per connection, never per request: the cost is
one dictionary update when it happens, and none at all with the null recorder.

connection-creation-rate is measured as Kafka's ``Rate`` measures it with its default
``metrics.sample.window.ms`` (30 s) and ``metrics.num.samples`` (2): connections counted in two
30-second windows, over the time since the older one began, never less than one window plus the
time into the current one (so one connection does not read as a burst)."""

from __future__ import annotations

from time import monotonic

# reasons, as the metrics' ``reason`` label spells them
REFUSED_PER_IP = "max_connections_per_ip"
CLOSED_IDLE = "idle"                       # connections.max.idle.ms
CLOSED_LEAST_RECENTLY_USED = "max_connections"  # made room for the inter-broker listener


WINDOW = 30.0   # seconds: Kafka's metrics.sample.window.ms


class CreationRate:
    """Kafka's ``Rate`` over two samples of ``WINDOW``: one clock read per connection accepted."""

    __slots__ = ("windows",)

    def __init__(self):
        self.windows: list[list[float]] = []  # [start, count], the older first, at most two

    def record(self, now: float) -> None:
        if not self.windows or now - self.windows[-1][0] >= WINDOW:
            self.windows = [*self.windows[-1:], [now, 0]]
        self.windows[-1][1] += 1

    def per_second(self, now: float) -> float:
        live = [window for window in self.windows if now - window[0] < 2 * WINDOW]
        if not live:
            return 0.0
        elapsed = now - live[0][0]
        if elapsed < WINDOW:    # Kafka's Rate counts at least one full window besides the current one
            elapsed += WINDOW
        return sum(count for _, count in live) / elapsed


class NetworkStats:
    __slots__ = ("connections", "connections_opened", "connections_closed", "refused", "closed_by_broker",
                 "creation_rates")

    def __init__(self):
        self.connections: dict[str, int] = {}  # listener name -> open now
        self.connections_opened: dict[str, int] = {}  # listener name -> ever
        self.connections_closed: dict[str, int] = {}  # listener name -> ever
        self.refused: dict[tuple[str, str], int] = {}  # (listener, reason) -> ever
        self.closed_by_broker: dict[tuple[str, str], int] = {}  # (listener, reason) -> ever
        self.creation_rates: dict[str, CreationRate] = {}  # listener name -> its rate

    def listening(self, listener: str) -> None:
        """A listener accepts connections: its series start at 0."""
        self.connections.setdefault(listener, 0)
        self.connections_opened.setdefault(listener, 0)
        self.connections_closed.setdefault(listener, 0)
        self.creation_rates.setdefault(listener, CreationRate())

    def opened(self, listener: str) -> None:
        self.connections[listener] = self.connections.get(listener, 0) + 1
        self.connections_opened[listener] = self.connections_opened.get(listener, 0) + 1
        rate = self.creation_rates.get(listener)
        if rate is None:
            rate = self.creation_rates[listener] = CreationRate()
        rate.record(monotonic())

    def closed(self, listener: str) -> None:
        self.connections[listener] -= 1
        self.connections_closed[listener] = self.connections_closed.get(listener, 0) + 1

    def refusing(self, listener: str, reason: str) -> None:
        """A connection accepted and closed at once, not served (its address's limit)."""
        key = (listener, reason)
        self.refused[key] = self.refused.get(key, 0) + 1

    def closing(self, listener: str, reason: str) -> None:
        """The broker closes a served connection of its own accord (idle, or to make room)."""
        key = (listener, reason)
        self.closed_by_broker[key] = self.closed_by_broker.get(key, 0) + 1


class NullNetworkStats:
    """What the broker uses when nothing reads the figures (``metrics.port`` unset)."""

    __slots__ = ()

    def listening(self, listener: str) -> None:
        pass

    def opened(self, listener: str) -> None:
        pass

    def closed(self, listener: str) -> None:
        pass

    def refusing(self, listener: str, reason: str) -> None:
        pass

    def closing(self, listener: str, reason: str) -> None:
        pass
