"""Requests and responses as whole frames: header versions, unsupported versions, errors."""

import pytest

from odradek.wire import (
    API_BY_KEY, ApiKey, DecodeError, RequestHeader, UnsupportedVersionError, encode_request,
    encode_response, parse_request, parse_response,
)
from odradek.wire.headers import request_header_version, response_header_version


@pytest.mark.parametrize(("api_key", "version", "request_header", "response_header"), [
    (ApiKey.METADATA, 8, 1, 0),
    (ApiKey.METADATA, 9, 2, 1),
    (ApiKey.PRODUCE, 9, 2, 1),
    (ApiKey.API_VERSIONS, 2, 1, 0),
    (ApiKey.API_VERSIONS, 3, 2, 0),          # ApiVersions responses always use header v0
    (ApiKey.CONTROLLED_SHUTDOWN, 0, 0, 0),   # the one request header v0
    (ApiKey.CONTROLLED_SHUTDOWN, 1, 1, 0),
])
def test_header_versions(api_key, version, request_header, response_header):
    api = API_BY_KEY[api_key]
    assert request_header_version(api, version) == request_header
    assert response_header_version(api, version) == response_header


def test_request_round_trip_through_a_frame():
    frame = encode_request(ApiKey.CREATE_TOPICS, 7, 11, "admin", {
        "topics": [{"name": "t", "num_partitions": 3, "replication_factor": 1,
                    "configs": [{"name": "cleanup.policy", "value": "compact"}]}],
        "timeout_ms": 100})
    assert int.from_bytes(frame[:4], "big") == len(frame) - 4
    header, body = parse_request(frame[4:])
    assert header == RequestHeader(19, 7, 11, "admin")
    assert body.topics[0].configs[0].value == "compact"
    assert body.topics[0].assignments == []
    assert body.validate_only is False


def test_response_round_trip_through_a_frame():
    header = RequestHeader(ApiKey.DELETE_TOPICS, 6, 99, "admin")
    frame = encode_response(header, {"responses": [{"name": "t", "error_code": 3}]})
    correlation_id, body = parse_response(ApiKey.DELETE_TOPICS, 6, frame[4:])
    assert correlation_id == 99
    assert (body.responses[0].name, body.responses[0].error_code) == ("t", 3)


def request_prefix(api_key: int, version: int, correlation_id: int) -> bytes:
    return (api_key.to_bytes(2, "big", signed=True) + version.to_bytes(2, "big", signed=True)
            + correlation_id.to_bytes(4, "big", signed=True))


@pytest.mark.parametrize(("api_key", "version"), [(999, 0), (-1, 0), (ApiKey.PRODUCE, 2), (ApiKey.API_VERSIONS, 9)])
def test_unsupported_api_or_version_raises_with_the_header(api_key, version):
    # A newer client's flexible header: client id (classic string), then tagged fields, then a body.
    frame = request_prefix(api_key, version, 77) + b"\x00\x03cli" + b"\x00" + b"\x05body"
    with pytest.raises(UnsupportedVersionError) as raised:
        parse_request(frame)
    error = raised.value
    assert (error.api_key, error.api_version, error.correlation_id, error.client_id) == (api_key, version, 77, "cli")


def test_unsupported_version_with_an_unreadable_client_id_still_raises_unsupported():
    with pytest.raises(UnsupportedVersionError) as raised:
        parse_request(request_prefix(ApiKey.API_VERSIONS, 9, 1) + b"\x00\x09ab")
    assert raised.value.client_id is None


@pytest.mark.parametrize("frame", [b"", b"\x00\x12\x00\x03\x00\x00"])
def test_frames_shorter_than_a_header_are_decode_errors(frame):
    with pytest.raises(DecodeError):
        parse_request(frame)


def test_trailing_bytes_after_a_request_are_ignored_as_kafka_does():
    # librdkafka's Metadata v11+ requests end with bytes no schema version has; Kafka ignores them.
    frame = encode_request(ApiKey.METADATA, 13, 1, "rdkafka", {"topics": None})[4:]
    header, body = parse_request(frame + b"\x01\x00\x00")
    assert header.correlation_id == 1 and body.topics is None


def test_encode_request_refuses_unknown_versions():
    with pytest.raises(UnsupportedVersionError):
        encode_request(ApiKey.PRODUCE, 1, 1, None, {})
