"""Hypothesis strategies producing valid values for any message of our schema tables."""

from __future__ import annotations

from hypothesis import strategies as st

from odradek.wire.schema import Field, Message

_INTS = {
    "int8": (-(1 << 7), (1 << 7) - 1),
    "int16": (-(1 << 15), (1 << 15) - 1),
    "uint16": (0, (1 << 16) - 1),
    "int32": (-(1 << 31), (1 << 31) - 1),
    "uint32": (0, (1 << 32) - 1),
    "int64": (-(1 << 63), (1 << 63) - 1),
}


def _scalar(kind: str) -> st.SearchStrategy:
    if kind in _INTS:
        low, high = _INTS[kind]
        return st.integers(low, high)
    if kind == "bool":
        return st.booleans()
    if kind == "float64":
        return st.floats(allow_nan=False)
    if kind == "string":
        return st.text(max_size=12)
    if kind in ("bytes", "records"):
        return st.binary(max_size=24)
    if kind == "uuid":
        return st.uuids()
    raise AssertionError(kind)


def _element(field: Field, version: int) -> st.SearchStrategy:
    if field.is_struct:
        return struct_values(field.fields, version)
    return _scalar(field.element_type)


def field_values(field: Field, version: int) -> st.SearchStrategy:
    if field.is_array:
        values = st.lists(_element(field, version), max_size=3)
    else:
        values = _element(field, version)
    if version in field.nullable_versions:
        values = st.none() | values
    return values


def struct_values(fields: tuple[Field, ...], version: int) -> st.SearchStrategy:
    """Dicts holding a value for every field present in ``version`` (tagged ones included)."""
    present = {field.name: field_values(field, version) for field in fields if version in field.versions}
    return st.fixed_dictionaries(present)


def message_values(message: Message, version: int) -> st.SearchStrategy:
    return struct_values(message.fields, version)


def versioned_values(message: Message) -> st.SearchStrategy:
    """(version, value) pairs over all of the message's valid versions."""
    return st.sampled_from(list(message.valid_versions)).flatmap(
        lambda version: st.tuples(st.just(version), message_values(message, version)))


def assert_matches(expected, decoded) -> None:
    """``decoded`` holds every key of ``expected`` (a plain nested value) with an equal value."""
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert key in decoded, key
            assert_matches(value, decoded[key])
    elif isinstance(expected, list):
        assert isinstance(decoded, list) and len(decoded) == len(expected)
        for item, decoded_item in zip(expected, decoded):
            assert_matches(item, decoded_item)
    else:
        assert decoded == expected, (expected, decoded)
