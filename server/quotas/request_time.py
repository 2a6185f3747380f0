"""How long a request keeps the event loop busy: what KIP-124's ``request_percentage`` counts.

Kafka counts the time a request spends on its request handler thread (and, unthrottled, on its
network thread) as a percentage of one thread over the quota window. Here every request is handled
on the one event loop, inside its connection's task, so the equivalent is the time that task runs
while it handles the request: the sum of its task steps between the handler's start and its end.
Time it spends waiting (a long-polling Fetch, an acks=all Produce waiting for the ISR, a worker
thread reading the disk) is not counted, as Kafka does not count a request's time in purgatory.

``RequestClock`` is a trio instrument that times the steps of the tasks registered with it; it
is added to the run only while some ``request_percentage`` quota is configured (``throttled_routes``
wraps the handlers then), so without one no task step pays for it.
"""

from __future__ import annotations

from time import perf_counter

import trio

#: Kafka's ClientRequestQuotaManager: nanoseconds to percent of a thread for a second
SECONDS_TO_PERCENTAGE = 100.0


class RequestClock(trio.abc.Instrument):
    def __init__(self) -> None:
        self._running: dict[trio.lowlevel.Task, list[float]] = {}  # task -> [seconds so far, step start]
        self._installed = False

    def before_task_step(self, task) -> None:
        timing = self._running.get(task)
        if timing is not None:
            timing[1] = perf_counter()

    def after_task_step(self, task) -> None:
        timing = self._running.get(task)
        if timing is not None:
            timing[0] += perf_counter() - timing[1]

    async def run(self, handle, ctx, request):
        """(the handler's answer, the seconds its task ran meanwhile)."""
        if not self._installed:
            trio.lowlevel.add_instrument(self)
            self._installed = True
        task = trio.lowlevel.current_task()
        if task in self._running:  # nested (a handler that calls another): the outer one counts
            return await handle(ctx, request), 0.0
        timing = self._running[task] = [0.0, perf_counter()]
        try:
            body = await handle(ctx, request)
        finally:
            del self._running[task]
        return body, timing[0] + perf_counter() - timing[1]

    def uninstall(self) -> None:
        """Out of the run (no request quota any more); from the event loop's thread."""
        if self._installed:
            try:
                trio.lowlevel.remove_instrument(self)
            except (KeyError, RuntimeError):
                pass
            self._installed = False
