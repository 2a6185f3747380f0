"""Which listeners the broker opens, what each one's security protocol is, and where clients are
told to connect: Kafka's ``listeners``, ``listener.security.protocol.map``,
``advertised.listeners``, ``controller.listener.names`` and ``inter.broker.listener.name``.

Every security protocol is served: TLS on SSL and SASL_SSL listeners
(``server/security/tls_context.py``), SASL on SASL_PLAINTEXT and SASL_SSL ones
(``server/security/sasl/``). A KRaft controller listener is not a mistake (Kafka's own sample
configurations have one) but it is not opened, and the operator is told so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from .listeners import Listener, parse_listeners
from .startup_error import ConfigError

log = logging.getLogger("odradek.server")

DEFAULT_LISTENERS = "PLAINTEXT://:9092"
DEFAULT_PROTOCOL_MAP = "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT"
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
TLS_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})


def uses_tls(security_protocol: str) -> bool:
    """Whether a listener of this security protocol speaks TLS (SSL and SASL_SSL)."""
    return security_protocol in TLS_PROTOCOLS


def uses_sasl(security_protocol: str) -> bool:
    """Whether a listener of this security protocol authenticates with SASL (SASL_PLAINTEXT and SASL_SSL)."""
    return security_protocol.startswith("SASL_")


@dataclass(frozen=True)
class ListenerConfig:
    listeners: tuple[Listener, ...]  # the client listeners to open, in the order configured
    advertised: Mapping[str, Listener]  # listener name -> where clients are told to connect
    protocols: Mapping[str, str]  # listener name -> security protocol
    inter_broker: str  # the listener other brokers connect to

    @classmethod
    def from_props(cls, props: Mapping[str, str]) -> "ListenerConfig":
        protocols = _protocol_map(props.get("listener.security.protocol.map", DEFAULT_PROTOCOL_MAP))
        controller_names = {name.strip().upper() for name in props.get("controller.listener.names", "").split(",")
                            if name.strip()}
        configured = _parse("listeners", props.get("listeners", DEFAULT_LISTENERS))
        _check_distinct(configured)
        for listener in configured:
            if listener.name not in protocols and listener.name not in controller_names:
                raise ConfigError(f"listeners: no security protocol is defined for listener {listener.name} "
                                  f"(add {listener.name}:PLAINTEXT to listener.security.protocol.map)")
        controllers = [listener for listener in configured if listener.name in controller_names]
        if controllers:
            log.warning("listeners: not opening the KRaft controller listener %s: odradek has no KRaft "
                        "controller", ", ".join(str(listener) for listener in controllers))
        served = tuple(listener for listener in configured if listener.name not in controller_names)
        if not served:
            raise ConfigError("listeners: every listener is a controller listener (controller.listener.names); "
                              "a broker needs at least one listener for clients")
        advertised = _advertised(props, served, controller_names)
        inter_broker = _inter_broker(props, served, protocols)
        return cls(served, advertised, {listener.name: protocols[listener.name] for listener in served}, inter_broker)

    @property
    def first(self) -> Listener:
        """The listener ``--host``/``--port`` change, and the one the ready line names first."""
        return self.listeners[0]


def _parse(name: str, text: str) -> list[Listener]:
    try:
        return parse_listeners(text)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def _protocol_map(text: str) -> dict[str, str]:
    protocols = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, protocol = item.partition(":")
        protocol = protocol.strip().upper()
        if not sep or not name.strip():
            raise ConfigError(f"listener.security.protocol.map: {item!r} is not LISTENER_NAME:SECURITY_PROTOCOL")
        if protocol not in SECURITY_PROTOCOLS:
            raise ConfigError(f"listener.security.protocol.map: unknown security protocol {protocol} for "
                              f"listener {name.strip().upper()} (one of {', '.join(SECURITY_PROTOCOLS)})")
        protocols[name.strip().upper()] = protocol
    return protocols


def _check_distinct(listeners: list[Listener]) -> None:
    names, ports = set(), set()
    for listener in listeners:
        if listener.name in names:
            raise ConfigError(f"listeners: each listener must have a different name; {listener.name} appears twice")
        names.add(listener.name)
        if listener.port != 0 and listener.port in ports:
            raise ConfigError(f"listeners: each listener must have a different port; {listener.port} appears twice")
        ports.add(listener.port)


def _advertised(props: Mapping[str, str], served: tuple[Listener, ...], controllers: set[str]) -> dict[str, Listener]:
    """``advertised.listeners`` by name; a listener it leaves out advertises its own address, with
    ``localhost`` standing in for a wildcard host (Kafka would use the machine's canonical name).
    Controller listeners, which are not opened, are not advertised either."""
    by_name = {listener.name: listener for listener in served}
    advertised = {}
    for listener in _parse("advertised.listeners", props.get("advertised.listeners", "")):
        if listener.name in controllers:
            continue
        if listener.name not in by_name:
            raise ConfigError(f"advertised.listeners: {listener} names no listener in listeners "
                              f"({', '.join(by_name)})")
        if listener.host in ("0.0.0.0", "::"):
            raise ConfigError(f"advertised.listeners: {listener} cannot use the nonroutable meta-address "
                              f"{listener.host}; give a host clients can reach")
        advertised[listener.name] = listener
    for name, listener in by_name.items():
        if name not in advertised:
            host = "localhost" if listener.is_wildcard else listener.host
            advertised[name] = Listener(name, host, listener.port)
    return advertised


def _inter_broker(props: Mapping[str, str], served: tuple[Listener, ...], protocols: Mapping[str, str]) -> str:
    """``inter.broker.listener.name``, else the listener named after ``security.inter.broker.protocol``
    (PLAINTEXT), else the first listener: one broker alone never connects to another."""
    names = [listener.name for listener in served]
    if "inter.broker.listener.name" in props:
        if "security.inter.broker.protocol" in props:
            raise ConfigError("inter.broker.listener.name and security.inter.broker.protocol cannot both be set")
        chosen = props["inter.broker.listener.name"].strip().upper()
        if chosen not in names:
            raise ConfigError(f"inter.broker.listener.name: {chosen} is not a listener in listeners "
                              f"({', '.join(names)})")
        return chosen
    protocol = props.get("security.inter.broker.protocol", "PLAINTEXT").strip().upper()
    if protocol not in SECURITY_PROTOCOLS:
        raise ConfigError(f"security.inter.broker.protocol: unknown security protocol {protocol} (one of "
                          f"{', '.join(SECURITY_PROTOCOLS)})")
    for name in names:
        if name == protocol or protocols.get(name) == protocol:
            return name
    return names[0]
