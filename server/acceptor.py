"""Accepting client connections within Kafka's connection quotas (``connection_limits``).

This replaces ``trio.serve_listeners`` for the broker's listeners: after each accept the listener
waits for the creation rate and a free slot before accepting again, and the connection is counted (or
refused, closed at once with a throttled log line, if its address has too many), tracked for
``connections.max.idle.ms`` (``open_connections``) and uncounted when it ends. Accept errors that
mean the machine is out of file descriptors or memory pause the listener briefly, as trio does.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os

import trio

from .connection_limits import ConnectionQuotas, TooManyConnections
from .open_connections import OpenConnection, OpenConnections
from .stats.network_stats import REFUSED_PER_IP, NullNetworkStats
from .throttled_log import ThrottledLog

log = logging.getLogger("odradek.server")

ACCEPT_CAPACITY_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS}
CAPACITY_PAUSE = 0.1


class Acceptor:
    def __init__(self, quotas: ConnectionQuotas, connections: OpenConnections, network=NullNetworkStats()) -> None:
        self.quotas = quotas
        self.connections = connections
        self.network = network  # counts refusals (server/stats)
        self._refusals = ThrottledLog(log)

    async def serve(self, listener_name: str, sockets: list[trio.SocketListener], handler) -> None:
        """Accept on every socket of one listener until cancelled; ``handler(stream, connection)``."""
        async with trio.open_nursery() as nursery:
            for sock in sockets:
                nursery.start_soon(self._accept_loop, listener_name, sock, handler, nursery)

    async def _accept_loop(self, listener_name: str, sock: trio.SocketListener, handler, nursery) -> None:
        quotas = self.quotas
        while True:
            try:
                stream = await sock.accept()
            except OSError as exc:
                if exc.errno not in ACCEPT_CAPACITY_ERRNOS:
                    raise
                self._refusals.write("capacity", f"accept on {listener_name} returned "
                                       f"{errno.errorcode[exc.errno]} ({os.strerror(exc.errno)}); pausing it")
                await trio.sleep(CAPACITY_PAUSE)
                continue
            # As Kafka's acceptor: the connection is taken, then the listener waits (accepting no
            # other) for the creation rate and a free slot before counting and serving it.
            try:
                await quotas.wait_for_slot(listener_name)
            except BaseException:
                stream.socket.close()
                raise
            peer = _peer(stream)
            try:
                quotas.add(listener_name, peer[0])
            except TooManyConnections as refusal:
                self._refusals.write("per-ip " + refusal.ip, f"{refusal} (listener {listener_name})")
                self.network.refusing(listener_name, REFUSED_PER_IP)
                stream.socket.close()
                continue
            connection = OpenConnection(listener_name, peer[0], f"{peer[0]}:{peer[1]}")
            nursery.start_soon(self._run, handler, stream, connection)
            self.close_excess()

    def close_excess(self) -> None:
        """Over ``max.connections`` (the inter-broker listener is exempt, or the limit was lowered):
        close the least recently used connections of the other listeners, as Kafka does."""
        excess = self.quotas.excess()
        if excess:
            self.connections.close_least_recently_used(excess, self.quotas.protected)

    async def _run(self, handler, stream: trio.SocketStream, connection: OpenConnection) -> None:
        self.connections.open.add(connection)
        try:
            with connection.scope:
                await handler(stream, connection)
        finally:
            self.connections.open.discard(connection)
            self.quotas.remove(connection.listener, connection.ip)
            await trio.aclose_forcefully(stream)


def _peer(stream: trio.SocketStream) -> tuple[str, int]:
    try:
        host, port, *_ = stream.socket.getpeername()
    except OSError:
        return "?", 0
    if host.startswith("::ffff:"):
        mapped = ipaddress.IPv6Address(host).ipv4_mapped
        if mapped is not None:
            host = str(mapped)
    return host, port
