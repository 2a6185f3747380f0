"""How the message browser shows a key, a value or a header's value: as text, as pretty-printed
JSON, or as hex (``auto``: JSON if it parses, else text if it is UTF-8, else hex). What is shown is
cut at ``MAX_SHOWN`` bytes; the templates escape it (keys and values are untrusted)."""

from __future__ import annotations

import json
from dataclasses import dataclass

FORMATS = ("auto", "text", "json", "hex")
MAX_SHOWN = 16 * 1024


@dataclass(frozen=True)
class Shown:
    text: str
    format: str  # what it was shown as: text, json, hex, or null
    size: int  # bytes
    cut: bool = False


def show(data: bytes | None, wanted: str = "auto") -> Shown:
    if data is None:
        return Shown("null", "null", 0)
    size = len(data)
    cut = size > MAX_SHOWN
    part = data[:MAX_SHOWN]
    if wanted == "hex":
        return Shown(_hex(part), "hex", size, cut)
    if wanted in ("json", "auto") and not cut:
        try:
            return Shown(json.dumps(json.loads(data), indent=2, ensure_ascii=False), "json", size)
        except (ValueError, RecursionError):
            pass
    try:
        text = part.decode("utf-8") if not cut else part.decode("utf-8", "ignore")
    except UnicodeDecodeError:
        if wanted == "text":
            return Shown(part.decode("utf-8", "replace"), "text", size, cut)
        return Shown(_hex(part), "hex", size, cut)
    return Shown(text, "text", size, cut)


def _hex(data: bytes) -> str:
    """16 bytes a line, in groups of two, with the offset of each line."""
    return "\n".join(f"{i:08x}  {data[i:i + 16].hex(' ', -2)}" for i in range(0, len(data), 16))
