"""Client connections get Kafka's buffer sizes and lose trio's 16 KiB TCP_NOTSENT_LOWAT."""

import socket

import trio

from odradek.server.socket_options import apply_socket_options


async def test_options_on_a_trio_stream():
    listener = socket.create_server(("127.0.0.1", 0))
    stream = await trio.open_tcp_stream(*listener.getsockname())
    try:
        sock = stream.socket
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT) == 16384  # trio's
        apply_socket_options(sock, 102400, 65536)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT) == 0  # kernel default
        # Linux doubles the requested size to leave room for its bookkeeping.
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 2 * 102400
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 2 * 65536
    finally:
        await stream.aclose()
        listener.close()


async def test_minus_one_leaves_the_buffers_to_the_os():
    listener = socket.create_server(("127.0.0.1", 0))
    stream = await trio.open_tcp_stream(*listener.getsockname())
    try:
        before = stream.socket.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        apply_socket_options(stream.socket, -1, -1)
        assert stream.socket.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == before
    finally:
        await stream.aclose()
        listener.close()
