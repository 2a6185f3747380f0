"""odradek's Kafka wire protocol: sans-IO codecs built with Construct from declarative schemas.

Start with ``protocol`` (requests and responses as frames), ``framing`` (splitting a byte
stream into frames) and ``apis`` (the schema of every API).
"""

from .api_keys import ApiKey
from .apis import ALL_APIS, API_BY_KEY, API_BY_NAME
from .codec import decode, default_struct, encode, message_codec
from .encoded_once import EncodedOnce
from .errors import (
    DecodeError, EncodeError, ErrorCode, FrameTooLargeError, FramingError, UnsupportedVersionError,
    WireError,
)
from .framing import FrameSplitter, frame
from .protocol import (
    RequestHeader, encode_request, encode_response, encode_response_chunks, parse_request, parse_response,
    response_correlation_id,
)
from .spliced import SplicingWriter
from .schema import Api, Field, Message, Versions

__all__ = [
    "ALL_APIS", "API_BY_KEY", "API_BY_NAME", "Api", "ApiKey", "DecodeError", "EncodedOnce", "EncodeError",
    "ErrorCode", "Field", "FrameSplitter", "FrameTooLargeError", "FramingError", "Message",
    "RequestHeader", "SplicingWriter", "UnsupportedVersionError", "Versions", "WireError", "decode",
    "default_struct", "encode", "encode_request", "encode_response", "encode_response_chunks", "frame", "message_codec",
    "parse_request", "parse_response", "response_correlation_id",
]
