"""A TCP link that a test can cut and heal: the network between two processes, on one machine.

Every connection through it is relayed byte for byte. ``cut()`` closes all of them and makes new
ones fail at once (as a partition that rejects); ``heal()`` lets connections through again. A
broker reached through one of these by the other brokers (its inter-broker listener) and by
ZooKeeper's clients (its ``zookeeper.connect``) can be cut off from the cluster while the test,
and the broker's own clients, still reach it.
"""

from __future__ import annotations

import socket
import threading

BUFFER = 1 << 16
JOIN_TIMEOUT = 5.0


class LinkProxy:
    def __init__(self, upstream: tuple[str, int], port: int = 0):
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._cut = False
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._spawn(self._accept)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            pairs = list(self._pairs)
        for pair in pairs:
            for sock in pair:
                _shut(sock)

    def heal(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        _shut(self._listener)
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                cut = self._cut
            if cut:
                _shut(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _shut(client)
                continue
            pair = (client, server)
            with self._lock:
                self._pairs.add(pair)
            self._spawn(self._pump, client, server, pair)
            self._spawn(self._pump, server, client, pair)

    def _pump(self, source: socket.socket, sink: socket.socket, pair) -> None:
        try:
            while True:
                data = source.recv(BUFFER)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _shut(source)
            _shut(sink)
            with self._lock:
                self._pairs.discard(pair)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
