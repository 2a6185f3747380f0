"""One TCP connection to one broker, with the API versions both sides speak.

``request`` sends one request and blocks for its answer, which is all most tools need: a
blocking socket keeps them simple to read. ``send`` and ``receive`` split the two for a tool that
keeps several requests in flight (``odradek perf``): Kafka answers a connection's requests in the
order they came, so each answer belongs to the oldest request outstanding, whose correlation id
it must carry.

A request abandoned half-way (Ctrl-C or SIGTERM during a long-polling Fetch, a socket timeout,
anything raised between sending it and reading all of its answer) leaves the stream in an unknown
state: its answer may still arrive, or half a request may have been written.  So the connection is
closed then, as Kafka's own clients disconnect a node whose request timed out, and ``Client``
opens a new one for the next request.  Every answer's correlation id is also checked before its
body is decoded, so an answer is never read with another request's schema.
"""

from __future__ import annotations

import itertools
import socket
from collections import deque
from collections.abc import Mapping

from construct import Container

from odradek.wire import (
    API_BY_KEY, ApiKey, DecodeError, ErrorCode, FrameSplitter, encode_request, parse_response, response_correlation_id,
)

from .errors import KafkaError, check

MAX_FRAME = 1 << 30
_API_VERSIONS_VERSION = 3  # flexible, and answered by every Kafka since 2.4 and by odradek


class Connection:
    def __init__(self, host: str, port: int, client_id: str, timeout: float):
        self.address = f"{host}:{port}"
        self.client_id = client_id
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._splitter = FrameSplitter(MAX_FRAME)
        self._frames: deque[bytes] = deque()
        self._ids = itertools.count(1)
        self._in_flight: deque[tuple[int, int, int]] = deque()  # (correlation id, API key, version), oldest first
        self.versions = self._negotiate()

    def request(self, api_key: int, body: Mapping, version: int | None = None) -> Container | None:
        """Send one request at the negotiated (or given) version; the decoded answer.

        A Produce with acks=0 gets no answer from Kafka, so None is returned at once.  Raises
        ``ConnectionError`` (and closes the connection) when the broker answers another request.
        """
        if self._in_flight:
            raise RuntimeError(f"{self.address}: request() while {len(self._in_flight)} sent request(s) await answers")
        return self.receive() if self.send(api_key, body, version) else None

    def send(self, api_key: int, body: Mapping, version: int | None = None) -> bool:
        """Send one request without waiting; whether an answer will come (``receive`` reads it).

        A Produce with acks=0 gets no answer from Kafka, so it is not awaited."""
        if self.closed:
            raise ConnectionError(f"the connection to {self.address} is closed")
        if version is None:
            version = self.version(api_key)
        correlation_id = next(self._ids)
        request = encode_request(api_key, version, correlation_id, self.client_id, body)
        try:
            self._sock.sendall(request)
        except BaseException:
            self.close()  # perhaps half written: the stream cannot carry another request
            raise
        if api_key == ApiKey.PRODUCE and body.get("acks") == 0:
            return False
        self._in_flight.append((correlation_id, api_key, version))
        return True

    def receive(self) -> Container:
        """Block for the answer to the oldest request sent and not yet answered, and decode it.

        Raises ``ConnectionError`` (and closes the connection) when the broker answers another
        request or sends an answer that does not decode."""
        if not self._in_flight:
            raise RuntimeError(f"{self.address}: no request awaits an answer")
        try:
            frame = self._read_frame()
        except BaseException:
            self.close()  # abandoned: its answer must never be taken for the next request's
            raise
        correlation_id, api_key, version = self._in_flight.popleft()
        try:
            got = response_correlation_id(frame)
            if got != correlation_id:
                raise ConnectionError(f"{self.address} answered request {got}, expected {correlation_id}")
            return parse_response(api_key, version, frame)[1]
        except DecodeError as exc:
            self.close()
            raise ConnectionError(f"{self.address} sent an answer to {ApiKey(api_key).name} v{version} "
                                  f"that does not decode: {exc}") from None
        except ConnectionError:
            self.close()
            raise

    @property
    def in_flight(self) -> int:
        """Requests sent whose answers have not been received yet."""
        return len(self._in_flight)

    def version(self, api_key: int) -> int:
        """The highest version of ``api_key`` both we and the broker support."""
        if api_key not in self.versions:
            raise KafkaError(ErrorCode.UNSUPPORTED_VERSION, f"{self.address} and odradek share no version of {ApiKey(api_key).name}")
        return self.versions[api_key]

    @property
    def closed(self) -> bool:
        return self._sock.fileno() == -1

    def close(self) -> None:
        self._sock.close()
        self._in_flight.clear()  # their answers can no longer come

    def _negotiate(self) -> dict[int, int]:
        answer = self.request(ApiKey.API_VERSIONS, {"client_software_name": "odradek-tools",
                                                    "client_software_version": "0.1.0"},
                              version=_API_VERSIONS_VERSION)
        check(answer.error_code, f"ApiVersions from {self.address}")
        return shared_versions({entry.api_key: (entry.min_version, entry.max_version)
                                for entry in answer.api_keys})

    def _read_frame(self) -> bytes:
        while not self._frames:
            data = self._sock.recv(1 << 20)
            if not data:
                raise ConnectionError(f"{self.address} closed the connection")
            self._frames.extend(self._splitter.feed(data))
        return self._frames.popleft()


def shared_versions(broker: Mapping[int, tuple[int, int]]) -> dict[int, int]:
    """Per API key, the highest version in both our schema range and the broker's range."""
    shared = {}
    for key, (low, high) in broker.items():
        api = API_BY_KEY.get(key)
        if api is None:
            continue
        top = min(high, api.valid_versions.high)
        if top >= max(low, api.valid_versions.low):
            shared[key] = top
    return shared
