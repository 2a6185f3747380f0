"""Record bytes as text that is safe to print on a terminal, one record per line.

Kafka's tools print keys, payloads and header keys as UTF-8 strings, raw: a payload holding an
escape sequence or a newline reaches the terminal as such.  odradek prints the same text where
it is printable, and escapes everything else, Python-style:

- bytes that are not UTF-8 are ``\\xNN`` (one per byte);
- characters that are not printable (control characters, including newline and tab, line and
  paragraph separators, format characters, unassigned code points) are ``\\n``, ``\\r``,
  ``\\t``, ``\\xNN`` below U+0100, ``\\uNNNN`` or ``\\UNNNNNNNN`` above.

A backslash already in the data is printed as is, so printable text comes out exactly as Kafka
prints it (the price: ``\\x00`` in the output may also be those four characters in the data).
JSON (the coordinator records' decoders) is printed compactly as Kafka's Jackson writes it;
JSON escapes the C0 controls itself, and the other non-printable characters are written as
``\\uNNNN`` escapes, which any JSON reader decodes back to the same string; bytes of a string
field that are not UTF-8 become U+FFFD, as in Kafka's output.
"""

from __future__ import annotations

import json
import re

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BYTE_ESCAPES = range(0xDC80, 0xDD00)  # where "surrogateescape" puts the bytes that are not UTF-8
_UNICODE_ESCAPE = re.compile(r"(\\\\)|\\u[0-9a-f]{4}")  # an escaped backslash is skipped whole


def printable_bytes(data: bytes) -> str:
    """``data`` as UTF-8 text with the bytes and characters that are not printable escaped."""
    return printable_text(data.decode("utf-8", errors="surrogateescape"))


def printable_text(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def compact_json(value: object) -> str:
    """``value`` as JSON without spaces, non-ASCII text kept as is unless it is not printable,
    ``\\u`` escapes in upper case hex (``\\u001B``) as Jackson writes them."""
    text = _UNICODE_ESCAPE.sub(_upper_hex, json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _json_escape(char) for char in text)


def _upper_hex(match: re.Match) -> str:
    return match[0] if match[1] else "\\u" + match[0][2:].upper()


def _escape(char: str) -> str:
    code = ord(char)
    if char in _SHORT:
        return _SHORT[char]
    if code in _BYTE_ESCAPES:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _json_escape(char: str) -> str:
    code = ord(char)
    if code in _BYTE_ESCAPES:
        return "\ufffd"  # a byte that is not UTF-8 in a decoded string: Java's String shows U+FFFD there
    if code < 0x10000:
        return f"\\u{code:04X}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON spells code points above the BMP
    return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"
