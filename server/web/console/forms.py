"""What every form of the console shares: reading its fields, refusing a post made from another
site's page (a browser sends ``Origin`` with every POST; a console that changes topics must not be
driven by whatever page a user has open), and turning bad input into a line on the page."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

MAX_FORM_BYTES = 64 * 1024


class FormError(Exception):
    """Bad input: one line, shown on the page with the form again (status 400)."""


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser, or an old one: nothing to compare
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def fields(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form (the only kind the console's pages post), the body read
    up to ``MAX_FORM_BYTES``: a few names and values, parsed here rather than with a multipart
    library the console would need for nothing else."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormError(f"The form is larger than {MAX_FORM_BYTES} bytes.")
    text = body.decode("utf-8", "replace")
    return {name: value.strip() for name, value in parse_qsl(text, keep_blank_values=True)}


def integer(value: str, what: str, minimum: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise FormError(f"{what} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise FormError(f"{what} must be at least {minimum}.")
    return number


def timestamp_ms(text: str) -> int:
    """Milliseconds since the epoch, or an ISO date and time (UTC unless it names a zone)."""
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise FormError(f"{text!r} is neither a time like 2026-01-31T12:00:00 nor milliseconds since 1970.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return int(moment.timestamp() * 1000)
