"""Concurrent requests for an fsync of one log share fsyncs; none returns before its own is done."""

import threading

import trio
import trio.testing

from odradek.server.group_flush import GroupFlusher


class CountingLog:
    """Stands in for a PartitionLog's flush: counts fsyncs and holds each one until released."""

    def __init__(self):
        self.fsyncs = 0
        self.release = threading.Event()

    def flush(self):
        self.release.wait(5)
        self.fsyncs += 1


async def test_waiting_requests_are_covered_by_one_fsync():
    log, flusher = CountingLog(), GroupFlusher()
    finished = []

    async def request(name):
        await flusher.flush([log])
        finished.append((name, log.fsyncs))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(request, "first")
        await trio.testing.wait_all_tasks_blocked()  # the first fsync is running
        for name in ("a", "b", "c"):
            nursery.start_soon(request, name)
        await trio.testing.wait_all_tasks_blocked()
        assert finished == []
        log.release.set()
    assert log.fsyncs == 2  # the first request's, then one for all three that waited
    assert finished[0] == ("first", 1)
    assert sorted(finished[1:]) == [("a", 2), ("b", 2), ("c", 2)]


async def test_a_lone_request_gets_its_own_fsync_each_time():
    log, flusher = CountingLog(), GroupFlusher()
    log.release.set()
    for expected in (1, 2, 3):
        await flusher.flush([log])
        assert log.fsyncs == expected
