"""Hostile input: whatever bytes arrive, decoding raises only our own error types."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odradek.wire import (
    ALL_APIS, API_BY_NAME, DecodeError, UnsupportedVersionError, decode, encode_request,
    parse_request, parse_response,
)

from wire_strategies import versioned_values

EXPECTED = (DecodeError, UnsupportedVersionError)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def try_parse_request(frame: bytes) -> None:
    try:
        parse_request(frame)
    except EXPECTED:
        pass


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(frame):
    try_parse_request(frame)


supported = st.sampled_from(ALL_APIS).flatmap(
    lambda api: st.tuples(st.just(api), st.sampled_from(list(api.valid_versions))))


@FUZZ
@given(supported, st.binary(max_size=200))
def test_random_bodies_behind_a_valid_request_prefix(api_version, rest):
    api, version = api_version
    prefix = api.key.to_bytes(2, "big") + version.to_bytes(2, "big") + b"\x00\x00\x00\x01"
    try_parse_request(prefix + rest)


@FUZZ
@given(supported, st.binary(max_size=200))
def test_random_response_bodies(api_version, frame):
    api, version = api_version
    try:
        parse_response(api.key, version, frame)
    except DecodeError:
        pass


@pytest.mark.parametrize("api_name", ["Produce", "Fetch", "Metadata", "ApiVersions", "CreateTopics",
                                      "JoinGroup", "ConsumerGroupHeartbeat", "DescribeTopicPartitions"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_truncated_and_corrupted_valid_requests(api_name, data):
    api = API_BY_NAME[api_name]
    version, body = data.draw(versioned_values(api.request))
    frame = encode_request(api.key, version, 1, "fuzz", body)[4:]
    for end in range(len(frame)):
        with pytest.raises(EXPECTED):
            parse_request(frame[:end])
    position = data.draw(st.integers(0, len(frame) - 1))
    corrupted = bytearray(frame)
    corrupted[position] = data.draw(st.integers(0, 255))
    try_parse_request(bytes(corrupted))


@FUZZ
@given(st.sampled_from(ALL_APIS), st.binary(max_size=100))
def test_decode_of_any_message_version(api, data):
    for version in api.valid_versions:
        try:
            decode(api.request, version, data)
        except DecodeError:
            pass
