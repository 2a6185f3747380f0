"""Listeners a workload asks for beside the PLAINTEXT one every broker under test is reached on.

A workload that measures TLS or SASL passes ``listeners`` in its overrides, e.g.
``SSL://127.0.0.1:41001,SASL_SSL://127.0.0.1:41002``. Each launcher keeps its own PLAINTEXT
listener on the port it picked (readiness is checked there, and topics are created there) and adds
these; Kafka also needs them advertised and given a security protocol.
"""

from __future__ import annotations


def extra_listeners(overrides: dict[str, object]) -> list[str]:
    """The override's listeners other than PLAINTEXT (whose port the launcher picks)."""
    text = str(overrides.get("listeners", ""))
    return [item.strip() for item in text.split(",") if item.strip() and not item.strip().upper().startswith("PLAINTEXT://")]


def listener_names(listeners: list[str]) -> list[str]:
    return [item.partition("://")[0].upper() for item in listeners]
