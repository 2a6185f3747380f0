"""The ``ssl.SSLContext`` of a TLS listener, built from Kafka's ``ssl.*`` properties.

odradek reads keys and certificates in PEM only, as Kafka 2.7+ accepts them (KIP-651):

- ``ssl.keystore.type=PEM`` with ``ssl.keystore.location`` (one file holding the private key and
  the certificate chain; the key encrypted with ``ssl.key.password`` or not at all), or inline
  ``ssl.keystore.certificate.chain`` and ``ssl.keystore.key``;
- ``ssl.truststore.type=PEM`` with ``ssl.truststore.location`` or inline
  ``ssl.truststore.certificates``: the CAs client (and peer broker) certificates must chain to;
- ``ssl.client.auth`` (none, requested, required), ``ssl.enabled.protocols``, ``ssl.protocol``
  and ``ssl.cipher.suites``.

JKS and PKCS12 stores (Kafka's default type is JKS) are refused with a line saying to use PEM.
Every mistake (a missing file, a wrong key password, a certificate that is not PEM) is found here,
at start-up, and reported as one ConfigError line naming the property and the path.

The same settings give the client context this broker uses to reach its peers over an SSL
inter-broker listener: the truststore checks the peer, the keystore is presented for mutual TLS.
"""

from __future__ import annotations

import os
import re
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

from ..startup_error import ConfigError
from .cipher_suites import choose
from .ssl_principal_mapper import SslPrincipalMapper
from .tls_settings import TlsSettings

DEFAULT_ENABLED_PROTOCOLS = "TLSv1.2,TLSv1.3"
DEFAULT_PROTOCOL = "TLSv1.3"
CLIENT_AUTH = {"none": ssl.CERT_NONE, "requested": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}
_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
             "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
_PROTOCOLS = ("TLS", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "SSL", "SSLv3")


@dataclass(frozen=True)
class ListenerTls:
    """What a TLS listener's connections need: the context, and how to name a client by its certificate."""

    context: ssl.SSLContext
    client_auth: str  # none, requested or required
    principal_mapper: SslPrincipalMapper


def listener_tls(props: Mapping[str, str], listener: str, security_protocol: str) -> ListenerTls:
    """The server side of one TLS listener; ConfigError (one line) for anything unusable."""
    settings = TlsSettings(props, listener, security_protocol)
    auth, auth_name = settings.get("ssl.client.auth", "none")
    auth = (auth or "none").strip().lower()
    if auth not in CLIENT_AUTH:
        raise ConfigError(f"{auth_name}={auth}: must be one of required, requested, none")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _configure(context, settings)
    if not _load_keystore(context, settings):
        raise ConfigError(f"listener {listener} ({security_protocol}) has no key and certificate: set "
                          f"ssl.keystore.type=PEM and ssl.keystore.location (or ssl.keystore.certificate.chain "
                          f"and ssl.keystore.key), or listener.name.{listener.lower()}.ssl.* for this listener")
    context.verify_mode = CLIENT_AUTH[auth]
    if auth != "none" and not _load_truststore(context, settings):
        context.load_default_certs(ssl.Purpose.CLIENT_AUTH)  # Java's default cacerts, in Kafka
    rules, rules_name = settings.get("ssl.principal.mapping.rules", "DEFAULT")
    try:
        mapper = SslPrincipalMapper(rules or "DEFAULT")
    except ValueError as exc:
        raise ConfigError(f"{rules_name}: {exc}") from None
    return ListenerTls(context, auth, mapper)


def client_context(props: Mapping[str, str], listener: str, security_protocol: str) -> ssl.SSLContext:
    """How this broker connects to a peer's TLS listener: the peer is checked against the
    truststore (and, with ``ssl.endpoint.identification.algorithm=https``, Kafka's default, its
    host name); the keystore is presented when the peer asks for a certificate."""
    settings = TlsSettings(props, listener, security_protocol)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _configure(context, settings)
    _load_keystore(context, settings)
    if not _load_truststore(context, settings):
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    algorithm = (settings.get("ssl.endpoint.identification.algorithm", "https")[0] or "").strip().lower()
    context.check_hostname = algorithm == "https"
    return context


def _configure(context: ssl.SSLContext, settings: TlsSettings) -> None:
    protocol, protocol_name = settings.get("ssl.protocol", DEFAULT_PROTOCOL)
    if (protocol or DEFAULT_PROTOCOL).strip() not in _PROTOCOLS:
        raise ConfigError(f"{protocol_name}={protocol}: not a TLS protocol ({', '.join(_PROTOCOLS)})")
    enabled_name = settings.get("ssl.enabled.protocols")[1]
    enabled = settings.list("ssl.enabled.protocols", DEFAULT_ENABLED_PROTOCOLS)
    unknown = [name for name in enabled if name not in _VERSIONS]
    if unknown or not enabled:
        raise ConfigError(f"{enabled_name}: {', '.join(unknown) or 'empty'}: "
                          f"the protocols odradek can enable are {', '.join(_VERSIONS)}")
    versions = sorted(_VERSIONS[name] for name in enabled)
    low, high = versions[0], versions[-1]
    suites = settings.list("ssl.cipher.suites")
    if suites:
        suites_name = settings.get("ssl.cipher.suites")[1]
        choice = choose(suites_name, suites)
        if choice.tls12:
            context.set_ciphers(":".join(choice.tls12))
        else:
            low = max(low, ssl.TLSVersion.TLSv1_3)
        if not choice.tls13:
            high = min(high, ssl.TLSVersion.TLSv1_2)
        if low > high:
            raise ConfigError(f"{suites_name}: no listed suite works with {enabled_name}={','.join(enabled)}")
    try:
        context.minimum_version, context.maximum_version = low, high
    except ValueError as exc:
        raise ConfigError(f"{enabled_name}: {exc}") from None


def _load_keystore(context: ssl.SSLContext, settings: TlsSettings) -> bool:
    """Load the key and certificate chain; False when none is configured."""
    location, location_name = settings.get("ssl.keystore.location")
    chain, chain_name = settings.get("ssl.keystore.certificate.chain")
    key, key_name = settings.get("ssl.keystore.key")
    if not (location or chain or key):
        return False
    store_type, type_name = settings.get("ssl.keystore.type", "JKS")
    _require_pem(type_name, store_type, location_name if location else chain_name)
    if settings.value("ssl.keystore.password"):
        raise ConfigError(f"{settings.get('ssl.keystore.password')[1]}: a PEM keystore has no store password; "
                          f"give the private key's password as ssl.key.password")
    password = settings.value("ssl.key.password")
    if location:
        if chain or key:
            raise ConfigError(f"{location_name} and {chain_name or key_name}: give the keystore as a file or "
                              f"inline, not both")
        _load_chain(context, location, password, f"{location_name}={location}")
        return True
    if not (chain and key):
        missing = key_name if chain else chain_name
        raise ConfigError(f"{missing}: an inline PEM keystore needs both ssl.keystore.certificate.chain "
                          f"and ssl.keystore.key")
    # Python's ssl loads keys from files only: a private file, removed as soon as it is read.
    with tempfile.TemporaryDirectory(prefix="odradek-tls-") as directory:
        path = os.path.join(directory, "keystore.pem")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(f"{_pem_text(key)}\n{_pem_text(chain)}\n")
        _load_chain(context, path, password, f"{chain_name} and {key_name}")
    return True


def _load_chain(context: ssl.SSLContext, path: str, password: str | None, what: str) -> None:
    if not os.path.isfile(path):
        raise ConfigError(f"{what}: no such file")
    try:
        context.load_cert_chain(path, password=password or "")
    except PermissionError:
        raise ConfigError(f"{what}: permission denied") from None
    except ssl.SSLError as exc:
        raise ConfigError(f"{what}: not a usable PEM private key and certificate chain (or the wrong "
                          f"ssl.key.password): {exc.reason or exc}") from None
    except OSError as exc:
        raise ConfigError(f"{what}: {exc.strerror or exc}") from None


def _load_truststore(context: ssl.SSLContext, settings: TlsSettings) -> bool:
    location, location_name = settings.get("ssl.truststore.location")
    inline, inline_name = settings.get("ssl.truststore.certificates")
    if not (location or inline):
        return False
    store_type, type_name = settings.get("ssl.truststore.type", "JKS")
    _require_pem(type_name, store_type, location_name if location else inline_name)
    if settings.value("ssl.truststore.password"):
        raise ConfigError(f"{settings.get('ssl.truststore.password')[1]}: a PEM truststore has no password")
    try:
        if location:
            if not os.path.isfile(location):
                raise ConfigError(f"{location_name}={location}: no such file")
            context.load_verify_locations(cafile=location)
        else:
            context.load_verify_locations(cadata=_pem_text(inline))
    except ssl.SSLError as exc:
        where = f"{location_name}={location}" if location else inline_name
        raise ConfigError(f"{where}: not PEM certificates: {exc.reason or exc}") from None
    except OSError as exc:
        raise ConfigError(f"{location_name}={location}: {exc.strerror or exc}") from None
    return True


def _require_pem(type_name: str, store_type: str | None, used_by: str) -> None:
    store_type = (store_type or "JKS").strip().upper()
    if store_type != "PEM":
        raise ConfigError(f"{type_name}={store_type}: odradek reads PEM keys and certificates only; convert the "
                          f"store to PEM and set {type_name}=PEM (needed by {used_by})")


_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


def _pem_text(value: str) -> str:
    """Inline PEM as a properties file gives it, rewrapped for OpenSSL: Kafka accepts each block's
    lines run together (line continuations drop the newlines) or written with ``\\n`` escapes."""
    blocks = []
    for kind, body in _PEM_BLOCK.findall(value.replace("\\n", "\n")):
        data = "".join(body.split())
        lines = [data[i:i + 64] for i in range(0, len(data), 64)]
        blocks.append("\n".join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"]))
    return "\n".join(blocks) + "\n"
