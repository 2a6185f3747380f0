"""The soak's misbehaving clients, as raw sockets from their own loopback address (127.0.0.2).

Each kind runs in its own thread until told to stop (``soak_threads``), paced so that together they
cost the shared machine little CPU: the point is what they make the broker hold, not how hard they
hammer it.

- *partial frames*: connections that announce a request just under ``socket.request.max.bytes``,
  send most of it and stall (the request pool, ``queued.max.request.bytes``, must bound what the
  broker holds); now and then one announces 100 MB, above ``socket.request.max.bytes``;
- *flood*: bursts of connections opened at once, more than ``max.connections.per.ip`` allows this
  address (the rest are refused);
- *garbage*: random bytes where a request should be;
- *slow reader*: one connection pipelining Fetch requests for 1 MB answers and never reading them;
- *slowloris*: connections that each send a small request one byte a second. They are never idle,
  so, as in Kafka (whose selector counts any read as activity), ``connections.max.idle.ms`` keeps
  them: they must cost nothing but their own connection, and each request is answered once whole;
- *pipeliner*: a connection every few seconds that sends hundreds of requests in one go, reads no
  answer, and hangs up (every other time with a reset) while the broker is still answering.

Every connection the broker closes is counted (refused, reaped as idle, or hung up on for garbage),
and the kind opens another.
"""

from __future__ import annotations

import os
import socket
import struct
import time

from odradek.wire import ApiKey, encode_request

from .soak_threads import ClientThreads

SOURCE = "127.0.0.2"
MB = 1024 * 1024
PARTIAL_CONNECTIONS = 16
PARTIAL_SENT = 6 * MB              # of each announced request
OVERSIZED = 100 * MB
OVERSIZED_EVERY = 10.0
FLOOD_BURST = 60
FLOOD_EVERY = 3.0                  # seconds between bursts
GARBAGE_EVERY = 0.5
SLOW_READER_REQUESTS = 2_000       # Fetch requests for 1 MB answers pipelined, never read
SLOWLORIS_CONNECTIONS = 8
SLOWLORIS_EVERY = 1.0              # seconds between two bytes of a slowloris request
PIPELINED = 500                    # requests the pipeliner sends at once, reading no answer
PIPELINE_EVERY = 2.0
CHUNK = b"\x01" * (256 * 1024)


class Hostile(ClientThreads):
    """The hostile mix against ``port``; ``counts`` says what each kind did."""

    JOIN_TIMEOUT = 30.0

    def __init__(self, port: int, announced: int, fetch_topic: str):
        self.port = port
        self.announced = announced              # bytes each partial frame announces
        self.fetch_topic = fetch_topic
        super().__init__([self._partial_frames, self._flood, self._garbage, self._slow_reader,
                          self._slowloris, self._pipeliner])

    def _connect(self, timeout: float = 5.0) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout,
                                            source_address=(SOURCE, 0))
        except OSError:
            self._count("connect failed")
            return None
        self._count("connections opened")
        return sock

    def _closed(self, sock: socket.socket) -> bool:
        """The broker hung up (a non-blocking peek sees the end of the stream or a reset)."""
        try:
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    # -- the kinds ------------------------------------------------------------------------------

    def _partial_frames(self) -> None:
        held: list[list] = []       # [socket, header bytes still to send, bytes still to send]
        last_oversized = 0.0
        for _ in self.every(0.2, first=0):
            while len(held) < PARTIAL_CONNECTIONS and not self.stopping:
                sock = self._connect()
                if sock is None:
                    break
                sock.setblocking(False)
                held.append([sock, struct.pack(">i", self.announced), PARTIAL_SENT])
            for entry in list(held):
                sock, header, left = entry
                if self._closed(sock):
                    self._count("partial frames closed by the broker")
                    sock.close()
                    held.remove(entry)
                    continue
                try:
                    if header:
                        entry[1] = header[sock.send(header):]
                    elif left > 0:
                        sent = sock.send(CHUNK[:min(len(CHUNK), left)])
                        entry[2] = left - sent
                        self._count("partial frame bytes sent", sent)
                except BlockingIOError:
                    pass
                except OSError:
                    self._count("partial frames closed by the broker")
                    sock.close()
                    held.remove(entry)
            if time.monotonic() - last_oversized > OVERSIZED_EVERY:
                last_oversized = time.monotonic()
                self._oversized()
        for sock, _, _ in held:
            sock.close()

    def _oversized(self) -> None:
        sock = self._connect()
        if sock is None:
            return
        try:
            sock.sendall(struct.pack(">i", OVERSIZED) + b"\0" * 1000)
            if sock.recv(1) == b"":
                self._count("oversized frames closed at once")
        except OSError:
            self._count("oversized frames closed at once")
        finally:
            sock.close()

    def _flood(self) -> None:
        for _ in self.every(FLOOD_EVERY):
            burst = [sock for sock in (self._connect(timeout=2) for _ in range(FLOOD_BURST)) if sock]
            self.pause(0.5)
            refused = sum(self._closed(sock) for sock in burst)
            self._count("flood connections refused", refused)
            for sock in burst:
                sock.close()

    def _garbage(self) -> None:
        for _ in self.every(GARBAGE_EVERY):
            sock = self._connect(timeout=2)
            if sock is None:
                continue
            try:
                sock.sendall(os.urandom(4096))
                if sock.recv(65536) == b"":
                    self._count("garbage connections closed by the broker")
            except OSError:
                self._count("garbage connections closed by the broker")
            finally:
                sock.close()

    def _slow_reader(self) -> None:
        requests = b"".join(_fetch(i + 1, self.fetch_topic) for i in range(SLOW_READER_REQUESTS))
        for _ in self.every(1.0, first=0):
            sock = self._connect()
            if sock is None:
                continue
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.setblocking(False)
            pushed = 0
            for _ in self.every(0.5):
                if self._closed(sock):
                    self._count("slow readers closed by the broker")
                    break
                try:
                    pushed += sock.send(requests[pushed:pushed + 65536])
                except (BlockingIOError, ValueError):
                    pass
                except OSError:
                    self._count("slow readers closed by the broker")
                    break
                if pushed >= len(requests):   # the broker took all: start over on a new connection
                    break
            sock.close()

    def _slowloris(self) -> None:
        request = encode_request(ApiKey.API_VERSIONS, 0, 1, "soak-slowloris", {})
        held: list[list] = []       # [socket, bytes of the request sent]
        for _ in self.every(SLOWLORIS_EVERY, first=0):
            while len(held) < SLOWLORIS_CONNECTIONS:
                sock = self._connect()
                if sock is None:
                    break
                held.append([sock, 0])
            for entry in list(held):
                sock, sent = entry
                try:
                    sock.sendall(request[sent:sent + 1])
                    entry[1] = sent = sent + 1
                    if sent == len(request):    # whole at last: its answer comes
                        answered = _read_frame(sock, timeout=10) is not None
                        self._count("slowloris requests answered" if answered else "slowloris answers missing")
                        entry[1] = 0
                except OSError:
                    self._count("slowloris connections closed by the broker")
                    sock.close()
                    held.remove(entry)
        for sock, _ in held:
            sock.close()

    def _pipeliner(self) -> None:
        metadata = {"topics": [{"name": self.fetch_topic}], "allow_auto_topic_creation": False,
                    "include_cluster_authorized_operations": False, "include_topic_authorized_operations": False}
        requests = b"".join(encode_request(ApiKey.API_VERSIONS, 0, i, "soak-pipeliner", {}) if i % 2 else
                            encode_request(ApiKey.METADATA, 9, i, "soak-pipeliner", metadata)
                            for i in range(PIPELINED))
        for turn in self.every(PIPELINE_EVERY):
            sock = self._connect()
            if sock is None:
                continue
            try:
                sock.sendall(requests)
                self._count("pipelined requests sent, never read", PIPELINED)
                self.pause(1.0)
                if turn % 2:     # hang up with a reset, answers still queued on both sides
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                self._count("pipeliners closed by the broker")
            finally:
                sock.close()


def _read_frame(sock: socket.socket, timeout: float) -> bytes | None:
    """One answer's payload (after its size), or None if the connection ends first."""
    sock.settimeout(timeout)
    try:
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack_from(">i", data)[0]:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
        return data[4:]
    finally:
        sock.settimeout(5.0)


def _fetch(correlation_id: int, topic: str) -> bytes:
    return encode_request(ApiKey.FETCH, 11, correlation_id, "soak-slow-reader", {
        "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": MB, "isolation_level": 0,
        "session_id": 0, "session_epoch": -1, "rack_id": "", "forgotten_topics_data": [],
        "topics": [{"topic": topic, "partitions": [{"partition": 0, "current_leader_epoch": -1,
                                                    "fetch_offset": 0, "log_start_offset": -1,
                                                    "partition_max_bytes": MB}]}]})
