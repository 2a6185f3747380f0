"""SASL/OAUTHBEARER (RFC 7628) with Kafka's unsecured JWS tokens: for development, as Kafka ships it.

The client sends ``n,[a=<authzid>],^Aauth=Bearer <token>^A[key=value^A]...^A``. The token is a
JWS with ``"alg":"none"`` and no signature (``<header>.<claims>.``), checked the way Kafka's
OAuthBearerUnsecuredValidatorCallbackHandler checks it, with its JAAS options
(``unsecuredValidatorPrincipalClaimName``, default ``sub``; ``unsecuredValidatorScopeClaimName``,
default ``scope``; ``unsecuredValidatorRequiredScope``; ``unsecuredValidatorAllowableClockSkewMs``):
the principal claim must be a string, ``exp`` must not have passed, ``iat`` (if present) must not
be in the future nor after ``exp``, and the token's scope must hold every required scope.
Anyone can make such a token: never enable this mechanism where it matters.

A token that fails is answered, as RFC 7628 says, with a JSON error challenge
(``{"status":"invalid_token"}``); the client acknowledges it with a single ``^A`` and the
exchange fails with that JSON as the message. The token's ``exp`` bounds the session (KIP-368).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Mapping

from .mechanism import SaslFailure, SaslInvalid

_SEPARATOR = "\x01"
_AUTH = re.compile(r"([\w]+)[ ]+([-_.a-zA-Z0-9]+)")


class _IllegalToken(Exception):
    def __init__(self, reason: str, scope: str | None = None):
        super().__init__(reason)
        self.scope = scope


class OAuthBearerServer:
    def __init__(self, options: Mapping[str, str]):
        self._principal_claim = (options.get("unsecuredValidatorPrincipalClaimName") or "").strip() or "sub"
        self._scope_claim = (options.get("unsecuredValidatorScopeClaimName") or "").strip() or "scope"
        self._required_scope = (options.get("unsecuredValidatorRequiredScope") or "").split()
        try:
            self._skew_ms = int((options.get("unsecuredValidatorAllowableClockSkewMs") or "0").strip())
        except ValueError:
            self._skew_ms = 0
        self._error: str | None = None
        self.complete = False
        self.authorization_id = ""
        self.credential_expiry_ms: int | None = None

    def evaluate(self, token: bytes) -> bytes:
        if token == b"\x01" and self._error is not None:
            raise SaslFailure(self._error)  # the client acknowledged our error challenge
        self._error = None
        authzid, value = _initial_response(token)
        try:
            principal, expiry_ms = self._validate(value)
        except _IllegalToken as exc:
            # Kafka's JSON, byte for byte: {"status":"invalid_token"}, or with the required scope
            # as Java prints a list: {"status":"insufficient_scope", "scope":"[a, b]"}
            self._error = ('{"status":"invalid_token"}' if exc.scope is None
                           else f'{{"status":"insufficient_scope", "scope":"{exc.scope}"}}')
            return self._error.encode()
        if authzid and authzid != principal:
            raise SaslFailure(f"Authentication failed: Client requested an authorization id ({authzid}) that is "
                              f"different from the token's principal name ({principal})")
        self.authorization_id = principal
        self.credential_expiry_ms = expiry_ms
        self.complete = True
        return b""

    def _validate(self, value: str) -> tuple[str, int]:
        claims = _unsecured_claims(value)
        now_ms = time.time() * 1000
        principal = claims.get(self._principal_claim)
        if principal is None:
            raise _IllegalToken(f"Required claim missing: {self._principal_claim}")
        if not isinstance(principal, str) or not principal.strip():
            raise _IllegalToken(f"The {self._principal_claim} claim had the incorrect type")
        issued_at, expiry = claims.get("iat"), claims.get("exp")
        if expiry is None:
            raise _IllegalToken("Required claim missing: exp")
        for name, claim in (("iat", issued_at), ("exp", expiry)):
            if claim is not None and (not isinstance(claim, (int, float)) or isinstance(claim, bool)):
                raise _IllegalToken(f"The {name} claim had the incorrect type")
        if issued_at is not None and now_ms + self._skew_ms < issued_at * 1000:
            raise _IllegalToken("The Issued At value is in the future")
        if now_ms - self._skew_ms >= expiry * 1000:
            raise _IllegalToken("The token has expired")
        if issued_at is not None and expiry <= issued_at:
            raise _IllegalToken("The Expiration Time was not after the Issued At time")
        scope = claims.get(self._scope_claim, [])
        scope = scope.split() if isinstance(scope, str) else [s for s in scope if isinstance(s, str)] \
            if isinstance(scope, list) else []
        missing = [s for s in self._required_scope if s not in scope]
        if missing:
            raise _IllegalToken("The provided scope is missing a required scope", f"[{', '.join(self._required_scope)}]")
        return principal.strip(), int(expiry * 1000)


def _initial_response(token: bytes) -> tuple[str, str]:
    """The client's authorization id and bearer token; SaslInvalid if it is not RFC 7628's form."""
    try:
        text = token.decode("utf-8")
    except UnicodeDecodeError:
        raise SaslInvalid("Invalid OAUTHBEARER client first message") from None
    header, sep, rest = text.partition(_SEPARATOR)
    gs2 = header.split(",")
    if not sep or len(gs2) != 3 or gs2[0] != "n" or gs2[2] or (gs2[1] and not gs2[1].startswith("a=")) \
            or not rest.endswith(_SEPARATOR * 2):
        raise SaslInvalid("Invalid OAUTHBEARER client first message")
    pairs = dict(item.partition("=")[::2] for item in rest[:-2].split(_SEPARATOR) if item)
    match = _AUTH.fullmatch(pairs.get("auth", ""))
    if match is None or match.group(1).lower() != "bearer":
        raise SaslInvalid("Invalid OAUTHBEARER client first message")
    return gs2[1][2:], match.group(2)


def _unsecured_claims(value: str) -> dict:
    parts = value.split(".")
    if len(parts) != 3 or parts[2]:
        raise _IllegalToken("An unsecured JWS must have exactly three parts, the last one empty")
    try:
        header, claims = (json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in parts[:2])
    except (binascii.Error, ValueError):
        raise _IllegalToken("The token's header or claims are not base64url-encoded JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "none":
        raise _IllegalToken("An unsecured JWS must have the header {\"alg\":\"none\"}")
    return claims
