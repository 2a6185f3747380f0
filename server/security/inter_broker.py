"""How this broker connects to the others' inter-broker listener: TLS (SSL, SASL_SSL) and a SASL
login (SASL_PLAINTEXT, SASL_SSL). None of it on a PLAINTEXT inter-broker listener, where a
connection is a bare socket as before.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from .sasl.sasl_client import SaslLogin


@dataclass(frozen=True)
class InterBrokerSecurity:
    tls: ssl.SSLContext | None = None  # the client context, on a TLS inter-broker listener
    sasl: SaslLogin | None = None  # the broker's own login, on a SASL inter-broker listener
