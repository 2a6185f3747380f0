"""Kafka's primitive types: layouts from the protocol guide, limits and error types."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odradek.wire.errors import DecodeError, EncodeError
from odradek.wire.types import (
    BOOLEAN, BYTES, COMPACT_BYTES, COMPACT_NULLABLE_BYTES, COMPACT_NULLABLE_STRING, COMPACT_STRING,
    FLOAT64, INT8, INT16, INT32, INT64, NULLABLE_BYTES, NULLABLE_STRING, STRING, TAGGED_FIELDS,
    UINT16, UINT32, UNSIGNED_VARINT, UUID, VARINT, VARLONG, Array,
)


@pytest.mark.parametrize(("codec", "value", "encoded"), [
    (INT8, -1, "ff"),
    (INT16, 258, "0102"),
    (INT32, -2, "fffffffe"),
    (INT64, 1, "0000000000000001"),
    (UINT16, 65535, "ffff"),
    (UINT32, 4294967295, "ffffffff"),
    (FLOAT64, 1.5, "3ff8000000000000"),
    (BOOLEAN, True, "01"),
    (BOOLEAN, False, "00"),
    (UNSIGNED_VARINT, 0, "00"),
    (UNSIGNED_VARINT, 127, "7f"),
    (UNSIGNED_VARINT, 128, "8001"),
    (UNSIGNED_VARINT, 300, "ac02"),
    (UNSIGNED_VARINT, 2**32 - 1, "ffffffff0f"),
    (VARINT, 0, "00"),
    (VARINT, -1, "01"),
    (VARINT, 1, "02"),
    (VARINT, -2, "03"),
    (VARINT, 2**31 - 1, "feffffff0f"),
    (VARINT, -(2**31), "ffffffff0f"),
    (VARLONG, -(2**63), "ffffffffffffffffff01"),
    (STRING, "abc", "0003616263"),
    (STRING, "", "0000"),
    (NULLABLE_STRING, None, "ffff"),
    (COMPACT_STRING, "abc", "04616263"),
    (COMPACT_NULLABLE_STRING, None, "00"),
    (BYTES, b"\x01\x02", "000000020102"),
    (NULLABLE_BYTES, None, "ffffffff"),
    (COMPACT_BYTES, b"\x01", "0201"),
    (COMPACT_NULLABLE_BYTES, None, "00"),
    (UUID, uuid.UUID(int=1), "00000000000000000000000000000001"),
    (Array(INT16), [1, 2], "0000000200010002"),
    (Array(INT16, nullable=True), None, "ffffffff"),
    (Array(INT16, compact=True), [1], "020001"),
    (Array(INT16, compact=True, nullable=True), None, "00"),
    (TAGGED_FIELDS, [(0, b"\x01"), (300, b"")], "020001 01ac0200"),
])
def test_known_encodings(codec, value, encoded):
    data = bytes.fromhex(encoded.replace(" ", ""))
    assert codec.build(value) == data
    assert codec.parse(data) == value


def test_any_non_zero_byte_is_true():
    assert BOOLEAN.parse(b"\x02") is True


def test_memoryview_builds_as_its_bytes():
    assert BYTES.build(memoryview(b"abc")) == b"\x00\x00\x00\x03abc"


def test_undecodable_utf8_round_trips_byte_for_byte():
    data = b"\x00\x02\xff\xfe"
    assert STRING.build(STRING.parse(data)) == data


@given(st.integers(0, 2**32 - 1))
def test_unsigned_varint_round_trip(value):
    assert UNSIGNED_VARINT.parse(UNSIGNED_VARINT.build(value)) == value


@given(st.integers(-(2**63), 2**63 - 1))
def test_varlong_round_trip(value):
    assert VARLONG.parse(VARLONG.build(value)) == value


@pytest.mark.parametrize(("codec", "data"), [
    (INT32, "000000"),
    (UNSIGNED_VARINT, "80"),
    (UNSIGNED_VARINT, "8080808080"),        # more than 5 bytes
    (VARINT, "ffffffff1f"),                  # wider than 32 bits
    (STRING, "0005616263"),                  # shorter than its length
    (STRING, "ffff"),                        # null in a non-nullable string
    (NULLABLE_STRING, "fffe"),               # negative length other than -1
    (COMPACT_STRING, "00"),                  # compact null where not nullable
    (BYTES, "ffffffff"),
    (Array(INT32), "ffffffff"),
    (Array(INT32), "7fffffff00000001"),      # count larger than the bytes left
    (Array(INT32, compact=True), "00"),
    (UUID, "00"),
    (TAGGED_FIELDS, "010005ab"),             # tagged field shorter than its size
])
def test_malformed_input_raises_decode_error(codec, data):
    with pytest.raises(DecodeError):
        codec.parse(bytes.fromhex(data))


@pytest.mark.parametrize(("codec", "value"), [
    (INT8, 128),
    (INT32, "1"),
    (INT64, None),
    (UINT16, -1),
    (UNSIGNED_VARINT, 2**35),
    (VARINT, 2**31),
    (BOOLEAN, "yes"),
    (STRING, None),
    (STRING, b"bytes"),
    (STRING, "x" * 40000),
    (COMPACT_BYTES, None),
    (BYTES, "text"),
    (UUID, "00000000-0000-0000-0000-000000000000"),
    (Array(INT16), None),
    (Array(INT16), 5),
    (Array(INT16), [1, 2**20]),
    (TAGGED_FIELDS, [(1, "text")]),
])
def test_unencodable_values_raise_encode_error(codec, value):
    with pytest.raises(EncodeError):
        codec.build(value)


def test_array_errors_say_which_element():
    with pytest.raises(EncodeError, match=r"^\[1\]: "):
        Array(INT16).build([1, 2**20])
    with pytest.raises(DecodeError, match=r"^\[1\]: "):
        Array(INT32).parse(bytes.fromhex("00000002" "00000001" "0000"))
