"""Java ``.properties`` files, the format of Kafka's ``server.properties``.

Operators bring their existing Kafka configuration, so we read the same syntax Java does:
``key=value``, ``key: value`` or ``key value``; ``#``/``!`` comments; backslash line
continuations and escapes.
"""

from __future__ import annotations

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _logical_lines(text: str):
    """Join backslash-continued lines (an odd number of trailing backslashes continues)."""
    pending = ""
    for raw in text.splitlines():
        line = raw.lstrip() if pending else raw.strip()
        if not pending and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            pending += line[:-1]
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def _unescape(text: str) -> str:
    out = []
    chars = iter(text)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        if nxt == "u":
            code = "".join(next(chars, "") for _ in range(4))
            out.append(chr(int(code, 16)))
        else:
            out.append(_ESCAPES.get(nxt, nxt))
    return "".join(out)


def _split_key(line: str) -> tuple[str, str]:
    """Split at the first unescaped ``=``, ``:`` or whitespace, as java.util.Properties does."""
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "=: \t\f":
            break
        i += 1
    key, rest = line[:i], line[i:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


def parse_properties(text: str) -> dict[str, str]:
    """Parse properties text into a dict; later keys win, as in Java."""
    props: dict[str, str] = {}
    for line in _logical_lines(text):
        key, value = _split_key(line)
        props[_unescape(key)] = _unescape(value)
    return props


def parse_override(item: str) -> tuple[str, str]:
    """Parse one ``--override key=value`` argument."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"override must look like key=value, got {item!r}")
    return key.strip(), value.strip()
