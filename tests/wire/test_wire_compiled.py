"""The compiled Fetch codecs (wire/compiled.py) agree with the generic codec, byte for byte.

For every Fetch version, request and response: generated values encode to the generic codec's
bytes, and those bytes decode to the generic codec's values; frames the generic codec refuses
(random mutations, truncations, unknown tagged fields) are either refused by the compiled code
too (it gives up, so the generic codec decides) or decoded to the very same value. Through
``wire.protocol`` (which uses the compiled codecs for Fetch) the results and errors are the
generic codec's.
"""

import io
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odradek.wire import (
    API_BY_KEY, ApiKey, DecodeError, EncodeError, RequestHeader, decode, encode, encode_request,
    encode_response, encode_response_chunks, parse_request, parse_response,
)
from odradek.wire import compiled
from odradek.wire.codec import UNKNOWN_TAGGED_FIELDS, decode_from, encode_into
from odradek.wire.types import FrameStream

from wire_strategies import message_values

FETCH = API_BY_KEY[ApiKey.FETCH]
VERSIONS = list(FETCH.valid_versions)
MESSAGES = [pytest.param(message, id=message.name) for message in (FETCH.request, FETCH.response)]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def generic_encoding(message, version, value) -> bytes | None:
    try:
        return encode(message, version, value)
    except EncodeError:
        return None


def compiled_encoding(message, version, value) -> bytes | None:
    out = bytearray()
    try:
        compiled.encoder(message, version)(value, out, None)
    except Exception:  # noqa: BLE001 - it gave up
        return None
    return bytes(out)


def compiled_decoding(message, version, data: bytes, lend: bool):
    try:
        return compiled.decoder(message, version)(data, 0, memoryview(data) if lend else None)
    except Exception:  # noqa: BLE001 - it gave up
        return None


def generic_decoding(message, version, data: bytes, lend: bool):
    stream = FrameStream(data) if lend else io.BytesIO(data)
    try:
        value = decode_from(message, version, stream)
    except DecodeError:
        return None
    return value, stream.tell()


@pytest.mark.parametrize("message", MESSAGES)
@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(data=st.data())
def test_generated_values_encode_and_decode_as_the_generic_codec_does(message, version, data):
    value = data.draw(message_values(message, version))
    expected = generic_encoding(message, version, value)
    assert expected is not None
    assert compiled_encoding(message, version, value) == expected
    for lend in (False, True):
        assert compiled_decoding(message, version, expected, lend) == generic_decoding(message, version, expected, lend)


@pytest.mark.parametrize("message", MESSAGES)
@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(data=st.data())
def test_mutated_frames_decode_as_the_generic_codec_does_or_are_left_to_it(message, version, data):
    value = data.draw(message_values(message, version))
    frame = bytearray(encode(message, version, value))
    for _ in range(data.draw(st.integers(1, 4))):
        if frame:
            frame[data.draw(st.integers(0, len(frame) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(frame)))
    frame = bytes(frame[:cut])
    generic = generic_decoding(message, version, frame, True)
    fast = compiled_decoding(message, version, frame, True)
    if fast is not None:  # what it decodes, it decodes as the generic codec does
        assert fast == generic
    # and through the protocol layer (which uses the compiled codec), the generic codec's answer
    if message is FETCH.request:
        head = encode_request(ApiKey.FETCH, version, 3, "c", {})[4:]
        head = head[:len(head) - len(encode(message, version, {}))]
        try:
            through = parse_request(head + frame)[1]
        except DecodeError:
            through = None
        assert through == (generic[0] if generic is not None else None)
    else:
        head = encode_response(RequestHeader(ApiKey.FETCH, version, 3, "c"), {})[4:]
        head = head[:len(head) - len(encode(message, version, {}))]
        try:
            through = parse_response(ApiKey.FETCH, version, head + frame)[1]
        except DecodeError:
            through = None
        assert through == (generic[0] if generic is not None and generic[1] == len(frame) else None)


@pytest.mark.parametrize("message", MESSAGES)
@pytest.mark.parametrize("version", [v for v in VERSIONS if v >= 12])
@SETTINGS
@given(data=st.data(), tags=st.lists(st.tuples(st.integers(5, 300), st.binary(max_size=8)), max_size=3,
                                     unique_by=lambda entry: entry[0]))
def test_unknown_tagged_fields_are_kept_as_the_generic_codec_keeps_them(message, version, data, tags):
    value = data.draw(message_values(message, version))
    value[UNKNOWN_TAGGED_FIELDS] = sorted(tags)
    for topic in value.get("topics") or value.get("responses") or []:
        topic[UNKNOWN_TAGGED_FIELDS] = sorted(tags)
    expected = encode(message, version, value)
    assert compiled_encoding(message, version, value) == expected
    assert compiled_decoding(message, version, expected, True) == generic_decoding(message, version, expected, True)


class Payload:
    """A sized payload the codec must not look into (a log slice)."""

    def __init__(self, data: bytes):
        self.data = data

    def __len__(self):
        return len(self.data)


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(data=st.data())
def test_spliced_responses_are_the_generic_chunks(version, data):
    value = data.draw(message_values(FETCH.response, version))
    payloads = []
    for topic in value.get("responses") or []:
        for partition in topic.get("partitions") or []:
            records = partition.get("records")
            if records and data.draw(st.booleans()):
                partition["records"] = Payload(bytes(records))
                payloads.append(partition["records"])
    header = RequestHeader(ApiKey.FETCH, version, 7, "c")
    chunks = encode_response_chunks(header, value)
    from odradek.wire.spliced import SplicingWriter
    from odradek.wire.headers import RESPONSE_HEADER, response_header_version
    writer = SplicingWriter()
    writer.write(b"\0\0\0\0")
    encode_into(RESPONSE_HEADER, response_header_version(FETCH, version), {"correlation_id": 7}, writer)
    encode_into(FETCH.response, version, value, writer)
    generic = writer.chunks()
    assert [type(c) for c in chunks] == [type(c) for c in generic]
    assert chunks[1:] == generic[1:]
    assert chunks[0][4:] == generic[0][4:]
    assert [c for c in chunks if isinstance(c, Payload)] == payloads


BAD_VALUES = [
    ("topics", None), ("topics", [None]), ("topics", [{"partitions": [{"partition": "x"}]}]),
    ("topics", [{"partitions": [{"partition": 2**40}]}]), ("topics", [{"topic": 5, "topic_id": "nope"}]),
    ("max_wait_ms", None), ("rack_id", None), ("forgotten_topics_data", [{"partitions": [None]}]),
    ("replica_state", {"replica_id": "x"}), (UNKNOWN_TAGGED_FIELDS, [(1, "not bytes")]),
]


@pytest.mark.parametrize(("key", "bad"), BAD_VALUES)
@pytest.mark.parametrize("version", VERSIONS)
def test_bad_request_values_fail_as_the_generic_codec_fails(version, key, bad):
    value = {key: bad}
    try:
        generic = encode(FETCH.request, version, value)
    except EncodeError:
        generic = None
    fast = compiled_encoding(FETCH.request, version, value)
    if fast is not None:
        assert fast == generic
    if generic is None:
        with pytest.raises(EncodeError):
            encode_request(ApiKey.FETCH, version, 1, "c", value)


@pytest.mark.parametrize("bad", [{"records": "text"}, {"records": 5}, {"error_code": None},
                                 {"aborted_transactions": [{"producer_id": None}]}, {"diverging_epoch": 3}])
@pytest.mark.parametrize("version", VERSIONS)
def test_bad_response_values_fail_as_the_generic_codec_fails(version, bad):
    value = {"responses": [{"topic": "t", "topic_id": uuid.uuid4(), "partitions": [bad]}]}
    header = RequestHeader(ApiKey.FETCH, version, 1, "c")
    try:
        generic = encode(FETCH.response, version, value)
    except EncodeError:
        generic = None
    if generic is None:
        with pytest.raises(EncodeError):
            encode_response(header, value)
    else:
        assert encode_response(header, value)[8 + (1 if version >= 12 else 0):] == generic


@pytest.mark.parametrize("version", VERSIONS)
def test_a_fetch_of_ten_thousand_partitions_round_trips_through_the_protocol(version):
    topic_id = uuid.uuid4()
    body = {"max_wait_ms": 500, "min_bytes": 1, "max_bytes": 1 << 20, "session_id": 0, "session_epoch": -1,
            "topics": [{"topic": "many", "topic_id": topic_id, "partitions": [
                {"partition": i, "fetch_offset": i * 3, "partition_max_bytes": 1 << 20} for i in range(10_000)]}]}
    frame = encode_request(ApiKey.FETCH, version, 9, "c", body)
    header, request = parse_request(frame[4:])
    assert request == decode_from(FETCH.request, version, _after_header(frame[4:], version))
    answer = {"responses": [{"topic": "many", "topic_id": topic_id, "partitions": [
        {"partition_index": p.partition, "high_watermark": p.fetch_offset, "records": b"x" * (p.partition % 3)}
        for p in request.topics[0].partitions]}]}
    encoded = encode_response(header, answer)
    assert encoded[4:] == _generic_response(header, answer)
    correlation_id, decoded = parse_response(ApiKey.FETCH, version, encoded[4:])
    assert correlation_id == 9
    assert [p.records for p in decoded.responses[0].partitions][:4] == [b"", b"x", b"xx", b""]


def _after_header(frame: bytes, version: int) -> io.BytesIO:
    stream = FrameStream(frame)
    from odradek.wire.headers import REQUEST_HEADER, request_header_version
    decode_from(REQUEST_HEADER, request_header_version(FETCH, version), stream)
    return stream


def _generic_response(header, body) -> bytes:
    from odradek.wire.headers import RESPONSE_HEADER, response_header_version
    stream = io.BytesIO()
    encode_into(RESPONSE_HEADER, response_header_version(FETCH, header.api_version),
                {"correlation_id": header.correlation_id}, stream)
    encode_into(FETCH.response, header.api_version, body, stream)
    return stream.getvalue()
