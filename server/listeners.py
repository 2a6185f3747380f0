"""Kafka listener strings: ``NAME://host:port`` lists, as in ``listeners`` and ``advertised.listeners``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Listener:
    name: str
    host: str  # "" means every interface (Kafka's ``PLAINTEXT://:9092``)
    port: int

    @property
    def is_wildcard(self) -> bool:
        return self.host in ("", "0.0.0.0", "::")

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.name}://{host}:{self.port}"


def parse_listener(text: str) -> Listener:
    name, sep, address = text.strip().partition("://")
    if not sep:
        raise ValueError(f"listener must look like NAME://host:port, got {text!r}")
    if address.startswith("["):
        host, _, port = address[1:].partition("]:")
    else:
        host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"listener {text!r} has no valid port")
    return Listener(name.upper(), host, int(port))


def parse_listeners(text: str) -> list[Listener]:
    return [parse_listener(item) for item in text.split(",") if item.strip()]
