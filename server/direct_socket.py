"""Plaintext socket reads and writes that yield to trio only when they must (or every few calls).

trio's socket methods make every successful ``recv`` and ``send`` a full trip through the
scheduler (a checkpoint before and a yield after), so that no task can hog the loop. For the
broker's request loop that is about 15 µs of CPU per call; a Produce of a few hundred kilobytes
takes several reads and one write, a Fetch one read and one write, and profiles of 100 B
records from confluent-kafka showed those trips as a tenth of the broker's CPU per record
(``benchmarks/analysis.md``, "Broker CPU per record").

Here a call that the kernel can serve at once returns without yielding, and one that would block
waits for the socket the way trio does (``wait_readable``/``wait_writable``, which yield and
see cancellation). Fairness is kept by a shared budget: after ``YIELD_EVERY`` calls that did not
yield, the next one checkpoints, so a client that always has data ready still lets the other
connections run (and its connection's cancellation, e.g. an idle close, is seen). A socket
closed meanwhile (``fileno() == -1``) raises ``ClosedResourceError`` before its number could be
read, as trio's would; other socket errors become ``BrokenResourceError``.
"""

from __future__ import annotations

import os

import trio

YIELD_EVERY = 16  # calls served without yielding before one checkpoints
_unyielded = 0  # shared by every connection: the loop is one thread


async def receive(sock: trio.socket.SocketType, max_bytes: int) -> bytes:
    """Up to ``max_bytes`` from ``sock``; b"" once the peer has closed."""
    await pace()
    while True:
        fd = sock.fileno()
        if fd == -1:
            raise trio.ClosedResourceError("the socket was closed")
        try:
            return os.read(fd, max_bytes)
        except BlockingIOError:
            await _wait(trio.lowlevel.wait_readable, sock)
        except OSError as exc:
            raise trio.BrokenResourceError(f"socket read failed: {exc}") from exc


async def send(stream: trio.SocketStream, data: bytes) -> None:
    """All of ``data``: written at once if the socket buffer takes it, else through trio."""
    await pace()
    fd = stream.socket.fileno()
    if fd == -1:
        raise trio.ClosedResourceError("the socket was closed")
    try:
        sent = os.write(fd, data)
    except BlockingIOError:
        sent = 0
    except OSError as exc:
        raise trio.BrokenResourceError(f"socket write failed: {exc}") from exc
    if sent < len(data):
        global _unyielded
        _unyielded = 0
        await stream.send_all(memoryview(data)[sent:])  # waits for room, yielding


async def pace() -> None:
    global _unyielded
    _unyielded += 1
    if _unyielded >= YIELD_EVERY:
        _unyielded = 0
        await trio.lowlevel.checkpoint()


async def _wait(wait, sock) -> None:
    global _unyielded
    _unyielded = 0
    await wait(sock)
