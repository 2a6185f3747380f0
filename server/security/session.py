"""What a connection knows about its client, kept for as long as the connection lives.

One ``Session`` per connection, made when it is accepted: the listener it came in on and that
listener's security protocol, the client's address, and the principal the requests run as. On a
PLAINTEXT listener the principal is ``User:ANONYMOUS`` from the start; TLS (a client certificate)
and SASL (an authenticated exchange, run by ``sasl``, the connection's ``SaslAuthenticator``)
replace it. Handlers read it through the request context;
only the security code writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..listener_config import uses_sasl
from .principal import ANONYMOUS, KafkaPrincipal


@dataclass
class Session:
    listener: str  # the listener's name, e.g. PLAINTEXT or a custom INTERNAL
    security_protocol: str  # PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
    client_host: str  # the client's IP address, as ACLs' hosts match it
    principal: KafkaPrincipal = ANONYMOUS
    authenticated: bool = True  # False on a SASL listener until the SASL exchange succeeds
    sasl: Any = None  # on a SASL listener, the connection's SaslAuthenticator (security.sasl)
    #: trio time until which the connection reads no request: throttled by a client quota (KIP-219)
    muted_until: float = 0.0

    @classmethod
    def for_connection(cls, listener: str, security_protocol: str, client_host: str) -> "Session":
        return cls(listener, security_protocol, client_host,
                   authenticated=not uses_sasl(security_protocol))
