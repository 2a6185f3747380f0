"""One listener's ``ssl.*`` settings, read as Kafka reads them.

Kafka lets every ``ssl.*`` config be given for one listener alone: ``listener.name.<listener
in lower case>.ssl.keystore.location`` wins over ``ssl.keystore.location``. The one exception is
``ssl.client.auth`` on a SASL_SSL listener (KIP-684): there only the listener's own value counts,
because SASL already authenticates its clients and a broker-wide ``ssl.client.auth=required``
meant for SSL listeners must not demand certificates from them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..known_configs import LISTENER_PREFIX


@dataclass(frozen=True)
class TlsSettings:
    """The ``ssl.*`` settings of one listener; ``get`` returns the value and the name it came from."""

    props: Mapping[str, str]
    listener: str  # the listener's name, as configured (upper case)
    security_protocol: str

    def get(self, name: str, default: str | None = None) -> tuple[str | None, str]:
        own = f"{LISTENER_PREFIX}{self.listener.lower()}.{name}"
        if own in self.props:
            return self.props[own], own
        if name == "ssl.client.auth" and self.security_protocol == "SASL_SSL":
            return default, name
        if name in self.props:
            return self.props[name], name
        return default, name

    def value(self, name: str, default: str | None = None) -> str | None:
        value, _ = self.get(name, default)
        if value is not None and not value.strip():
            return default
        return value

    def list(self, name: str, default: str = "") -> list[str]:
        return [item.strip() for item in (self.value(name, default) or "").split(",") if item.strip()]
