"""``ssl.cipher.suites``: Kafka's (Java's) cipher suite names, applied to Python's OpenSSL.

Kafka lists suites by their IANA names (``TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384``); OpenSSL
names the TLS 1.2 ones differently (``ECDHE-RSA-AES256-GCM-SHA384``), so each is translated and
checked against what this OpenSSL offers. TLS 1.3 suites keep their IANA names in OpenSSL, but
Python's ``ssl`` cannot choose among them: a list naming some of them but not all is refused
rather than quietly widened. As with Java, a list naming no TLS 1.3 suite leaves TLS 1.3 unable
to negotiate (the context stops at TLS 1.2), and one naming only TLS 1.3 suites leaves TLS 1.2
out.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from ..startup_error import ConfigError

_KEY_EXCHANGES = {"RSA": "", "ECDHE_RSA": "ECDHE-RSA", "ECDHE_ECDSA": "ECDHE-ECDSA", "DHE_RSA": "DHE-RSA",
                  "DHE_DSS": "DHE-DSS", "ECDHE_PSK": "ECDHE-PSK", "PSK": "PSK", "DHE_PSK": "DHE-PSK"}
_CIPHERS = {"AES_128_GCM": "AES128-GCM", "AES_256_GCM": "AES256-GCM", "AES_128_CBC": "AES128",
            "AES_256_CBC": "AES256", "AES_128_CCM": "AES128-CCM", "AES_256_CCM": "AES256-CCM",
            "CHACHA20_POLY1305": "CHACHA20-POLY1305", "ARIA_128_GCM": "ARIA128-GCM",
            "ARIA_256_GCM": "ARIA256-GCM", "CAMELLIA_128_CBC": "CAMELLIA128", "CAMELLIA_256_CBC": "CAMELLIA256"}


@dataclass(frozen=True)
class CipherChoice:
    tls12: tuple[str, ...]  # OpenSSL names, for set_ciphers; empty: no TLS 1.2 suite chosen
    tls13: bool  # whether the TLS 1.3 suites are wanted (all of them: Python cannot pick)


def choose(setting: str, suites: list[str]) -> CipherChoice:
    """Translate and check ``ssl.cipher.suites``; ConfigError names a suite this OpenSSL lacks."""
    offered = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    offered.set_ciphers("ALL:@SECLEVEL=0")
    by_protocol: dict[str, set[str]] = {}
    for cipher in offered.get_ciphers():
        by_protocol.setdefault(cipher["protocol"], set()).add(cipher["name"])
    tls13_offered = by_protocol.get("TLSv1.3", set())
    tls12, tls13 = [], []
    for suite in suites:
        if suite in tls13_offered:
            tls13.append(suite)
            continue
        name = openssl_name(suite)
        if name is None or not any(name in names for protocol, names in by_protocol.items() if protocol != "TLSv1.3"):
            raise ConfigError(f"{setting}: cipher suite {suite} is not one this broker's OpenSSL "
                              f"({ssl.OPENSSL_VERSION}) offers")
        tls12.append(name)
    if tls13 and set(tls13) != tls13_offered:
        raise ConfigError(f"{setting}: Python's ssl cannot choose among TLS 1.3 cipher suites; list all of "
                          f"{','.join(sorted(tls13_offered))} or none of them")
    return CipherChoice(tuple(tls12), bool(tls13))


def openssl_name(suite: str) -> str | None:
    """``TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`` -> ``ECDHE-RSA-AES128-GCM-SHA256``; None when
    the name does not have the IANA shape."""
    body = suite.removeprefix("TLS_").removeprefix("SSL_")
    exchange, sep, rest = body.partition("_WITH_")
    if not sep or exchange not in _KEY_EXCHANGES:
        return None
    for cipher, short in _CIPHERS.items():
        if rest.startswith(cipher):
            mac = rest[len(cipher):].lstrip("_")
            break
    else:
        return None
    parts = [_KEY_EXCHANGES[exchange], short]
    if mac and not short.endswith("POLY1305") and not short.endswith("CCM"):
        parts.append(mac)
    return "-".join(part for part in parts if part)
