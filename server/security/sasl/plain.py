"""SASL/PLAIN (RFC 4616), checked against the ``user_<name>="<password>"`` options of the
listener's PlainLoginModule JAAS entry, as Kafka's PlainServerCallbackHandler does.

The client sends ``[authzid] NUL authcid NUL passwd`` once; the answer is empty. Kafka's messages
on failure are kept word for word: clients show them to their users.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from .mechanism import SaslFailure

USER_PREFIX = "user_"


class PlainServer:
    def __init__(self, passwords: Mapping[str, str]):
        self._passwords = passwords  # user -> password
        self.complete = False
        self.authorization_id = ""
        self.credential_expiry_ms = None

    def evaluate(self, token: bytes) -> bytes:
        parts = token.decode("utf-8", errors="replace").split("\0", 3)
        if len(parts) != 3:
            raise SaslFailure(f"Invalid SASL/PLAIN response: expected 3 tokens, got {min(len(parts), 4)}")
        authorization_id, username, password = parts
        if not username:
            raise SaslFailure("Authentication failed: username not specified")
        if not password:
            raise SaslFailure("Authentication failed: password not specified")
        expected = self._passwords.get(username)
        if expected is None or not hmac.compare_digest(password.encode(), expected.encode()):
            raise SaslFailure("Authentication failed: Invalid username or password")
        if authorization_id and authorization_id != username:
            raise SaslFailure("Authentication failed: Client requested an authorization id that is different "
                              "from username")
        self.authorization_id = username
        self.complete = True
        return b""


def plain_passwords(options: Mapping[str, str]) -> dict[str, str]:
    """The users a PlainLoginModule entry's options define: ``user_alice="alice-secret"``."""
    return {key[len(USER_PREFIX):]: value for key, value in options.items() if key.startswith(USER_PREFIX)}
