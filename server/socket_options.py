"""The socket options of a client connection: Kafka's buffer sizes, and none of trio's send throttle.

trio's ``SocketStream`` sets ``TCP_NOTSENT_LOWAT`` to 16 KiB, which suits interactive streams
but makes a large Fetch response wake the event loop and call ``sendfile`` again for every
16 KiB the peer drains; Kafka leaves the kernel's default (no limit), and so do we.  The buffer
sizes are Kafka's ``socket.send.buffer.bytes`` and ``socket.receive.buffer.bytes`` (-1: the
OS default, which on Linux also keeps the kernel's autotuning).
"""

from __future__ import annotations

import socket

KERNEL_DEFAULT_LOWAT = 0  # Linux: 0 means the net.ipv4.tcp_notsent_lowat sysctl, unlimited by default


def apply_socket_options(sock, send_buffer_bytes: int, receive_buffer_bytes: int) -> None:
    if send_buffer_bytes != -1:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer_bytes)
    if receive_buffer_bytes != -1:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)
    if hasattr(socket, "TCP_NOTSENT_LOWAT"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT, KERNEL_DEFAULT_LOWAT)
        except OSError:  # not a TCP socket (a test's socketpair): nothing to undo
            pass
