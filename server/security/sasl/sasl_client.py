"""The client side of SASL, for a broker logging in to another broker (the inter-broker listener).

Kafka's brokers authenticate to each other as any client does: SaslHandshake (v1) naming the
mechanism, then the mechanism's tokens in SaslAuthenticate requests. ``SaslLogin`` is the
broker's own identity (mechanism, user name, password); ``start()`` gives one exchange, which
yields each token to send and checks each answer: PLAIN sends one token (RFC 4616), SCRAM two
(RFC 5802, on ``scramp``'s client, which also checks the server's signature, so a broker that
does not know the password cannot pass for one that does).
"""

from __future__ import annotations

from dataclasses import dataclass

from .mechanism_names import PLAIN, SCRAM_MECHANISMS


class SaslClientError(Exception):
    """The other broker's answer does not complete the exchange (a bad server signature, a
    malformed message); the message says what."""


@dataclass(frozen=True)
class SaslLogin:
    mechanism: str  # PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
    username: str
    password: str

    def __post_init__(self):
        if self.mechanism != PLAIN and self.mechanism not in SCRAM_MECHANISMS:
            raise ValueError(f"no SASL client for {self.mechanism}")

    def start(self) -> "PlainExchange | ScramExchange":
        if self.mechanism == PLAIN:
            return PlainExchange(self.username, self.password)
        return ScramExchange(self.mechanism, self.username, self.password)

    def __repr__(self) -> str:  # never the password, in a log line or a traceback
        return f"SaslLogin({self.mechanism}, {self.username!r})"


class PlainExchange:
    """One token: no authorization id, the user name and the password, NUL-separated."""

    def __init__(self, username: str, password: str):
        self._token = f"\0{username}\0{password}".encode()

    def first(self) -> bytes:
        return self._token

    def next(self, answer: bytes) -> bytes | None:
        """The next token to send after ``answer``, or None when the exchange is complete."""
        return None


class ScramExchange:
    """client-first, then client-final; the server-final answer is checked, then done."""

    def __init__(self, mechanism: str, username: str, password: str):
        import scramp  # once an inter-broker SCRAM login starts: a single broker never loads it

        self._scramp = scramp
        self._client = scramp.ScramClient([mechanism], username, password)
        self._step = 0

    def first(self) -> bytes:
        return self._client.get_client_first().encode()

    def next(self, answer: bytes) -> bytes | None:
        self._step += 1
        try:
            message = answer.decode("utf-8")
            if self._step == 1:
                self._client.set_server_first(message)
                return self._client.get_client_final().encode()
            self._client.set_server_final(message)
        except (UnicodeDecodeError, self._scramp.ScramException) as exc:
            raise SaslClientError(f"SCRAM exchange failed: {exc}") from None
        return None
