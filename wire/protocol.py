"""Whole requests and responses, sans IO: frames in, values out, and back.

A *frame* here is what ``FrameSplitter`` yields: the bytes after the 4-byte length prefix.
The encoders return complete frames *with* the prefix, ready to send.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from construct import Container

from . import compiled
from .api_keys import ApiKey
from .apis import API_BY_KEY
from .codec import decode_from, encode_into, ensure_consumed
from .errors import DecodeError, UnsupportedVersionError
from .headers import REQUEST_HEADER, RESPONSE_HEADER, request_header_version, response_header_version
from .schema import Api
from .spliced import SplicingWriter
from .types import FrameStream

_PREFIX = struct.Struct(">hhi")  # api key, api version, correlation id: in every request header
_LENGTH = struct.Struct(">i")

#: APIs whose bodies go through compiled codecs (``wire/compiled.py``), the generic codec deciding
#: whatever those leave: messages whose arrays can hold thousands of entries
COMPILED_APIS = frozenset({ApiKey.FETCH})


@dataclass(frozen=True, slots=True)
class RequestHeader:
    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None


def parse_request(frame: bytes) -> tuple[RequestHeader, Container]:
    """Decode a request frame into its header and body.

    Raises ``UnsupportedVersionError`` (with the header fields, client id read as in header
    v1) for an unknown API key or a version outside the API's valid range, and
    ``DecodeError`` for anything malformed. Bytes after the body are ignored, as Kafka's own
    request parser ignores them: librdkafka's Metadata v11+ requests carry three such bytes.
    """
    if len(frame) < _PREFIX.size:
        raise DecodeError(f"request of {len(frame)} bytes is shorter than a request header")
    api_key, api_version, correlation_id = _PREFIX.unpack_from(frame)
    stream = FrameStream(frame)  # record batches come out as views of ``frame``, not copies
    api = API_BY_KEY.get(api_key)
    if api is None or api_version not in api.valid_versions:
        try:
            client_id = decode_from(REQUEST_HEADER, 1, stream).client_id
        except DecodeError:
            client_id = None
        raise UnsupportedVersionError(api_key, api_version, correlation_id, client_id)
    header = decode_from(REQUEST_HEADER, request_header_version(api, api_version), stream)
    if api_key in COMPILED_APIS:
        body = _decode_compiled(api.request, api_version, frame, stream, True)
    else:
        body = decode_from(api.request, api_version, stream)
    return RequestHeader(api_key, api_version, correlation_id, header.client_id), body


def encode_response(header: RequestHeader, body: Mapping) -> bytes:
    """The complete response frame (length prefix, response header, body) to ``header``'s request."""
    api = API_BY_KEY[header.api_key]
    stream = _start_frame()
    encode_into(RESPONSE_HEADER, response_header_version(api, header.api_version),
                {"correlation_id": header.correlation_id}, stream)
    if header.api_key in COMPILED_APIS:
        chunks = _encode_compiled(api.response, header.api_version, body, stream.getvalue(), False)
        if chunks is not None:
            [frame] = chunks
            return frame
    encode_into(api.response, header.api_version, body, stream)
    return _finish_frame(stream)


def encode_response_chunks(header: RequestHeader, body: Mapping) -> list:
    """Like ``encode_response``, but ``bytes``/``records`` fields may hold sized payload objects
    that are left out of the encoding: the result is the frame as a list of ``bytes`` chunks and
    those payloads, in wire order (see ``wire/spliced.py``)."""
    api = API_BY_KEY[header.api_key]
    writer = SplicingWriter()
    writer.write(b"\0\0\0\0")  # the length, patched in below
    encode_into(RESPONSE_HEADER, response_header_version(api, header.api_version),
                {"correlation_id": header.correlation_id}, writer)
    if header.api_key in COMPILED_APIS:
        chunks = _encode_compiled(api.response, header.api_version, body, writer.chunks()[0], True)
        if chunks is not None:
            return chunks
    encode_into(api.response, header.api_version, body, writer)
    chunks = writer.chunks()
    size = sum(len(chunk) for chunk in chunks) - 4
    chunks[0] = _LENGTH.pack(size) + chunks[0][4:]
    return chunks


def encode_request(api_key: int, api_version: int, correlation_id: int, client_id: str | None,
                   body: Mapping) -> bytes:
    """The complete request frame (length prefix, request header, body), for clients and tests."""
    api = _supported_api(api_key, api_version, correlation_id, client_id)
    stream = _start_frame()
    header = {"request_api_key": api_key, "request_api_version": api_version,
              "correlation_id": correlation_id, "client_id": client_id}
    encode_into(REQUEST_HEADER, request_header_version(api, api_version), header, stream)
    encode_into(api.request, api_version, body, stream)
    return _finish_frame(stream)


def response_correlation_id(frame: bytes) -> int:
    """The correlation id a response frame answers, read without decoding anything else: every
    response header version starts with it, so a client can tell which request an answer belongs
    to before it picks the schema to decode the body with."""
    if len(frame) < _LENGTH.size:
        raise DecodeError(f"response of {len(frame)} bytes is shorter than a correlation id")
    return _LENGTH.unpack_from(frame)[0]


def parse_response(api_key: int, api_version: int, frame: bytes) -> tuple[int, Container]:
    """Decode a response frame to a request of ``api_key`` at ``api_version``."""
    api = _supported_api(api_key, api_version, None, None)
    stream = io.BytesIO(frame)
    header = decode_from(RESPONSE_HEADER, response_header_version(api, api_version), stream)
    if api_key in COMPILED_APIS:
        body = _decode_compiled(api.response, api_version, frame, stream, False)
    else:
        body = decode_from(api.response, api_version, stream)
    ensure_consumed(stream, len(frame), api.response.name)
    return header.correlation_id, body


def _decode_compiled(message, version: int, frame, stream: io.BytesIO, lend: bool) -> Container:
    """The body at the stream's position, by the compiled decoder if it takes the bytes (the stream
    then moves past them), else by the generic one (which raises the errors)."""
    try:
        body, end = compiled.decoder(message, version)(frame, stream.tell(), memoryview(frame) if lend else None)
    except Exception:  # noqa: BLE001 - anything unusual: the generic codec decides
        return decode_from(message, version, stream)
    stream.seek(end)
    return body


def _encode_compiled(message, version: int, body: Mapping, head: bytes, splicing: bool) -> list | None:
    """The frame as chunks (see ``encode_response_chunks``; one ``bytes`` without ``splicing``),
    ``head`` being its first bytes (a placeholder length and the response header); None when the
    compiled encoder leaves the body to the generic one (which raises the errors)."""
    out = bytearray(head)
    chunks: list | None = [] if splicing else None
    try:
        compiled.encoder(message, version)(body, out, chunks)
    except Exception:  # noqa: BLE001 - anything unusual: the generic codec decides
        return None
    if not splicing:
        _LENGTH.pack_into(out, 0, len(out) - 4)
        return [bytes(out)]
    if out:
        chunks.append(bytes(out))
    size = sum(len(chunk) for chunk in chunks) - 4
    first = chunks[0]
    chunks[0] = _LENGTH.pack(size) + first[4:]
    return chunks


def _supported_api(api_key: int, api_version: int, correlation_id, client_id) -> Api:
    api = API_BY_KEY.get(api_key)
    if api is None or api_version not in api.valid_versions:
        raise UnsupportedVersionError(api_key, api_version, correlation_id, client_id)
    return api


def _start_frame() -> io.BytesIO:
    stream = io.BytesIO()
    stream.write(b"\0\0\0\0")  # the length, patched in by _finish_frame
    return stream


def _finish_frame(stream: io.BytesIO) -> bytes:
    with stream.getbuffer() as buffer:
        _LENGTH.pack_into(buffer, 0, len(buffer) - 4)
    return stream.getvalue()
