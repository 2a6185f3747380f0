"""What a handler knows about the request it serves, besides the request body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from odradek.wire import RequestHeader

from .security.acl.codes import CLUSTER_NAME, AclOperation, ResourceType
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
    def client_host(self) -> str:
        """The client's address, as ACLs' hosts name it."""
        if self.session is not None:
            return self.session.client_host
        return self.peer.rsplit(":", 1)[0].strip("[]")

    # -- authorization: every check a handler makes goes through these -------------------------
    # Without an authorizer (``authorizer.class.name`` unset) each is one attribute test.

    def authorize(self, operation: AclOperation, resource_type: ResourceType, name: str) -> bool:
        """Whether the request's principal may do ``operation`` on the resource (always, when
        the broker has no authorizer)."""
        authorizer = self.broker.authorizer
        return authorizer is None or authorizer.authorize(self.principal, self.client_host, operation,
                                                          resource_type, name)

    def authorize_cluster(self, operation: AclOperation) -> bool:
        return self.authorize(operation, ResourceType.CLUSTER, CLUSTER_NAME)

    def authorized_names(self, operation: AclOperation, resource_type: ResourceType, names):
        """The set of ``names`` the principal may do ``operation`` on (all of them, without an
        authorizer)."""
        authorizer = self.broker.authorizer
        if authorizer is None:
            return set(names)
        principal, host = self.principal, self.client_host
        return {name for name in names if authorizer.authorize(principal, host, operation, resource_type, name)}

    def authorize_by_resource_type(self, operation: AclOperation, resource_type: ResourceType) -> bool:
        """Whether the principal may do ``operation`` on some resource of the type."""
        authorizer = self.broker.authorizer
        return authorizer is None or authorizer.authorize_by_resource_type(self.principal, self.client_host,
                                                                           operation, resource_type)

    @property
    def advertised(self):
        """This broker's address as clients of the request's listener must be told it."""
        return self.broker.advertised_for(self.listener)

    @property
    def version(self) -> int:
        return self.header.api_version
