"""What a handler knows about the request it serves, besides the request body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from odradek.wire import RequestHeader

if TYPE_CHECKING:
    from .broker import Broker


@dataclass(frozen=True)
class RequestContext:
    broker: "Broker"
    header: RequestHeader
    peer: str
    listener: str  # the name of the listener the request came in on
    connection_id: str = ""  # unique among this broker's connections (share sessions end with theirs)

    @property
    def advertised(self):
        """This broker's address as clients of the request's listener must be told it."""
        return self.broker.advertised_for(self.listener)

    @property
    def version(self) -> int:
        return self.header.api_version
