"""Frames written out by hand from the protocol guide's rules, independent of our encoder.

Each frame is decoded and compared with the expected value, and the value is re-encoded and
compared with the frame.
"""

import uuid

import pytest

from odradek.wire import ApiKey, RequestHeader, encode_request, encode_response, parse_request, parse_response

from wire_strategies import assert_matches


def hexbytes(*parts: str) -> bytes:
    return bytes.fromhex("".join(parts).replace(" ", ""))


def text(value: str) -> str:
    return value.encode().hex()


def with_length(body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + body


REQUESTS = {
    "ApiVersions v3, librdkafka style": (
        hexbytes(
            "0012 0003 00000001",                       # api key 18, version 3, correlation id 1
            "0007", text("rdkafka"),                    # client id: int16 string even in header v2
            "00",                                       # header tagged fields
            "0b", text("librdkafka"),                   # compact string: length + 1
            "06", text("2.3.0"),
            "00"),                                      # body tagged fields
        RequestHeader(ApiKey.API_VERSIONS, 3, 1, "rdkafka"),
        {"client_software_name": "librdkafka", "client_software_version": "2.3.0"},
    ),
    "Metadata v12": (
        hexbytes(
            "0003 000c 0000002a",
            "ffff",                                     # null client id
            "00",
            "02",                                       # compact array of one topic
            "00000000000000000000000000000000",         # topic id
            "07", text("orders"), "00",                 # compact nullable name, topic tags
            "00",                                       # allow_auto_topic_creation = false
            "01",                                       # include_topic_authorized_operations
            "00"),
        RequestHeader(ApiKey.METADATA, 12, 42, None),
        {"topics": [{"topic_id": uuid.UUID(int=0), "name": "orders"}],
         "allow_auto_topic_creation": False, "include_topic_authorized_operations": True},
    ),
    "Metadata v0, classic encodings": (
        hexbytes(
            "0003 0000 00000002",
            "0001", text("c"),                          # header v1: no tagged fields
            "00000001",                                 # int32 array count
            "0001", text("a")),                         # int16 string
        RequestHeader(ApiKey.METADATA, 0, 2, "c"),
        {"topics": [{"name": "a"}]},
    ),
    "Produce v9 with records": (
        hexbytes(
            "0000 0009 00000005",
            "0002", text("p1"), "00",
            "00",                                       # null transactional id (compact)
            "ffff",                                     # acks -1
            "00007530",                                 # timeout 30000
            "02", "06", text("topic"),                  # one topic
            "02", "00000000", "04 010203", "00",        # one partition, 3 bytes of records
            "00", "00"),
        RequestHeader(ApiKey.PRODUCE, 9, 5, "p1"),
        {"transactional_id": None, "acks": -1, "timeout_ms": 30000,
         "topic_data": [{"name": "topic", "partition_data": [{"index": 0, "records": b"\x01\x02\x03"}]}]},
    ),
    "ControlledShutdown v0: request header v0": (
        hexbytes("0007 0000 00000003", "00000001"),     # no client id at all
        RequestHeader(ApiKey.CONTROLLED_SHUTDOWN, 0, 3, None),
        {"broker_id": 1},
    ),
}


@pytest.mark.parametrize("name", REQUESTS)
def test_known_request_frames(name):
    frame, header, body = REQUESTS[name]
    parsed_header, parsed_body = parse_request(frame)
    assert parsed_header == header
    assert_matches(body, parsed_body)
    assert encode_request(header.api_key, header.api_version, header.correlation_id,
                          header.client_id, body) == with_length(frame)


RESPONSES = {
    "ApiVersions v3: response header v0 despite flexible body": (
        hexbytes(
            "00000001",                                 # correlation id, and no tagged fields
            "0000",                                     # error code
            "02", "0000 0003 000b", "00",               # one api key: Produce 3..11
            "00000000",                                 # throttle time
            "00"),
        RequestHeader(ApiKey.API_VERSIONS, 3, 1, "rdkafka"),
        {"error_code": 0, "api_keys": [{"api_key": 0, "min_version": 3, "max_version": 11}],
         "throttle_time_ms": 0},
    ),
    "ApiVersions v0": (
        hexbytes("00000009", "0023", "00000001", "0012 0000 0003"),
        RequestHeader(ApiKey.API_VERSIONS, 0, 9, None),
        {"error_code": 35, "api_keys": [{"api_key": 18, "min_version": 0, "max_version": 3}]},
    ),
    "Produce v9: response header v1": (
        hexbytes(
            "00000005", "00",                           # correlation id, header tagged fields
            "02", "06", text("topic"),
            "02", "00000000", "0000",                   # partition 0, no error
            "000000000000002a",                         # base offset 42
            "ffffffffffffffff",                         # log append time -1
            "0000000000000000",                         # log start offset
            "01", "00", "00",                           # no record errors, null message, tags
            "00",
            "00000000", "00"),                          # throttle time, tags
        RequestHeader(ApiKey.PRODUCE, 9, 5, "p1"),
        {"responses": [{"name": "topic", "partition_responses": [{
            "index": 0, "error_code": 0, "base_offset": 42, "log_append_time_ms": -1,
            "log_start_offset": 0, "record_errors": [], "error_message": None}]}],
         "throttle_time_ms": 0},
    ),
}


@pytest.mark.parametrize("name", RESPONSES)
def test_known_response_frames(name):
    frame, header, body = RESPONSES[name]
    correlation_id, parsed = parse_response(header.api_key, header.api_version, frame)
    assert correlation_id == header.correlation_id
    assert_matches(body, parsed)
    assert encode_response(header, body) == with_length(frame)
