"""A SCRAM credential as Kafka keeps it: salt, stored key, server key and iteration count.

The password is never kept: ``kafka-configs --add-config 'SCRAM-SHA-256=[password=...]'`` salts
and hashes it in the client (AlterUserScramCredentials carries the salt and the salted password),
and the broker keeps only what RFC 5802 calls StoredKey (H(HMAC(salted, "Client Key"))) and
ServerKey (HMAC(salted, "Server Key")): enough to check a client's proof and sign the answer,
not enough to log in. Kafka writes one as text (``ScramCredentialUtils``):

    salt=<base64>,stored_key=<base64>,server_key=<base64>,iterations=4096

which is also how ZooKeeper's ``/config/users/<user>`` holds it, per mechanism name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

#: Kafka's ScramMechanism types, as AlterUserScramCredentials and DescribeUserScramCredentials carry them
MECHANISM_TYPES = {"SCRAM-SHA-256": 1, "SCRAM-SHA-512": 2}
MECHANISM_NAMES = {number: name for name, number in MECHANISM_TYPES.items()}
_HASHES = {"SCRAM-SHA-256": hashlib.sha256, "SCRAM-SHA-512": hashlib.sha512}
MIN_ITERATIONS = 4096  # Kafka's ScramMechanism.minIterations, for both
MAX_ITERATIONS = 16384  # what AlterUserScramCredentials accepts at most (Kafka's ScramControlManager)


@dataclass(frozen=True)
class ScramCredential:
    salt: bytes
    stored_key: bytes
    server_key: bytes
    iterations: int

    @classmethod
    def from_salted_password(cls, mechanism: str, salt: bytes, salted_password: bytes,
                             iterations: int) -> "ScramCredential":
        """What AlterUserScramCredentials' upsertion becomes (RFC 5802's key derivation)."""
        digest = _HASHES[mechanism]
        client_key = hmac.digest(salted_password, b"Client Key", digest)
        server_key = hmac.digest(salted_password, b"Server Key", digest)
        return cls(salt, digest(client_key).digest(), server_key, iterations)

    @classmethod
    def from_password(cls, mechanism: str, password: str, salt: bytes, iterations: int) -> "ScramCredential":
        """The credential of a password (what a client computes; used by tests and tools)."""
        salted = hashlib.pbkdf2_hmac(_HASHES[mechanism]().name, password.encode(), salt, iterations)
        return cls.from_salted_password(mechanism, salt, salted, iterations)

    def to_string(self) -> str:
        b64 = base64.b64encode
        return (f"salt={b64(self.salt).decode()},stored_key={b64(self.stored_key).decode()},"
                f"server_key={b64(self.server_key).decode()},iterations={self.iterations}")

    @classmethod
    def from_string(cls, text: str) -> "ScramCredential":
        """Kafka's text form; ValueError naming what is wrong."""
        fields = {}
        for token in text.split(","):
            key, sep, value = token.partition("=")
            if not sep or not key:
                raise ValueError(f"Credentials not valid: {text}")
            fields[key] = value
        if set(fields) != {"salt", "stored_key", "server_key", "iterations"}:
            raise ValueError(f"Credentials not valid: {text}")
        try:
            return cls(base64.b64decode(fields["salt"], validate=True),
                       base64.b64decode(fields["stored_key"], validate=True),
                       base64.b64decode(fields["server_key"], validate=True), int(fields["iterations"]))
        except (binascii.Error, ValueError):
            raise ValueError(f"Credentials not valid: {text}") from None
