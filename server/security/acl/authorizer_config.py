"""``authorizer.class.name``: whether this broker authorizes requests, and with which rules.

Kafka loads the class it names; odradek has one authorizer, which decides as Kafka's own do, so
it accepts their names (KRaft's StandardAuthorizer, ZooKeeper-era AclAuthorizer: the same ACLs,
the same decisions) and refuses any other at start-up, rather than start a broker that would not
enforce the custom rules its operator chose. Unset (or empty), nothing is authorized, as in Kafka.

Every broker reads this setting as it starts, so this module imports none of the authorizer
itself: a broker that authorizes nothing need not (start-up time).
"""

from __future__ import annotations

from collections.abc import Mapping

from ...startup_error import ConfigError

#: the class names that turn authorization on (Kafka's own authorizers; these ACLs are theirs)
AUTHORIZER_CLASSES = frozenset({
    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "kafka.security.authorizer.AclAuthorizer",
})
#: Kafka 2.x's authorizer, removed in Kafka 3.0 (KIP-504 replaced it with AclAuthorizer)
REMOVED_SIMPLE_ACL_AUTHORIZER = "kafka.security.auth.SimpleAclAuthorizer"


def authorizer_enabled(props: Mapping[str, str]) -> bool:
    """Whether ``authorizer.class.name`` turns authorization on; ConfigError for a class odradek
    cannot be."""
    name = props.get("authorizer.class.name", "").strip()
    if not name:
        return False
    if name in AUTHORIZER_CLASSES:
        return True
    if name == REMOVED_SIMPLE_ACL_AUTHORIZER:
        raise ConfigError(f"authorizer.class.name={name}: Kafka removed SimpleAclAuthorizer in 3.0; set "
                          f"org.apache.kafka.metadata.authorizer.StandardAuthorizer (the same ACLs)")
    raise ConfigError(f"authorizer.class.name={name}: odradek cannot load a custom authorizer; set "
                      f"org.apache.kafka.metadata.authorizer.StandardAuthorizer or "
                      f"kafka.security.authorizer.AclAuthorizer to authorize with ACLs")
