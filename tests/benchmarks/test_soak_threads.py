"""The soak clients' shared loop (``benchmarks/soak_threads.py``): turns on a schedule until stopped,
and a loop's exception kept for the results."""

import threading
import time

from benchmarks.soak_threads import ClientThreads


class Ticker(ClientThreads):
    def __init__(self, period: float):
        self.period = period
        self.turns: list[int] = []
        self.ready = threading.Event()
        super().__init__([self._tick, self._fail])

    def _tick(self) -> None:
        for turn in self.every(self.period, first=0):
            self.turns.append(turn)
            self._count("ticks")
            if turn == 2:
                self.ready.set()

    def _fail(self) -> None:
        raise RuntimeError("boom")


def test_turns_come_on_schedule_and_stop_ends_a_long_wait():
    with Ticker(0.05) as ticker:
        assert ticker.ready.wait(5)
    assert ticker.turns[:3] == [0, 1, 2]
    assert ticker.counts["ticks"] == len(ticker.turns)
    assert ticker.errors == ["_fail: RuntimeError: boom"]
    slow = Ticker(3600.0)       # a period of an hour: stop must not wait for it
    with slow:
        time.sleep(0.05)
        began = time.monotonic()
    assert time.monotonic() - began < 1
    assert slow.turns == [0]
