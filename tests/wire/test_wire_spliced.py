"""Spliced payloads: the chunked encoding equals the plain one once payloads are filled in."""

import pytest

from odradek.wire import ApiKey, EncodeError, RequestHeader, encode_response, encode_response_chunks


class Payload:
    """Stands for a file range: sized, opaque to the codec."""

    def __init__(self, data: bytes):
        self.data = data

    def __len__(self):
        return len(self.data)


def fetch_body(records_a, records_b):
    partition = {"partition_index": 0, "high_watermark": 10, "records": records_a}
    return {
        "responses": [
            {"topic": "t", "partitions": [partition, dict(partition, partition_index=1, records=records_b)]}
        ]
    }


@pytest.mark.parametrize("version", [4, 11, 12, 16])
def test_chunks_with_payloads_filled_in_equal_the_plain_encoding(version):
    header = RequestHeader(ApiKey.FETCH, version, 42, "c")
    a, b = b"A" * 100, b"B" * 3
    plain = encode_response(header, fetch_body(a, b))
    chunks = encode_response_chunks(header, fetch_body(Payload(a), Payload(b)))
    kinds = [type(c) for c in chunks]
    assert kinds[:4] == [bytes, Payload, bytes, Payload]  # flexible versions end with tagged fields
    assert kinds[4:] == ([bytes] if version >= 12 else [])
    assert b"".join(c if isinstance(c, bytes) else c.data for c in chunks) == plain


def test_without_payloads_it_is_one_chunk():
    header = RequestHeader(ApiKey.FETCH, 12, 1, None)
    body = fetch_body(b"x", b"")
    assert encode_response_chunks(header, body) == [encode_response(header, body)]


def test_plain_encoding_refuses_a_payload_object():
    with pytest.raises(EncodeError):
        encode_response(RequestHeader(ApiKey.FETCH, 12, 1, None), fetch_body(Payload(b"x"), b""))
