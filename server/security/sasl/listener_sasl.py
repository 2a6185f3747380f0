"""Each SASL listener's settings, read from the broker's properties as Kafka reads them.

For a listener ``SASL_PLAINTEXT`` (properties use its name in lower case) and a mechanism
``PLAIN``, a setting is looked up most specific first::

    listener.name.sasl_plaintext.plain.sasl.jaas.config   (the mechanism's, on that listener)
    listener.name.sasl_plaintext.sasl.jaas.config         (the listener's)
    sasl.jaas.config                                      (the broker's)

``sasl.enabled.mechanisms`` (per listener, else the broker's) defaults to GSSAPI in Kafka;
odradek does not serve Kerberos, so a SASL listener whose mechanisms include GSSAPI (or any
mechanism it does not serve) stops start-up with one line saying what to set. PLAIN needs a
PlainLoginModule JAAS entry holding its users. ``connections.max.reauth.ms`` (KIP-368) bounds a
session (0, the default: no bound); ``sasl.server.max.receive.size`` bounds what an
unauthenticated client may send in one frame (Kafka: 512 KB).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...startup_error import ConfigError
from .jaas import JaasError, LoginModuleEntry, parse_jaas_config
from .mechanism_names import OAUTHBEARER, PLAIN, SERVED_MECHANISMS
from .plain import plain_passwords

log = logging.getLogger("odradek.server")

DEFAULT_MECHANISMS = "GSSAPI"
DEFAULT_MAX_RECEIVE_SIZE = 524288
PLAIN_LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
OAUTHBEARER_LOGIN_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"


@dataclass(frozen=True)
class ListenerSasl:
    listener: str
    mechanisms: tuple[str, ...]  # enabled, in the order configured
    plain_passwords: Mapping[str, str] = field(default_factory=dict)  # PLAIN's users
    oauthbearer_options: Mapping[str, str] = field(default_factory=dict)  # the unsecured validator's
    reauth_ms: Mapping[str, int] = field(default_factory=dict)  # mechanism -> connections.max.reauth.ms
    max_receive_size: int = DEFAULT_MAX_RECEIVE_SIZE
    failed_authentication_delay_ms: int = 100


def listener_sasl(props: Mapping[str, str], listener: str) -> ListenerSasl:
    """A SASL listener's settings; ConfigError for what cannot be served."""
    lookup = _Lookup(props, listener)
    name, text = lookup.find("sasl.enabled.mechanisms")
    mechanisms = tuple(dict.fromkeys(m.strip() for m in (text or DEFAULT_MECHANISMS).split(",") if m.strip()))
    refused = [m for m in mechanisms if m not in SERVED_MECHANISMS]
    if refused or not mechanisms:
        where = f"{name}={text}" if name else f"sasl.enabled.mechanisms is unset, and Kafka's default is {DEFAULT_MECHANISMS}"
        raise ConfigError(f"listener {listener}: {where}; odradek does not serve "
                          f"{', '.join(refused) or 'an empty list'}: set sasl.enabled.mechanisms (or "
                          f"{lookup.prefix}sasl.enabled.mechanisms) to some of {', '.join(SERVED_MECHANISMS)}")
    passwords, oauth = {}, {}
    if PLAIN in mechanisms:
        entry = _login_module(lookup, PLAIN, PLAIN_LOGIN_MODULE, required=True)
        passwords = plain_passwords(entry.options) if entry else {}
        if not passwords:
            log.warning("listener %s: PLAIN is enabled but its JAAS config names no users (user_<name>=\"<password>\"); "
                        "every PLAIN login will fail", listener)
    if OAUTHBEARER in mechanisms:
        entry = _login_module(lookup, OAUTHBEARER, OAUTHBEARER_LOGIN_MODULE, required=False)
        oauth = dict(entry.options) if entry else {}
    reauth = {m: _int(lookup, "connections.max.reauth.ms", 0, m) for m in mechanisms}
    return ListenerSasl(listener, mechanisms, passwords, oauth, reauth,
                        _int(lookup, "sasl.server.max.receive.size", DEFAULT_MAX_RECEIVE_SIZE),
                        _int(lookup, "connection.failed.authentication.delay.ms", 100))


class _Lookup:
    def __init__(self, props: Mapping[str, str], listener: str):
        self.props = props
        self.prefix = f"listener.name.{listener.lower()}."

    def find(self, name: str, mechanism: str | None = None) -> tuple[str | None, str | None]:
        """The most specific property setting ``name`` and its value, or (None, None)."""
        candidates = [f"{self.prefix}{mechanism.lower()}.{name}"] if mechanism else []
        for key in (*candidates, f"{self.prefix}{name}", name):
            if key in self.props and self.props[key].strip():
                return key, self.props[key]
        return None, None


def _login_module(lookup: _Lookup, mechanism: str, module: str, required: bool) -> LoginModuleEntry | None:
    name, text = lookup.find("sasl.jaas.config", mechanism)
    if name is None:
        if required:
            raise ConfigError(f"{lookup.prefix}{mechanism.lower()}.sasl.jaas.config is not set: {mechanism} on "
                              f"listener {lookup.prefix.split('.')[2].upper()} needs a {module.rsplit('.', 1)[1]} "
                              f"JAAS entry naming its users (user_<name>=\"<password>\")")
        return None
    try:
        entries = parse_jaas_config(text)
    except JaasError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    return next((entry for entry in entries if entry.login_module == module), None)


def find_login_module(props: Mapping[str, str], listener: str, mechanism: str,
                      module: str) -> tuple[str | None, LoginModuleEntry | None]:
    """The property holding ``mechanism``'s JAAS config on ``listener`` (most specific first) and
    its entry for login module ``module``: (None, None) when none is set; ConfigError if invalid."""
    lookup = _Lookup(props, listener)
    name, _text = lookup.find("sasl.jaas.config", mechanism)
    return name, _login_module(lookup, mechanism, module, required=False)


def _int(lookup: _Lookup, name: str, default: int, mechanism: str | None = None) -> int:
    key, text = lookup.find(name, mechanism)
    if key is None:
        return default
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(f"{key}: {text!r} is not a number") from None
