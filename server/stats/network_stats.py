"""Client connections open and accepted per listener (Kafka's socket-server-metrics
connection-count and connection-creation-total)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class NetworkStats:
    connections: dict[str, int] = field(default_factory=dict)  # listener name -> open now
    connections_opened: dict[str, int] = field(default_factory=dict)  # listener name -> ever

    def listening(self, listener: str) -> None:
        """A listener accepts connections: its series start at 0."""
        self.connections.setdefault(listener, 0)
        self.connections_opened.setdefault(listener, 0)

    def opened(self, listener: str) -> None:
        self.connections[listener] = self.connections.get(listener, 0) + 1
        self.connections_opened[listener] = self.connections_opened.get(listener, 0) + 1

    def closed(self, listener: str) -> None:
        self.connections[listener] -= 1
