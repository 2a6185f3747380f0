"""``metrics.port`` and ``metrics.host``: where the broker serves HTTP, if anywhere.

Off unless ``metrics.port`` is set (an extra open port is the operator's choice); 0 picks a free
port, which the ready line names. The host defaults to the first Kafka listener's, so a broker
listening on 127.0.0.1 does not expose its metrics on every interface.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..startup_error import ConfigError

PORT, HOST = "metrics.port", "metrics.host"


@dataclass(frozen=True)
class WebSettings:
    host: str  # "" means every interface
    port: int

    @classmethod
    def from_config(cls, config) -> "WebSettings | None":
        """The settings, None when ``metrics.port`` is unset; ConfigError for a bad value."""
        text = config.props.get(PORT, "").strip()
        if not text:
            return None
        try:
            port = int(text)
        except ValueError:
            raise ConfigError(f"{PORT}={text}: not a port number") from None
        if not 0 <= port <= 65535:
            raise ConfigError(f"{PORT}={port}: a port is between 0 and 65535")
        host = config.props.get(HOST)
        return cls(config.listener.host if host is None else host.strip(), port)
