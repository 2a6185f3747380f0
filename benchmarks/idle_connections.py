"""Many client connections that each did a real handshake and then stay silent, held open.

Every connection sends ApiVersions and then Metadata for one topic, as a client starting up does,
reads both answers, and sends nothing more. The request frames are encoded once and reused, and
the answers are decoded only after the clock stops, so the opening time is the broker's (and the
kernel's), not our codecs'.
"""

from __future__ import annotations

import socket
import time

from odradek.tools.client.cluster import parse_bootstrap
from odradek.wire import ApiKey, FrameSplitter, encode_request, parse_response

from .probes import Probe, metadata_body

_API_VERSIONS_VERSION = 3


class IdleConnections:
    def __init__(self, bootstrap: str, count: int, topic: str, deadline_seconds: float = 120.0):
        """Open ``count`` connections one after another; raises if that takes over the deadline."""
        with Probe(bootstrap) as probe:
            metadata_version = probe.versions[ApiKey.METADATA]
        api_versions = encode_request(ApiKey.API_VERSIONS, _API_VERSIONS_VERSION, 1, "idle", {
            "client_software_name": "odradek-bench", "client_software_version": "0.1.0"})
        metadata = encode_request(ApiKey.METADATA, metadata_version, 2, "idle", metadata_body([topic]))
        address = parse_bootstrap(bootstrap)[0]
        self.sockets: list[socket.socket] = []
        answers: list[tuple[bytes, bytes]] = []
        start = time.perf_counter()
        try:
            for _ in range(count):
                if time.perf_counter() - start > deadline_seconds:
                    raise TimeoutError(f"opened only {len(self.sockets)} of {count} connections "
                                       f"in {deadline_seconds:.0f} s")
                sock = socket.create_connection(address, timeout=10.0)
                self.sockets.append(sock)
                answers.append((_exchange(sock, api_versions), _exchange(sock, metadata)))
            self.open_seconds = time.perf_counter() - start
            for sock in self.sockets:
                sock.setblocking(False)  # idle from now on; ``still_open`` only peeks
            for versions_frame, metadata_frame in answers:
                if parse_response(ApiKey.API_VERSIONS, _API_VERSIONS_VERSION, versions_frame)[1].error_code:
                    raise RuntimeError("ApiVersions failed on an idle connection")
                parse_response(ApiKey.METADATA, metadata_version, metadata_frame)
        except BaseException:
            self.close()
            raise

    def still_open(self) -> int:
        """How many of the connections the broker has not closed."""
        alive = 0
        for sock in self.sockets:
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    alive += 1  # unexpected bytes, but the connection is there
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
        return alive

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets.clear()

    def __enter__(self) -> "IdleConnections":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _exchange(sock: socket.socket, request: bytes) -> bytes:
    sock.sendall(request)
    splitter = FrameSplitter(1 << 24)
    while True:
        data = sock.recv(1 << 16)
        if not data:
            raise ConnectionError("the broker closed a new connection")
        frames = splitter.feed(data)
        if frames:
            return frames[0]
