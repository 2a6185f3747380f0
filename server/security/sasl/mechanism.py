"""What every SASL mechanism's server side offers the authenticator, and how it fails.

A mechanism server is made per authentication; ``evaluate`` takes each client token and returns
the token to send back, until ``complete``; then ``authorization_id`` names the user and
``credential_expiry_ms`` (OAUTHBEARER's token expiry, else None) bounds the session.

Kafka distinguishes two failures, and so does this: ``SaslFailure`` carries a message meant for
the client ("Authentication failed: Invalid username or password", PLAIN's), while
``SaslInvalid`` is a failure whose details must not reach an unauthenticated client (whether a
SCRAM user exists, say): the client is told only "Authentication failed during authentication due
to invalid credentials with SASL mechanism <mechanism>".
"""

from __future__ import annotations

from typing import Protocol


class SaslFailure(Exception):
    """Authentication failed; the message is what the client is told (SaslAuthenticationException)."""


class SaslInvalid(Exception):
    """Authentication failed; the message is for the broker's log only (SaslException)."""


class MechanismServer(Protocol):
    complete: bool
    authorization_id: str
    credential_expiry_ms: int | None

    def evaluate(self, token: bytes) -> bytes: ...
