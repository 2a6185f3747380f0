"""SaslAuthenticate: one SASL token of the exchange a SaslHandshake v1 began
(``security.sasl.authenticator``).

A failed authentication is answered SASL_AUTHENTICATION_FAILED with Kafka's message after
``connection.failed.authentication.delay.ms`` (Kafka's brake on password guessing, 100 ms by
default; it holds only this connection), then the connection closes. On a connection that is not
on a SASL listener, or already authenticated, Kafka answers ILLEGAL_SASL_STATE.
"""

from __future__ import annotations

import trio

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.SASL_AUTHENTICATE


async def handle(ctx, request) -> dict:
    sasl = ctx.session.sasl if ctx.session is not None else None
    if sasl is None:
        return {"error_code": ErrorCode.ILLEGAL_SASL_STATE, "auth_bytes": b"", "session_lifetime_ms": 0,
                "error_message": "SaslAuthenticate request received after successful authentication"}
    answer = sasl.authenticate(bytes(request.auth_bytes))
    if sasl.failure is not None and sasl.settings.failed_authentication_delay_ms > 0:
        await trio.sleep(sasl.settings.failed_authentication_delay_ms / 1000)
    return answer
