"""Client connections open and accepted per listener (Kafka's socket-server-metrics
connection-count and connection-creation-total)."""

from __future__ import annotations


class NetworkStats:
    __slots__ = ("connections", "connections_opened")

    def __init__(self):
        self.connections: dict[str, int] = {}  # listener name -> open now
        self.connections_opened: dict[str, int] = {}  # listener name -> ever

    def listening(self, listener: str) -> None:
        """A listener accepts connections: its series start at 0."""
        self.connections.setdefault(listener, 0)
        self.connections_opened.setdefault(listener, 0)

    def opened(self, listener: str) -> None:
        self.connections[listener] = self.connections.get(listener, 0) + 1
        self.connections_opened[listener] = self.connections_opened.get(listener, 0) + 1

    def closed(self, listener: str) -> None:
        self.connections[listener] -= 1


class NullNetworkStats:
    """What the broker uses when nothing reads the figures (``metrics.port`` unset)."""

    __slots__ = ()

    def listening(self, listener: str) -> None:
        pass

    def opened(self, listener: str) -> None:
        pass

    def closed(self, listener: str) -> None:
        pass
