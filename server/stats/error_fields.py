"""Where a response's error codes are, per API, from its wire schema: counting them then visits
only the structs that hold an ``error_code`` (or lead to one), never the rest of the response.

A Produce response's plan, for example, is "each of ``responses``, then each of its
``partition_responses``": a walk of one dict per partition, whatever else the answer carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from odradek.wire.apis import API_BY_KEY


@dataclass(frozen=True)
class ErrorPlan:
    has_error_code: bool  # this struct has an error_code field
    children: tuple[tuple[str, "ErrorPlan"], ...]  # struct (or struct array) fields leading to more


def _plan(fields) -> ErrorPlan | None:
    has_error_code = any(field.name == "error_code" for field in fields)
    children = tuple((field.name, plan) for field in fields if field.is_struct and field.fields
                     for plan in (_plan(field.fields),) if plan is not None)
    return ErrorPlan(has_error_code, children) if has_error_code or children else None


@cache
def error_plan(api_key: int) -> ErrorPlan | None:
    """The API's plan (None: its responses carry no error code)."""
    api = API_BY_KEY.get(api_key)
    return None if api is None else _plan(api.response.fields)


def count_errors(plan: ErrorPlan, value, api_key: int, errors: dict) -> None:
    """Add one to ``errors[(api_key, code)]`` for each error code ``plan`` finds in ``value``."""
    if plan.has_error_code:
        code = value.get("error_code")
        if code is not None:
            key = (api_key, int(code))
            errors[key] = errors.get(key, 0) + 1
    for name, child in plan.children:
        item = value.get(name)
        if isinstance(item, (list, tuple)):
            for element in item:
                if isinstance(element, dict):
                    count_errors(child, element, api_key, errors)
        elif isinstance(item, dict):
            count_errors(child, item, api_key, errors)
