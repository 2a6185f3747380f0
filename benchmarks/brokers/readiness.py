"""When a broker is up: the first Metadata request it answers with itself as a broker.

A raw Metadata v1 request over a fresh TCP connection (odradek's own codecs), retried every few
milliseconds; a log line would differ per broker and could precede the listener being usable.
"""

from __future__ import annotations

import socket
import struct
import time
from typing import Callable

from construct import ConstructError

from odradek.wire.api_keys import ApiKey
from odradek.wire.protocol import encode_request, parse_response

METADATA_VERSION = 1      # null topics = all topics; every broker under test speaks it
RETRY_INTERVAL = 0.01     # seconds between attempts
ATTEMPT_TIMEOUT = 1.0     # seconds one connection may take to answer


def wait_for_metadata(host: str, port: int, timeout: float,
                      exited: Callable[[], int | None], brokers: int = 1) -> None:
    """Return once ``host:port`` answers Metadata listing at least ``brokers`` brokers (all of its
    cluster); raise on ``timeout`` or if the process exits."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        code = exited()
        if code is not None:
            raise RuntimeError(f"the process exited with {code} before answering")
        try:
            if metadata_brokers(host, port) >= brokers:
                return
        except (OSError, ValueError, ConstructError) as error:  # not listening yet, or half up
            last_error = error
        time.sleep(RETRY_INTERVAL)
    raise TimeoutError(f"no Metadata answer within {timeout}s (last error: {last_error!r})")


def wait_for_service(ready: Callable[[], bool], timeout: float, exited: Callable[[], int | None]) -> None:
    """Return once ``ready()`` is true, for a server that is no broker (ZooKeeper's ``ruok``)."""
    deadline = time.monotonic() + timeout
    while not ready():
        code = exited()
        if code is not None:
            raise RuntimeError(f"the process exited with {code} before serving")
        if time.monotonic() > deadline:
            raise TimeoutError(f"not serving within {timeout}s")
        time.sleep(RETRY_INTERVAL)


def metadata_brokers(host: str, port: int) -> int:
    """How many brokers one Metadata answer from ``host:port`` lists."""
    request = encode_request(ApiKey.METADATA, METADATA_VERSION, 1, "benchmarks-probe", {"topics": None})
    with socket.create_connection((host, port), timeout=ATTEMPT_TIMEOUT) as connection:
        connection.sendall(request)
        (size,) = struct.unpack(">i", _read_exactly(connection, 4))
        _, body = parse_response(ApiKey.METADATA, METADATA_VERSION, _read_exactly(connection, size))
    return len(body.brokers)


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = connection.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("closed before a whole answer")
        chunks += chunk
    return bytes(chunks)
