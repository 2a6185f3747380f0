"""Security settings odradek does not serve yet, refused at start-up rather than ignored.

A broker that reads ``sasl.enabled.mechanisms`` and then lets everyone in unauthenticated would let
an operator believe the data is protected. Until SASL is served, any of its settings stops
start-up, naming each one. (Authorization is served: ``authorizer.class.name``, ``super.users`` and
``allow.everyone.if.no.acl.found`` are read by ``security.acl.authorizer_config``.) TLS is served (``server/security/tls_context.py``): its settings
pass, except the few that name Java machinery odradek does not have (a JSSE provider, a key
manager algorithm), and a keystore or truststore type other than PEM, which are refused one line
each. The stores themselves are read, and checked, in ``server/security/tls_context.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .known_configs import LISTENER_PREFIX, config_type
from .startup_error import ConfigError

_PREFIXES = ("ssl.", "sasl.", "delegation.token.", "zookeeper.ssl.")
_NAMES = frozenset({
    "principal.builder.class", "connections.max.reauth.ms", "security.providers", "zookeeper.set.acl",
})


#: TLS settings odradek honours (on SSL listeners; the TLS half of SASL_SSL is built the same way).
SERVED = frozenset({
    "ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.key.password",
    "ssl.keystore.certificate.chain", "ssl.keystore.key", "ssl.truststore.type", "ssl.truststore.location",
    "ssl.truststore.password", "ssl.truststore.certificates", "ssl.client.auth", "ssl.enabled.protocols",
    "ssl.protocol", "ssl.cipher.suites", "ssl.principal.mapping.rules", "ssl.endpoint.identification.algorithm",
    # dynamic reconfiguration of a keystore is not served, so there is no change for these to allow
    "ssl.allow.dn.changes", "ssl.allow.san.changes",
})
#: Java's own TLS machinery: meaningless to Python's ssl, so a value is refused rather than ignored.
_JAVA_ONLY = {
    "ssl.provider": "odradek uses Python's ssl (OpenSSL), not a Java security provider",
    "ssl.engine.factory.class": "odradek builds its TLS contexts itself; no SslEngineFactory class can be loaded",
    "ssl.keymanager.algorithm": "odradek uses Python's ssl (OpenSSL), not a Java key manager",
    "ssl.trustmanager.algorithm": "odradek uses Python's ssl (OpenSSL), not a Java trust manager",
    "ssl.secure.random.implementation": "odradek uses OpenSSL's random generator",
}

_STORE_TYPES = {"ssl.keystore.type": "keystores", "ssl.truststore.type": "truststores"}


def is_security_setting(name: str) -> bool:
    if name.startswith(LISTENER_PREFIX):  # listener.name.<listener>.ssl.keystore.location, ...
        name = name[len(LISTENER_PREFIX):].partition(".")[2]
        return is_security_setting(name) or ".sasl." in f".{name}"
    return name.startswith(_PREFIXES) or name in _NAMES


def refuse_security_settings(props: Mapping[str, str]) -> None:
    """Raise ConfigError naming every security setting in ``props`` (an empty value, or ``false``
    for a switch such as ``zookeeper.set.acl``, turns nothing on and is let through)."""
    for name, value in sorted(props.items()):
        base = _unprefixed(name)
        if base in _JAVA_ONLY and not _off(name, value):
            raise ConfigError(f"{name}={value}: {_JAVA_ONLY[base]}")
        if base in _STORE_TYPES and value.strip() and value.strip().upper() != "PEM":
            raise ConfigError(f"{name}={value.strip()}: odradek reads PEM {_STORE_TYPES[base]} only; convert it "
                              f"to PEM and set {name}=PEM")
    found = sorted(name for name, value in props.items()
                   if is_security_setting(name) and _unprefixed(name) not in SERVED and not _off(name, value))
    if found:
        raise ConfigError(f"{', '.join(found)}: odradek does not serve SASL or authorization yet, "
                          f"and refuses to start rather than ignore a security setting")


def _off(name: str, value: str) -> bool:
    value = value.strip().lower()
    return not value or (value == "false" and config_type(name) == "boolean")


def _unprefixed(name: str) -> str:
    """``listener.name.ssl.ssl.keystore.location`` -> ``ssl.keystore.location``."""
    if name.startswith(LISTENER_PREFIX):
        return name[len(LISTENER_PREFIX):].partition(".")[2]
    return name
