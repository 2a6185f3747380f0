"""A TCP proxy between Kafka clients and odradek that can lose a Produce response on purpose.

Real network faults are hard to time; this proxy times them exactly.  It relays each client
connection to the broker frame by frame (a 4-byte size, then a request header starting with
api key, version and correlation id; a response header starting with the correlation id).
Told to cut after the Nth Produce request, it forwards that request, waits for the broker's
answer, throws the answer away and closes both sides.  The broker has then appended the batch,
but the client never learns it and must send it again: the retry an idempotent producer makes
safe.  Only Produce requests that are answered (acks other than 0) can be cut this way.

The broker must advertise the proxy (``advertised.listeners=PLAINTEXT://127.0.0.1:<port>``),
or clients would bypass it after their first Metadata response.  A relay waits for as long as
its client stays connected (clients time their requests out); ``close()`` shuts every
connection and ends every thread the proxy started.
"""

from __future__ import annotations

import socket
import struct
import threading

from .raw_kafka import PRODUCE, frame, read_response

JOIN_TIMEOUT = 5.0  # seconds a relay thread may take to notice its sockets were shut


class FaultProxy:
    """Listens on 127.0.0.1 and relays every connection to one broker, cutting on command."""

    def __init__(self) -> None:
        self._cut_at: set[int] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._upstream: tuple[str, int] | None = None
        self._lock = threading.Lock()
        self._produce_requests = 0
        self._cuts = 0
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._closed = False

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def produce_requests(self) -> int:
        """Produce requests forwarded to the broker so far."""
        with self._lock:
            return self._produce_requests

    @property
    def cuts(self) -> int:
        """Connections cut after the broker answered a Produce request the client never saw answered."""
        with self._lock:
            return self._cuts

    def cut_after_produce(self, *ordinals: int) -> None:
        """Cut the connection carrying each of these Produce requests once the broker has answered it.

        Ordinals are 1-based and count every Produce request the proxy has forwarded, on any
        connection, retries included.
        """
        with self._lock:
            self._cut_at.update(ordinals)

    def start(self, upstream_port: int) -> "FaultProxy":
        self._upstream = ("127.0.0.1", upstream_port)
        self._spawn(self._accept)
        return self

    def close(self) -> None:
        """Stop accepting, shut every relayed connection and wait (bounded) for the relay threads."""
        with self._lock:
            self._closed = True
            sockets = list(self._sockets)
        _shut(self._listener)  # wakes the thread blocked in accept()
        for sock in sockets:
            _shut(sock)
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT)
        alive = [thread.name for thread in self._threads if thread.is_alive()]
        if alive:
            raise RuntimeError(f"fault proxy threads still running after {JOIN_TIMEOUT}s: {alive}")

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=f"fault-proxy-{target.__name__}")
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                broker = socket.create_connection(self._upstream, timeout=JOIN_TIMEOUT)
                broker.settimeout(None)
            except OSError:  # the broker is gone: refuse this client too
                _shut(client)
                continue
            with self._lock:
                if self._closed:
                    _shut(client)
                    _shut(broker)
                    return
                self._sockets.update((client, broker))
            doomed: set[int] = set()  # correlation ids whose response this connection must not relay
            self._spawn(self._relay_requests, client, broker, doomed)
            self._spawn(self._relay_responses, broker, client, doomed)

    def _relay_requests(self, client: socket.socket, broker: socket.socket, doomed: set[int]) -> None:
        try:
            while (request := read_response(client)) is not None:  # reads any frame, requests too
                api_key, _version, correlation_id = struct.unpack_from(">hhi", request)
                if api_key == PRODUCE:
                    with self._lock:
                        self._produce_requests += 1
                        if self._produce_requests in self._cut_at:
                            doomed.add(correlation_id)  # before forwarding: the answer may come at once
                broker.sendall(frame(request))
        except OSError:
            pass  # either side hung up, or the other relay thread cut the connection
        finally:
            self._hang_up(client, broker)

    def _relay_responses(self, broker: socket.socket, client: socket.socket, doomed: set[int]) -> None:
        try:
            while (response := read_response(broker)) is not None:
                (correlation_id,) = struct.unpack_from(">i", response)
                if correlation_id in doomed:
                    with self._lock:
                        self._cuts += 1
                    return  # the cut: the answer is dropped and both sides hang up
                client.sendall(frame(response))
        except OSError:
            pass
        finally:
            self._hang_up(client, broker)

    def _hang_up(self, client: socket.socket, broker: socket.socket) -> None:
        with self._lock:
            self._sockets.difference_update((client, broker))
        _shut(client)
        _shut(broker)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected, or already shut
    sock.close()
