"""Security settings odradek does not serve yet, refused at start-up rather than ignored.

A broker that reads ``ssl.keystore.location`` or ``authorizer.class.name`` and then serves
plaintext to everyone would let an operator believe the data is protected. Any security setting
odradek does not serve stops start-up, naming each one.

Served, and so let through: SASL's (``SERVED_SASL_SETTINGS``, per listener too, and per mechanism
as ``listener.name.<l>.<mechanism>.sasl.jaas.config``); ``security.sasl.listener_sasl`` then
refuses what they ask for that is not served (GSSAPI). Kerberos, login and callback classes,
and OAUTHBEARER's JWKS validation (``sasl.kerberos.*``, ``sasl.login.*``, ``sasl.oauthbearer.*``,
``sasl.server.callback.handler.class``) stay refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from .known_configs import LISTENER_PREFIX, config_type
from .security.sasl.listener_sasl import SERVED_MECHANISMS
from .startup_error import ConfigError

_PREFIXES = ("ssl.", "sasl.", "delegation.token.", "zookeeper.ssl.")
_NAMES = frozenset({
    "authorizer.class.name", "principal.builder.class", "super.users", "allow.everyone.if.no.acl.found",
    "connections.max.reauth.ms", "security.providers", "zookeeper.set.acl",
})

SERVED_SASL_SETTINGS = frozenset({
    "sasl.enabled.mechanisms", "sasl.jaas.config", "sasl.server.max.receive.size",
    "sasl.mechanism.inter.broker.protocol", "connections.max.reauth.ms",
})
_MECHANISM_PREFIXES = tuple(f"{mechanism.lower()}." for mechanism in SERVED_MECHANISMS)


def is_security_setting(name: str) -> bool:
    """Whether ``name`` is a security setting odradek does not serve."""
    if name in SERVED_SASL_SETTINGS:
        return False
    if name.startswith(LISTENER_PREFIX):  # listener.name.<listener>.ssl.keystore.location, ...
        name = name[len(LISTENER_PREFIX):].partition(".")[2]
        if name.startswith(_MECHANISM_PREFIXES):  # listener.name.<l>.plain.sasl.jaas.config
            mechanism_setting = name.partition(".")[2]
            if mechanism_setting in ("sasl.jaas.config", "connections.max.reauth.ms"):
                return False
        return is_security_setting(name) or (name not in SERVED_SASL_SETTINGS and ".sasl." in f".{name}")
    return name.startswith(_PREFIXES) or name in _NAMES


def refuse_security_settings(props: Mapping[str, str]) -> None:
    """Raise ConfigError naming every security setting in ``props`` (an empty value, or ``false``
    for a switch such as ``zookeeper.set.acl``, turns nothing on and is let through)."""
    found = sorted(name for name, value in props.items() if is_security_setting(name) and not _off(name, value))
    if found:
        raise ConfigError(f"{', '.join(found)}: odradek does not serve TLS, authorization or this SASL setting "
                          f"yet, and refuses to start rather than ignore a security setting")


def _off(name: str, value: str) -> bool:
    value = value.strip().lower()
    return not value or (value == "false" and config_type(name) == "boolean")
