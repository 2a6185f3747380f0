"""Where a response's error codes are, per API, from its wire schema: counting them then visits
only the structs that hold an ``error_code`` (or lead to one), never the rest of the response.

A Produce response's counter, for example, is "each of ``responses``, then each of its
``partition_responses``": one dict per partition, whatever else the answer carries. The counter
runs on every response, so each API's is made once, as nested closures, the first time it is asked
for. It runs after the response was encoded, so every struct in it is a mapping (the encoder
insists).
"""

from __future__ import annotations

from functools import cache
from typing import Callable

from odradek.wire.apis import API_BY_KEY

#: counter(response, api key, errors): adds one to errors[(api key, code)] per error code found
Counter = Callable[[object, int, dict], None]


def _counter(fields) -> Counter | None:
    has_error_code = any(field.name == "error_code" for field in fields)
    children = tuple((field.name, counter) for field in fields if field.is_struct and field.fields
                     for counter in (_counter(field.fields),) if counter is not None)
    if not has_error_code and not children:
        return None

    def count(value, api_key: int, errors: dict) -> None:
        if has_error_code:
            code = value.get("error_code")
            if code is not None:
                key = (api_key, code)
                errors[key] = errors.get(key, 0) + 1
        for name, child in children:
            item = value.get(name)
            if isinstance(item, (list, tuple)):
                for element in item:
                    child(element, api_key, errors)
            elif isinstance(item, dict):
                child(item, api_key, errors)

    return count


@cache
def error_counter(api_key: int) -> Counter | None:
    """The API's counter (None: its responses carry no error code)."""
    api = API_BY_KEY.get(api_key)
    return None if api is None else _counter(api.response.fields)
