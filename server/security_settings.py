"""Security settings odradek does not serve yet, refused at start-up rather than ignored.

A broker that reads ``ssl.keystore.location`` or ``sasl.enabled.mechanisms`` and then serves
plaintext to everyone would let an operator believe the data is protected. Any security setting
odradek does not serve stops start-up, naming each one.

Served, and so let through: TLS's (``SERVED``; the stores are read and checked in
``server/security/tls_context.py``), except the few that name Java machinery odradek does not have
(a JSSE provider, a key manager algorithm) and a keystore or truststore type other than PEM, which
are refused one line each; SASL's (``SERVED_SASL_SETTINGS``, per listener too, and per mechanism
as ``listener.name.<l>.<mechanism>.sasl.jaas.config``), after which ``security.sasl.listener_sasl``
refuses what they ask for that is not served (GSSAPI); authorization's (``authorizer.class.name``,
``super.users``, ``allow.everyone.if.no.acl.found``, read by ``security.acl.authorizer_config``).
Kerberos, login and callback classes, and OAUTHBEARER's JWKS validation (``sasl.kerberos.*``,
``sasl.login.*``, ``sasl.oauthbearer.*``, ``sasl.server.callback.handler.class``) stay refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from .known_configs import LISTENER_PREFIX, config_type
from .security.sasl.mechanism_names import SERVED_MECHANISMS
from .startup_error import ConfigError

_PREFIXES = ("ssl.", "sasl.", "delegation.token.", "zookeeper.ssl.")
_NAMES = frozenset({
    "principal.builder.class", "connections.max.reauth.ms", "security.providers", "zookeeper.set.acl",
})

SERVED_SASL_SETTINGS = frozenset({
    "sasl.enabled.mechanisms", "sasl.jaas.config", "sasl.server.max.receive.size",
    "sasl.mechanism.inter.broker.protocol", "connections.max.reauth.ms",
})
_MECHANISM_PREFIXES = tuple(f"{mechanism.lower()}." for mechanism in SERVED_MECHANISMS)


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
        raise ConfigError(f"{', '.join(found)}: odradek does not serve this security setting yet, "
                          f"and refuses to start rather than ignore it")


def _off(name: str, value: str) -> bool:
    value = value.strip().lower()
    return not value or (value == "false" and config_type(name) == "boolean")


def _unprefixed(name: str) -> str:
    """``listener.name.ssl.ssl.keystore.location`` -> ``ssl.keystore.location``."""
    if name.startswith(LISTENER_PREFIX):
        return name[len(LISTENER_PREFIX):].partition(".")[2]
    return name
