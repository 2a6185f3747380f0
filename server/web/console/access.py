"""What the console's visitor may see and do: the broker's authorizer asked for the principal
who logged in (``login``), exactly as it is asked for a client's requests.

Pages ask in the terms of the Kafka request they stand for: listing topics is Metadata (DESCRIBE
on each topic), listing groups is ListGroups (DESCRIBE on the cluster, else on each group),
transactions ListTransactions (DESCRIBE on each transactional id), messages Fetch (READ on the
topic), a producers page DescribeProducers (READ), creating a topic CreateTopics (CREATE on the
cluster or the topic), deleting one DeleteTopics (DELETE), changing its config
IncrementalAlterConfigs (ALTER_CONFIGS), resetting a group's offsets OffsetCommit (READ on the
group and on each topic). Without an authorizer every answer is yes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...security.acl.codes import CLUSTER_NAME, AclOperation, ResourceType
from ...security.principal import KafkaPrincipal

DESCRIBE, READ = AclOperation.DESCRIBE, AclOperation.READ
TOPIC, GROUP, TRANSACTIONAL_ID = ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID


@dataclass(frozen=True)
class Access:
    authorizer: object | None  # the broker's Authorizer, None when it authorizes nothing
    principal: KafkaPrincipal | None = None  # None: nobody logged in (login is off)
    host: str = ""  # the visitor's address, as ACLs' hosts match it

    def may(self, operation: AclOperation, resource_type: ResourceType, name: str) -> bool:
        if self.authorizer is None:
            return True
        return self.authorizer.authorize(self.principal, self.host, operation, resource_type, name)

    def may_cluster(self, operation: AclOperation) -> bool:
        return self.may(operation, ResourceType.CLUSTER, CLUSTER_NAME)

    def names(self, operation: AclOperation, resource_type: ResourceType, names: list[str]) -> list[str]:
        """``names`` the principal may do ``operation`` on, in their order."""
        if self.authorizer is None:
            return names
        return [name for name in names if self.may(operation, resource_type, name)]

    def topics(self, names: list[str]) -> list[str]:
        """The topics Metadata would show: those the principal may DESCRIBE."""
        return self.names(DESCRIBE, TOPIC, names)

    def groups(self, ids: list[str]) -> list[str]:
        """The groups ListGroups would list."""
        if self.may_cluster(DESCRIBE):
            return ids
        return self.names(DESCRIBE, GROUP, ids)

    def may_create_topic(self, name: str) -> bool:
        return self.may_cluster(AclOperation.CREATE) or self.may(AclOperation.CREATE, TOPIC, name)
