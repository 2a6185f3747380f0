"""The TLS handshake of one accepted connection, and the principal its certificate names.

The handshake runs before the first request, bounded by ``HANDSHAKE_TIMEOUT_S``: a client that
sends garbage instead of a ClientHello, presents a certificate the truststore does not vouch for,
or starts a handshake and then stalls costs only its own connection, with one log line (Kafka's
own words, "Failed authentication with <address> (SSL handshake failed)") and no traceback; a
client that merely closes before finishing its handshake is logged at debug level only.

On an SSL listener a client certificate names the session's principal: ``User:`` followed by the
certificate's subject in Java's RFC 2253 form, passed through ``ssl.principal.mapping.rules``
(Kafka's DefaultKafkaPrincipalBuilder); without a certificate the principal stays
``User:ANONYMOUS``. On SASL_SSL the principal comes from SASL, not from the certificate.
"""

from __future__ import annotations

import logging

import trio

from .distinguished_name import subject_name
from .principal import KafkaPrincipal
from .session import Session
from .ssl_principal_mapper import NoMatchingRule
from .tls_context import ListenerTls

log = logging.getLogger("odradek.server")

HANDSHAKE_TIMEOUT_S = 10.0
ALERT_TIMEOUT_S = 1.0
_CLOSED = ("UNEXPECTED_EOF_WHILE_READING", "the client closed the connection")


async def handshake(stream: trio.SocketStream, tls: ListenerTls, session: Session,
                    peer: str) -> trio.SSLStream | None:
    """The stream wrapped in TLS and the session's principal set, or None (the connection is to be
    closed; the reason is logged) when the handshake fails, stalls or names no principal."""
    secure = trio.SSLStream(stream, tls.context, server_side=True)
    reason = None
    with trio.move_on_after(HANDSHAKE_TIMEOUT_S) as timer:
        try:
            await secure.do_handshake()
        except trio.BrokenResourceError as exc:
            reason = _reason(exc)
            await _send_alert(secure)
    if timer.cancelled_caught:
        reason = f"no handshake within {HANDSHAKE_TIMEOUT_S:g}s"
    if reason is None and session.security_protocol == "SSL":
        reason = _set_principal(secure, tls, session)
    if reason is None:
        log.debug("TLS connection from %s (%s) as %s", peer, secure.version(), session.principal)
        return secure
    # A client gone before finishing its handshake (a port probe, say) is not a failed login.
    level = logging.DEBUG if reason in _CLOSED else logging.INFO
    log.log(level, "Failed authentication with /%s (SSL handshake failed): %s", peer, reason)
    await trio.aclose_forcefully(stream)
    return None


async def _send_alert(secure: trio.SSLStream) -> None:
    """Send the TLS alert OpenSSL wrote when the handshake failed (certificate required, unknown
    CA, ...): trio drops it, and without it a Java client cannot tell a refused certificate
    (SslAuthenticationException, no retry) from a dropped connection (retried until it times
    out). It sits in trio's outgoing buffers, read here through their private names; a trio
    without them leaves the alert unsent, as before."""
    pending = (getattr(secure, "_delayed_outgoing", None) or b"")
    outgoing = getattr(secure, "_outgoing", None)
    if outgoing is not None:
        pending += outgoing.read()
    if pending:
        with trio.move_on_after(ALERT_TIMEOUT_S):
            try:
                await secure.transport_stream.send_all(pending)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass


def _set_principal(secure: trio.SSLStream, tls: ListenerTls, session: Session) -> str | None:
    certificate = secure.getpeercert(binary_form=True)
    if not certificate:
        return None  # no certificate (client auth none or requested): User:ANONYMOUS
    try:
        session.principal = KafkaPrincipal.user(tls.principal_mapper.name(subject_name(certificate)))
    except (NoMatchingRule, ValueError) as exc:
        return f"no principal for the client certificate: {exc}"
    return None


def _reason(exc: trio.BrokenResourceError) -> str:
    cause = exc.__cause__
    if cause is None:
        return str(exc) or "the client closed the connection"
    reason = getattr(cause, "reason", None) or str(cause) or type(cause).__name__
    detail = getattr(cause, "verify_message", None)  # why a certificate was refused
    return f"{reason} ({detail})" if detail else reason
