"""Write a response frame given as chunks: encoded bytes, and log slices sent with sendfile.

Record batches go from the page cache to the socket without passing through Python
(``os.sendfile``), the way Kafka's FileRecords.writeTo does. Where sendfile is missing, or a
file system refuses it, the slice is read with pread in a worker thread instead; and always on a
TLS stream (``send_chunks_copied``), where the bytes must be encrypted on their way out.
"""

from __future__ import annotations

import errno
import os

import trio

from . import direct_socket

HAS_SENDFILE = hasattr(os, "sendfile")


async def send_chunks(stream: trio.SocketStream, chunks: list) -> None:
    """Bytes are written without a trip through trio's scheduler when the socket takes them
    (``direct_socket``); log slices go out with sendfile."""
    pending: list[bytes] = []
    for chunk in chunks:
        if isinstance(chunk, bytes):
            pending.append(chunk)
            continue
        if pending:
            await direct_socket.send(stream, _joined(pending))
            pending.clear()
        await _send_slice(stream, chunk)
    if pending:
        await direct_socket.send(stream, _joined(pending))


def _joined(parts: list[bytes]) -> bytes:
    """One write's bytes; a lone part is sent as it is, not copied by a join."""
    return parts[0] if len(parts) == 1 else b"".join(parts)


async def _send_slice(stream: trio.SocketStream, log_slice) -> None:
    sock = stream.socket
    offset, remaining = log_slice.position, log_slice.size
    while remaining and HAS_SENDFILE:
        try:
            sent = os.sendfile(sock.fileno(), log_slice.fd, offset, remaining)
        except BlockingIOError:
            await trio.lowlevel.wait_writable(sock)
            continue
        except OSError as exc:
            if exc.errno in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                break  # this file or socket cannot sendfile: copy instead
            raise trio.BrokenResourceError(str(exc)) from exc
        if sent == 0:
            raise trio.BrokenResourceError("log file ended before the slice did")
        offset += sent
        remaining -= sent
    if remaining:
        data = await trio.to_thread.run_sync(
            os.pread, log_slice.fd, remaining, offset
        )
        if len(data) != remaining:
            raise trio.BrokenResourceError("log file ended before the slice did")
        await stream.send_all(data)
    else:
        await direct_socket.pace()  # sendfile never yielded unless the socket was full


async def send_chunks_copied(stream: trio.abc.SendStream, chunks: list) -> None:
    """``send_chunks`` for a TLS stream: the log slices read (all in one worker thread call) and
    the whole frame sent as one write, so it is encrypted in as few TLS records as it fits."""
    if all(isinstance(chunk, bytes) for chunk in chunks):
        await stream.send_all(b"".join(chunks))
        return
    await stream.send_all(await trio.to_thread.run_sync(_read_frame, chunks))


def _read_frame(chunks: list) -> bytes:
    parts = []
    for chunk in chunks:
        if isinstance(chunk, bytes):
            parts.append(chunk)
            continue
        data = os.pread(chunk.fd, chunk.size, chunk.position)
        if len(data) != chunk.size:
            raise trio.BrokenResourceError("log file ended before the slice did")
        parts.append(data)
    return b"".join(parts)
