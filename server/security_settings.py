"""Security settings odradek does not serve yet, refused at start-up rather than ignored.

A broker that reads ``ssl.keystore.location`` and then serves plaintext to everyone would let an
operator believe the data is protected. Until TLS and SASL are served, any of their settings stops
start-up, naming each one. (Authorization is served: ``authorizer.class.name``, ``super.users`` and
``allow.everyone.if.no.acl.found`` are read by ``security.acl.authorizer_config``.)
"""

from __future__ import annotations

from collections.abc import Mapping

from .known_configs import LISTENER_PREFIX, config_type
from .startup_error import ConfigError

_PREFIXES = ("ssl.", "sasl.", "delegation.token.", "zookeeper.ssl.")
_NAMES = frozenset({
    "principal.builder.class",
    "connections.max.reauth.ms", "security.providers", "zookeeper.set.acl",
})


def is_security_setting(name: str) -> bool:
    if name.startswith(LISTENER_PREFIX):  # listener.name.<listener>.ssl.keystore.location, ...
        name = name[len(LISTENER_PREFIX):].partition(".")[2]
        return is_security_setting(name) or ".sasl." in f".{name}"
    return name.startswith(_PREFIXES) or name in _NAMES


def refuse_security_settings(props: Mapping[str, str]) -> None:
    """Raise ConfigError naming every security setting in ``props`` (an empty value, or ``false``
    for a switch such as ``zookeeper.set.acl``, turns nothing on and is let through)."""
    found = sorted(name for name, value in props.items() if is_security_setting(name) and not _off(name, value))
    if found:
        raise ConfigError(f"{', '.join(found)}: odradek does not serve TLS, SASL or authorization yet, "
                          f"and refuses to start rather than ignore a security setting")


def _off(name: str, value: str) -> bool:
    value = value.strip().lower()
    return not value or (value == "false" and config_type(name) == "boolean")
