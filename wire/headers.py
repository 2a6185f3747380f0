"""Request and response headers, and which header version goes with which API version.

The header version is not on the wire: both sides derive it from the API and its version.
Request header v1 adds the client id (a classic nullable string even in v2, which only adds
tagged fields); response header v1 adds tagged fields.
"""

from __future__ import annotations

from .api_keys import ApiKey
from .schema import Api, Field, Message

REQUEST_HEADER = Message(
    name="RequestHeader",
    valid_versions="0-2",
    flexible_versions="2+",
    fields=(
        Field("request_api_key", "int16", "0+"),
        Field("request_api_version", "int16", "0+"),
        Field("correlation_id", "int32", "0+"),
        Field("client_id", "string", "1+", nullable_versions="1+", default=None,
              flexible_versions="none"),
    ),
)

RESPONSE_HEADER = Message(
    name="ResponseHeader",
    valid_versions="0-1",
    flexible_versions="1+",
    fields=(
        Field("correlation_id", "int32", "0+"),
    ),
)


def request_header_version(api: Api, api_version: int) -> int:
    """2 for flexible API versions, else 1; ControlledShutdown v0 predates client ids (0)."""
    if api.key == ApiKey.CONTROLLED_SHUTDOWN and api_version == 0:
        return 0
    return 2 if api_version in api.flexible_versions else 1


def response_header_version(api: Api, api_version: int) -> int:
    """1 for flexible API versions, else 0.

    ApiVersions responses always use v0: a client that sent a version the broker does not
    know must still be able to read the answer (with the versions the broker does support).
    """
    if api.key == ApiKey.API_VERSIONS:
        return 0
    return 1 if api_version in api.flexible_versions else 0
