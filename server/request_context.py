"""What a handler knows about the request it serves, besides the request body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from odradek.wire import RequestHeader

from .security.principal import ANONYMOUS, KafkaPrincipal
from .security.session import Session

if TYPE_CHECKING:
    from .broker import Broker


@dataclass(frozen=True)
class RequestContext:
    broker: "Broker"
    header: RequestHeader
    peer: str
    listener: str  # the name of the listener the request came in on
    connection_id: str = ""  # unique among this broker's connections (share sessions end with theirs)
    session: Session | None = None  # the connection's listener, protocol and principal (None in unit tests)

    @property
    def principal(self) -> KafkaPrincipal:
        """Who the request runs as (``User:ANONYMOUS`` until TLS or SASL say otherwise)."""
        return self.session.principal if self.session is not None else ANONYMOUS

    @property
    def advertised(self):
        """This broker's address as clients of the request's listener must be told it."""
        return self.broker.advertised_for(self.listener)

    @property
    def version(self) -> int:
        return self.header.api_version
