"""direct_socket: reads and writes served at once skip trio's scheduler, but never for long."""

import trio
import trio.testing

from odradek.server import direct_socket


async def _connected_pair() -> tuple[trio.SocketStream, trio.SocketStream]:
    left, right = trio.socket.socketpair()
    return trio.SocketStream(left), trio.SocketStream(right)


async def test_bytes_written_directly_are_read_back_in_order():
    ours, theirs = await _connected_pair()
    async with ours, theirs:
        for index in range(50):
            await direct_socket.send(ours, b"%03d" % index)
        received = b""
        while len(received) < 150:
            received += await direct_socket.receive(theirs.socket, 1 << 20)
        assert received == b"".join(b"%03d" % index for index in range(50))


async def test_a_write_larger_than_the_socket_buffer_waits_for_the_reader():
    ours, theirs = await _connected_pair()
    data = bytes(range(256)) * 40_000  # 10 MB: far more than a socketpair buffers
    received = bytearray()

    async def read_all():
        while len(received) < len(data):
            received.extend(await direct_socket.receive(theirs.socket, 1 << 16))

    async with ours, theirs, trio.open_nursery() as nursery:
        nursery.start_soon(read_all)
        await direct_socket.send(ours, data)
    assert bytes(received) == data


async def test_a_reader_whose_data_is_always_ready_still_lets_other_tasks_run():
    ours, theirs = await _connected_pair()
    ran = []

    async def other_task():
        ran.append(True)

    async with ours, theirs:
        await ours.send_all(b"x" * 10_000)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(other_task)
            # each read finds data without waiting; a checkpoint comes within YIELD_EVERY reads, and
            # the other task runs in that scheduling batch (before or after this task's next step)
            for _ in range(2 * direct_socket.YIELD_EVERY):
                if ran:
                    break
                assert await direct_socket.receive(theirs.socket, 1) == b"x"
            assert ran, f"no other task ran during {2 * direct_socket.YIELD_EVERY} reads"


async def test_a_closed_socket_raises_closed_resource_error_and_end_of_stream_reads_empty():
    ours, theirs = await _connected_pair()
    await ours.aclose()
    assert await direct_socket.receive(theirs.socket, 100) == b""  # the peer closed: end of stream
    await theirs.aclose()
    try:
        await direct_socket.receive(theirs.socket, 100)
    except trio.ClosedResourceError:
        pass
    else:
        raise AssertionError("reading a closed socket did not raise ClosedResourceError")


async def test_a_read_that_would_block_is_cancellable():
    ours, theirs = await _connected_pair()
    async with ours, theirs:
        with trio.move_on_after(0.05) as scope:
            await direct_socket.receive(theirs.socket, 100)  # nothing was sent
        assert scope.cancelled_caught
