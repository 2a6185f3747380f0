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

    @property
    def version(self) -> int:
        return self.header.api_version
