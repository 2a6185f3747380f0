"""A minimal blocking client on odradek's own codecs, for protocol paths no client library takes
(deleting by topic ID, legacy versions) — still a real broker process over real TCP."""

from __future__ import annotations

import itertools
import socket

from odradek.wire import encode_request, parse_response

from .raw_kafka import WAIT, read_response


class WireClient:
    def __init__(self, broker, client_id: str = "wire-client"):
        self.sock = socket.create_connection(("127.0.0.1", broker.port), timeout=WAIT)
        self.client_id = client_id
        self._ids = itertools.count(1)

    def send(self, api_key: int, version: int, body: dict):
        """Send one request; the decoded response body, or None if the broker hung up."""
        correlation_id = next(self._ids)
        self.sock.sendall(encode_request(api_key, version, correlation_id, self.client_id, body))
        frame = read_response(self.sock)
        if frame is None:
            return None
        got, response = parse_response(api_key, version, frame)
        assert got == correlation_id
        return response

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
