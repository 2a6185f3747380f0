"""Where a response's error codes are, per API, from its wire schema: counting them then visits
only the structs that hold an ``error_code``, never the rest of the response.

An API's error codes are at a few paths of arrays: none (the response's own ``error_code``),
``responses`` (each topic's), or ``responses``/``partition_responses`` (each partition's, as in
Produce). Each API gets a counting function made once for its paths (``error_counter``): plain
nested loops, one dict look-up per struct. It runs after the response was encoded, so every struct in it
is a mapping (the encoder insists).
"""

from __future__ import annotations

from functools import cache
from typing import Callable

from odradek.wire.apis import API_BY_KEY

ErrorPaths = tuple[tuple[str, ...], ...]
ErrorCounter = Callable[[object, dict], None]  # (response body, error code -> count)


def _paths(fields, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix] if any(field.name == "error_code" for field in fields) else []
    for field in fields:
        if field.is_struct and field.fields:
            found += _paths(field.fields, prefix + (field.name,))
    return found


@cache
def error_paths(api_key: int) -> ErrorPaths:
    """The paths of arrays that lead to the API's error codes (none for an API that has none)."""
    api = API_BY_KEY.get(api_key)
    return () if api is None else tuple(_paths(api.response.fields))


def _source(paths: ErrorPaths) -> str:
    """The body of one function counting every error code at ``paths``: nested loops over the
    arrays, one ``errors[code] += 1`` (a defaultdict) per struct that has a code."""
    lines = ["def count(body, errors):"]
    for path in paths:
        indent, struct = "    ", "body"
        for depth, name in enumerate(path):
            lines.append(f"{indent}for s{depth} in {struct}.get({name!r}) or ():")
            indent, struct = indent + "    ", f"s{depth}"
        lines += [f"{indent}code = {struct}.get('error_code')",
                  f"{indent}if code is not None:",
                  f"{indent}    errors[code] += 1"]
    if len(lines) == 1:
        lines.append("    pass")
    return "\n".join(lines) + "\n"


@cache
def error_counter(api_key: int) -> ErrorCounter:
    """A function adding one to ``errors[code]`` (a ``defaultdict(int)``) for each error code
    where the API's schema puts them. Made from source once per API (per process), so that counting is plain
    loops with no call per path: it runs for every response."""
    namespace: dict = {}
    exec(compile(_source(error_paths(api_key)), f"<error counter for API {api_key}>", "exec"), namespace)
    return namespace["count"]
