"""The soak's misbehaving clients, as raw sockets from their own loopback address (127.0.0.2).

Each kind runs in its own thread until told to stop, paced so that together they cost the shared
machine little CPU: the point is what they make the broker hold, not how hard they hammer it.

- *partial frames*: connections that announce a request just under ``socket.request.max.bytes``,
  send most of it and stall (the request pool, ``queued.max.request.bytes``, must bound what the
  broker holds); now and then one announces 100 MB, above ``socket.request.max.bytes``;
- *flood*: bursts of connections opened at once, more than ``max.connections.per.ip`` allows this
  address (the rest are refused);
- *garbage*: random bytes where a request should be;
- *slow reader*: one connection pipelining Fetch requests for 1 MB answers and never reading them.

Every connection the broker closes is counted (refused, reaped as idle, or hung up on for garbage),
and the kind opens another.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections import Counter

from odradek.wire import ApiKey, encode_request

SOURCE = "127.0.0.2"
MB = 1024 * 1024
PARTIAL_CONNECTIONS = 16
PARTIAL_SENT = 6 * MB              # of each announced request
OVERSIZED = 100 * MB
FLOOD_BURST = 60
FLOOD_EVERY = 3.0                  # seconds between bursts
GARBAGE_EVERY = 0.5
SLOW_READER_REQUESTS = 2_000       # Fetch requests for 1 MB answers pipelined, never read
CHUNK = b"\x01" * (256 * 1024)


class Hostile:
    """The hostile mix against ``port``; ``counts`` says what each kind did."""

    def __init__(self, port: int, announced: int, fetch_topic: str):
        self.port = port
        self.announced = announced              # bytes each partial frame announces
        self.fetch_topic = fetch_topic
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._guard, args=(loop,), name=f"hostile-{loop.__name__}",
                                          daemon=True)
                         for loop in (self._partial_frames, self._flood, self._garbage, self._slow_reader)]
        self.errors: list[str] = []

    def __enter__(self) -> "Hostile":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.counts[what] += n

    def _guard(self, loop) -> None:
        try:
            loop()
        except Exception as error:   # reported with the results, never silently lost
            self.errors.append(f"{loop.__name__}: {type(error).__name__}: {error}")

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
        held: list[list] = []       # [socket, bytes still to send]
        last_oversized = 0.0
        while not self._stop.is_set():
            while len(held) < PARTIAL_CONNECTIONS and not self._stop.is_set():
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
            if time.monotonic() - last_oversized > 10:
                last_oversized = time.monotonic()
                self._oversized()
            self._stop.wait(0.2)
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
        while not self._stop.wait(FLOOD_EVERY):
            burst = [sock for sock in (self._connect(timeout=2) for _ in range(FLOOD_BURST)) if sock]
            self._stop.wait(0.5)
            refused = sum(self._closed(sock) for sock in burst)
            self._count("flood connections refused", refused)
            for sock in burst:
                sock.close()

    def _garbage(self) -> None:
        while not self._stop.wait(GARBAGE_EVERY):
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
        while not self._stop.is_set():
            sock = self._connect()
            if sock is None:
                self._stop.wait(1)
                continue
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.setblocking(False)
            pushed = 0
            while not self._stop.wait(0.5):
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


def _fetch(correlation_id: int, topic: str) -> bytes:
    return encode_request(ApiKey.FETCH, 11, correlation_id, "soak-slow-reader", {
        "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": MB, "isolation_level": 0,
        "session_id": 0, "session_epoch": -1, "rack_id": "", "forgotten_topics_data": [],
        "topics": [{"topic": topic, "partitions": [{"partition": 0, "current_leader_epoch": -1,
                                                    "fetch_offset": 0, "log_start_offset": -1,
                                                    "partition_max_bytes": MB}]}]})
