"""One connection's SASL exchange, driven as Kafka's SaslServerAuthenticator drives it.

A connection on a SASL listener starts unauthenticated. It may send ApiVersions (once), then must
send SaslHandshake naming a mechanism; anything else closes the connection, as Kafka does. After a
SaslHandshake v1 the mechanism's tokens come in SaslAuthenticate requests; after a v0 (legacy
clients) they come as bare size-prefixed frames without a Kafka request header, and are answered
the same way (``raw_token``), until the exchange completes. Success makes the session's principal
``User:<authorization id>``; a failure is answered with SASL_AUTHENTICATION_FAILED and Kafka's
message, after ``connection.failed.authentication.delay.ms``, and then the connection closes
(``failure`` is set: the connection loop sends the answer, then hangs up).

KIP-368: with ``connections.max.reauth.ms`` (or an OAUTHBEARER token's expiry) the session has a
lifetime, told to v1+ clients in SaslAuthenticate's ``session_lifetime_ms``; once it has passed,
any request but a new SaslHandshake closes the connection. A SaslHandshake on an authenticated
connection whose session has a lifetime starts re-authentication (at most once a second), which
must keep the mechanism and the principal; elsewhere it is answered ILLEGAL_SASL_STATE.

Until the connection is authenticated a frame may not exceed ``sasl.server.max.receive.size``
(``frame_limit``), so a stranger cannot make the broker buffer a 100 MB "token".
"""

from __future__ import annotations

import logging
import time

from odradek.wire import ApiKey, ErrorCode, frame

from ...close_connection import CloseConnection
from ..principal import KafkaPrincipal
from .listener_sasl import ListenerSasl
from .mechanism import SaslFailure, SaslInvalid
from .mechanism_names import OAUTHBEARER, PLAIN, SCRAM_MECHANISMS
from .oauthbearer import OAuthBearerServer
from .plain import PlainServer
from .scram import ScramServer

log = logging.getLogger("odradek.server")

_BEFORE_HANDSHAKE = frozenset({ApiKey.API_VERSIONS, ApiKey.SASL_HANDSHAKE})
_DURING_EXCHANGE = frozenset({ApiKey.SASL_AUTHENTICATE})
MIN_REAUTH_INTERVAL_S = 1.0


class SaslAuthenticator:
    def __init__(self, settings: ListenerSasl, session, scram_credentials):
        self.settings = settings
        self.session = session
        self._scram_credentials = scram_credentials
        self.mechanism: str | None = None
        self._server = None  # the mechanism's server, between handshake and completion
        self.raw_tokens = False  # after SaslHandshake v0: bare tokens, no Kafka header
        self.failure: str | None = None  # set when the connection must close after its answer
        self.expires_at: float | None = None  # time.monotonic() at which the session ends
        self._bad_reauth_mechanism: str | None = None
        self._reauth_started = -MIN_REAUTH_INTERVAL_S  # time.monotonic() of the last re-authentication
        self._versions_asked = False  # ApiVersions before the handshake: once

    # -- what the connection and the dispatcher ask ---------------------------------------------

    def frame_limit(self, configured: int) -> int:
        """The largest frame this connection may send now."""
        if self.session.authenticated:
            return configured
        return min(configured, self.settings.max_receive_size)

    def check_request(self, api_key: int) -> None:
        """CloseConnection unless a request of ``api_key`` may come now."""
        if self._server is not None:  # mid-exchange (first authentication or re-authentication)
            if api_key not in _DURING_EXCHANGE:
                raise CloseConnection(f"Unexpected Kafka request of type {_name(api_key)} during SASL authentication")
        elif not self.session.authenticated:
            if api_key not in _BEFORE_HANDSHAKE:
                raise CloseConnection(f"Unexpected Kafka request of type {_name(api_key)} during SASL handshake")
            if api_key == ApiKey.API_VERSIONS:  # once, as Kafka's authenticator allows it
                if self._versions_asked:
                    raise CloseConnection("Unexpected ApiVersions request received during SASL authentication")
                self._versions_asked = True
        elif self.expires_at is not None and time.monotonic() >= self.expires_at and api_key != ApiKey.SASL_HANDSHAKE:
            raise CloseConnection(f"the SASL session of {self.session.principal} expired (connections.max.reauth.ms) "
                                  f"and the client did not re-authenticate", quiet=True)

    # -- SaslHandshake ---------------------------------------------------------------------------

    def handshake(self, mechanism: str, version: int) -> dict:
        enabled = list(self.settings.mechanisms)
        if self.session.authenticated:
            # Re-authentication only where the session has a lifetime, and at most once a second
            # (Kafka's KafkaChannel); otherwise the handshake reaches Kafka's request handler,
            # which answers ILLEGAL_SASL_STATE and keeps the connection.
            now = time.monotonic()
            if self.expires_at is None or now - self._reauth_started < MIN_REAUTH_INTERVAL_S:
                return {"error_code": ErrorCode.ILLEGAL_SASL_STATE, "mechanisms": []}
            self._reauth_started = now
        if mechanism not in enabled:
            self._fail(f"Unsupported SASL mechanism {mechanism}")
            return {"error_code": ErrorCode.UNSUPPORTED_SASL_MECHANISM, "mechanisms": enabled}
        if self.session.authenticated and mechanism != self.mechanism:
            self._bad_reauth_mechanism = (f"SASL mechanism '{mechanism}' requested by client is not supported for "
                                          f"re-authentication of mechanism '{self.mechanism}'")
        self.mechanism = mechanism
        self._server = self._mechanism_server(mechanism)
        self.raw_tokens = version == 0
        return {"error_code": ErrorCode.NONE, "mechanisms": enabled}

    # -- SaslAuthenticate, and bare tokens -------------------------------------------------------

    def authenticate(self, token: bytes) -> dict:
        """SaslAuthenticate's answer to one token."""
        if self._server is None:  # authenticated, and not re-authenticating (check_request saw to the rest)
            return {"error_code": ErrorCode.ILLEGAL_SASL_STATE, "auth_bytes": b"", "session_lifetime_ms": 0,
                    "error_message": "SaslAuthenticate request received after successful authentication"}
        try:
            answer, lifetime_ms = self._evaluate(token)
        except SaslFailure as exc:
            message = str(exc)
        except SaslInvalid as exc:
            log.debug("SASL/%s failed for %s: %s", self.mechanism, self.session.client_host, exc)
            message = (f"Authentication failed during {self._text} due to invalid credentials with SASL "
                       f"mechanism {self.mechanism}")
        else:
            return {"error_code": ErrorCode.NONE, "error_message": None, "auth_bytes": answer,
                    "session_lifetime_ms": lifetime_ms}
        self._fail(message)
        return {"error_code": ErrorCode.SASL_AUTHENTICATION_FAILED, "error_message": message, "auth_bytes": b"",
                "session_lifetime_ms": 0}

    def raw_token(self, token: bytes) -> list[bytes]:
        """The answer to a bare token (after SaslHandshake v0): a bare size-prefixed token. A
        failure closes the connection without an answer: there is no header to answer with."""
        try:
            answer, _ = self._evaluate(token)
        except (SaslFailure, SaslInvalid) as exc:
            raise CloseConnection(f"SASL/{self.mechanism} authentication failed: {exc}", quiet=True) from None
        return [frame(answer)]

    @property
    def expects_raw_token(self) -> bool:
        return self.raw_tokens and self._server is not None

    def _evaluate(self, token: bytes) -> tuple[bytes, int]:
        if self._bad_reauth_mechanism is not None:
            raise CloseConnection(self._bad_reauth_mechanism)
        answer = self._server.evaluate(token)
        if not self._server.complete:
            return answer, 0
        principal = KafkaPrincipal.user(self._server.authorization_id)
        if self.session.authenticated and principal != self.session.principal:
            old = self.session.principal
            raise SaslFailure(f"Cannot change principals during re-authentication from {old.principal_type}.{old.name}: "
                              f"{principal.principal_type}.{principal.name}")
        lifetime_ms = self._session_lifetime_ms(self._server.credential_expiry_ms)
        self.expires_at = None if lifetime_ms is None else time.monotonic() + lifetime_ms / 1000
        self._server = None
        self.raw_tokens = False
        self.session.principal = principal
        self.session.authenticated = True
        return answer, lifetime_ms or 0

    def _session_lifetime_ms(self, credential_expiry_ms: int | None) -> int | None:
        """Kafka's rule: the shorter of connections.max.reauth.ms (if > 0) and the time left on
        the credential (if it expires); None when neither bounds the session."""
        max_reauth = self.settings.reauth_ms.get(self.mechanism, 0)
        left = None if credential_expiry_ms is None else max(0, credential_expiry_ms - int(time.time() * 1000))
        if max_reauth > 0:
            return max_reauth if left is None else min(left, max_reauth)
        return left

    def _mechanism_server(self, mechanism: str):
        if mechanism == PLAIN:
            return PlainServer(self.settings.plain_passwords)
        if mechanism in SCRAM_MECHANISMS:
            return ScramServer(mechanism, self._scram_credentials)
        if mechanism == OAUTHBEARER:
            return OAuthBearerServer(self.settings.oauthbearer_options)
        raise AssertionError(mechanism)  # listener_sasl enables only the mechanisms above

    def _fail(self, message: str) -> None:
        self.failure = message
        self._server = None
        log.info("Failed %s with %s (%s)", self._text, self.session.client_host, message)

    @property
    def _text(self) -> str:
        return "re-authentication" if self.session.authenticated else "authentication"


def _name(api_key: int) -> str:
    try:
        return ApiKey(api_key).name
    except ValueError:
        return str(api_key)
