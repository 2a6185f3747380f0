"""Long-poll wake-ups: an append wakes the fetches waiting on that partition, and only those."""

import trio
import trio.testing

from odradek.server.append_notifier import AppendNotifier


async def test_notify_wakes_waiters_of_that_key_only():
    notifier = AppendNotifier()
    woken = []

    async def waiter(name, keys):
        await notifier.wait_any(keys)
        woken.append(name)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter, "a", [("t", 0)])
        nursery.start_soon(waiter, "b", [("t", 1), ("u", 0)])
        await trio.testing.wait_all_tasks_blocked()
        notifier.notify(("u", 0))
        await trio.testing.wait_all_tasks_blocked()
        assert woken == ["b"]
        notifier.notify(("t", 0))
    assert woken == ["b", "a"]
    assert not notifier._waiters


async def test_cancelled_wait_leaves_nothing_behind():
    notifier = AppendNotifier()
    with trio.move_on_after(0.01):
        await notifier.wait_any([("t", 0)])
    assert not notifier._waiters
