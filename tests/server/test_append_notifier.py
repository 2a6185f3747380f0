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


async def test_a_subscription_wakes_its_waits_on_any_of_its_keys():
    notifier = AppendNotifier()
    subscription = notifier.subscribe([("t", n) for n in range(10_000)])
    woken = []

    async def waiter(name):
        await subscription.wait()
        woken.append(name)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter, "a")
        nursery.start_soon(waiter, "b")
        await trio.testing.wait_all_tasks_blocked()
        assert not notifier._waiters          # a wait registers one event, not 10,000 keys
        notifier.notify(("u", 0))
        await trio.testing.wait_all_tasks_blocked()
        assert woken == []
        notifier.notify(("t", 9_999))
    assert sorted(woken) == ["a", "b"]
    notifier.notify(("t", 1))               # nobody waits: nothing to wake, nothing kept
    assert not subscription.waiting


async def test_a_subscription_follows_its_keys_and_leaves_nothing_once_closed():
    notifier = AppendNotifier()
    subscription = notifier.subscribe([("t", 0), ("t", 1)])
    subscription.update([("t", 1), ("t", 2)])
    assert notifier.subscribed_keys == 2
    with trio.move_on_after(0.01):
        await subscription.wait()           # ("t", 0) was dropped: it does not wake the wait
    assert not subscription.waiting

    async def close_soon():
        await trio.testing.wait_all_tasks_blocked()
        subscription.close()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(close_soon)
        with trio.fail_after(5):
            await subscription.wait()       # closing ends a wait under way
    assert notifier.subscribed_keys == 0
