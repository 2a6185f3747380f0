"""Where a response's error codes are, per API, from its wire schema: counting them then visits
only the structs that hold an ``error_code``, never the rest of the response.

An API's error codes are at a few paths of arrays: none (the response's own ``error_code``),
``responses`` (each topic's), or ``responses``/``partition_responses`` (each partition's, as in
Produce), at most three deep. Counting walks those paths with plain loops, one dict per partition.
It runs after the response was encoded, so every struct in it is a mapping (the encoder insists).
"""

from __future__ import annotations

from functools import cache

from odradek.wire.apis import API_BY_KEY

ErrorPaths = tuple[tuple[str, ...], ...]


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


def count_errors(paths: ErrorPaths, body, api_key: int, errors: dict) -> None:
    """Add one to ``errors[(api_key, code)]`` for each error code at ``paths`` in ``body``."""
    for path in paths:
        if not path:
            code = body.get("error_code")
            if code is not None:
                key = (api_key, code)
                errors[key] = errors.get(key, 0) + 1
        elif len(path) == 1:
            for struct in body.get(path[0]) or ():
                code = struct.get("error_code")
                if code is not None:
                    key = (api_key, code)
                    errors[key] = errors.get(key, 0) + 1
        elif len(path) == 2:
            inner = path[1]
            for outer in body.get(path[0]) or ():
                for struct in outer.get(inner) or ():
                    code = struct.get("error_code")
                    if code is not None:
                        key = (api_key, code)
                        errors[key] = errors.get(key, 0) + 1
        else:
            rest = (path[1:],)
            for outer in body.get(path[0]) or ():
                count_errors(rest, outer, api_key, errors)
