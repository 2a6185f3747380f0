"""SaslHandshake: the client names its SASL mechanism (``security.sasl.authenticator``).

On a connection that is not on a SASL listener Kafka answers ILLEGAL_SASL_STATE, and so does this.
An unknown mechanism is answered UNSUPPORTED_SASL_MECHANISM with the enabled ones, and the
connection closes after the answer (delayed as a failed authentication is).
"""

from __future__ import annotations

import trio

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.SASL_HANDSHAKE


async def handle(ctx, request) -> dict:
    sasl = ctx.session.sasl if ctx.session is not None else None
    if sasl is None:
        return {"error_code": ErrorCode.ILLEGAL_SASL_STATE, "mechanisms": []}
    answer = sasl.handshake(request.mechanism, ctx.version)
    if sasl.failure is not None and sasl.settings.failed_authentication_delay_ms > 0:
        await trio.sleep(sasl.settings.failed_authentication_delay_ms / 1000)
    return answer
