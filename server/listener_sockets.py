"""The listening sockets of every configured listener, bound before anything else starts.

Binding comes first so that a port already in use (the most common start-up mistake) is reported
before the broker loads its logs or writes anything into its data directory, in one line that
names the port and the listener.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

import trio

from .listeners import Listener
from .startup_error import StartupError


@dataclass
class BoundListener:
    listener: Listener  # as configured (port 0 means "pick one")
    sockets: list[trio.SocketListener]

    @property
    def port(self) -> int:
        return self.sockets[0].socket.getsockname()[1]

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [sock.socket.getsockname()[:2] for sock in self.sockets]

    async def aclose(self) -> None:
        for sock in self.sockets:
            await sock.aclose()


async def bind_all(listeners: tuple[Listener, ...]) -> list[BoundListener]:
    """Bind every listener; on a failure close what was bound and raise StartupError."""
    bound: list[BoundListener] = []
    try:
        for listener in listeners:
            bound.append(BoundListener(listener, await _bind(listener)))
    except BaseException:
        for done in bound:
            await done.aclose()
        raise
    return bound


async def bind_listener(listener: Listener) -> BoundListener:
    """One listener bound (the broker's HTTP port is bound this way too); StartupError if it cannot be."""
    return BoundListener(listener, await _bind(listener))


async def _bind(listener: Listener) -> list[trio.SocketListener]:
    """Every address of the listener's host (all interfaces, IPv4 and IPv6, when it is empty).

    With port 0 the first socket picks a free port and the others bind that same port, so the
    listener is reachable at one advertised port on every address.
    """
    host = listener.host or None
    try:
        if listener.port != 0:
            return await trio.open_tcp_listeners(listener.port, host=host)
        first = await trio.open_tcp_listeners(0, host=host)
        if len(first) == 1:
            return first
        chosen = first[0].socket.getsockname()[1]
        for sock in first:
            await sock.aclose()
        return await trio.open_tcp_listeners(chosen, host=host)
    except socket.gaierror as exc:
        raise StartupError(f"cannot listen on {listener}: host {listener.host!r} does not resolve "
                           f"({exc.strerror})") from None
    except OSError as exc:
        raise StartupError(_bind_failure(listener, exc)) from None


def _bind_failure(listener: Listener, exc: OSError) -> str:
    where = f"{listener.host or 'every interface'} port {listener.port}"
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {listener}: port {listener.port} is already in use"
    if exc.errno == errno.EACCES:
        return f"cannot listen on {listener}: permission denied to bind {where} (ports below 1024 need privileges)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {listener}: {listener.host} is not an address of this machine"
    return f"cannot listen on {listener}: {exc.strerror or exc}"
