"""Where a response's error codes are, per API, from its wire schema: counting them then visits
only the structs that hold an ``error_code``, never the rest of the response.

An API's error codes are at a few paths of arrays: none (the response's own ``error_code``),
``responses`` (each topic's), or ``responses``/``partition_responses`` (each partition's, as in
Produce). Each API gets a counting function made once for its paths (``error_counter``): plain
loops, one dict look-up per struct. It runs after the response was encoded, so every struct in it
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


def _counter(path: tuple[str, ...]) -> ErrorCounter:
    if not path:
        def count(body, errors: dict) -> None:
            code = body.get("error_code")
            if code is not None:
                errors[code] = errors.get(code, 0) + 1
    elif len(path) == 1:
        name = path[0]

        def count(body, errors: dict) -> None:
            for struct in body.get(name) or ():
                code = struct.get("error_code")
                if code is not None:
                    errors[code] = errors.get(code, 0) + 1
    elif len(path) == 2:
        outer_name, inner_name = path

        def count(body, errors: dict) -> None:
            for outer in body.get(outer_name) or ():
                for struct in outer.get(inner_name) or ():
                    code = struct.get("error_code")
                    if code is not None:
                        errors[code] = errors.get(code, 0) + 1
    else:
        outer_name, inner = path[0], _counter(path[1:])

        def count(body, errors: dict) -> None:
            for outer in body.get(outer_name) or ():
                inner(outer, errors)
    return count


def _nothing(body, errors: dict) -> None:
    pass


def error_counter(api_key: int) -> ErrorCounter:
    """A function adding one to ``errors[code]`` for each error code where the API's schema puts them."""
    counters = [_counter(path) for path in error_paths(api_key)]
    if not counters:
        return _nothing
    if len(counters) == 1:
        return counters[0]

    def count_all(body, errors: dict) -> None:
        for count in counters:
            count(body, errors)
    return count_all

