"""The manager's livelock watch: counts per key start afresh with each settle()."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.aio.clock import VirtualClock
from minik8s.runtime.controller import CHURN_LIMIT, Controller, Result, requeue_after
from minik8s.runtime.manager import YIELD_EVERY, Manager, SettleError


async def test_a_key_busy_in_each_of_many_settles_is_not_a_livelock() -> None:
    m = Manager(VirtualClock())
    left = [0]

    def burst(key: str) -> Result | None:
        if left[0] > 0:
            left[0] -= 1
            return Result(requeue=True)
        return None

    c = m.add("burst", burst)
    c.queue.add_rate_limited = c.queue.add  # type: ignore[method-assign] # retry at once
    for _ in range(3):  # just under the limit in each settle, three times over it in all
        left[0] = CHURN_LIMIT - 10
        c.enqueue("k")
        await m.settle()
    assert c.reconciles > 3 * (CHURN_LIMIT - 10)


async def test_a_livelock_names_the_key_and_counts_only_this_settles_reconciles() -> None:
    m = Manager(VirtualClock())
    calm = m.add("calm", lambda key: None)
    for i in range(5):
        calm.enqueue(i)
    await m.settle()  # 5 reconciles before the livelock's settle: not in its report
    loop = m.add("loop", lambda key: Result(requeue=True))
    loop.queue.add_rate_limited = loop.queue.add  # type: ignore[method-assign] # retry at once
    loop.enqueue("spin")
    with pytest.raises(SettleError) as info:
        await m.settle()
    message = str(info.value)
    assert f"loop reconciled spin over {CHURN_LIMIT:,} times" in message
    assert "busiest: loop " in message and "calm" not in message
    calm.enqueue("again")
    loop.queue.add_rate_limited = lambda key: None  # type: ignore[method-assign] # calm down
    await m.settle()  # a new settle: the churn is forgotten


@pytest.fixture
async def running() -> AsyncIterator[tuple[Manager, Controller, list[Any]]]:
    """A manager whose background task has started and waits for work; its one controller
    records the keys it reconciles."""
    m = Manager(VirtualClock())
    seen: list[Any] = []
    c = m.add("c", seen.append)
    m.start()
    await asyncio.sleep(0)
    yield m, c, seen
    await m.stop()


async def test_a_settle_does_the_background_tasks_work(running: tuple[Manager, Controller, list[Any]]) -> None:
    m, c, seen = running
    c.queue.add_after("a", 1.0)
    await m.advance(1.0)  # the key its timer queues is the settle's work: no wake-up
    assert seen == ["a"] and not m._wake.is_set()
    c.enqueue("b")  # outside a settle the background task runs the queue
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert seen == ["a", "b"]


async def test_a_cancelled_settle_leaves_its_keys_to_the_background_task(
        running: tuple[Manager, Controller, list[Any]]) -> None:
    m, c, seen = running
    n = 6 * YIELD_EVERY
    for i in range(n):
        c.queue.add_after(i, 1.0)
    task = asyncio.create_task(m.advance(1.0))  # the timers queue the keys: no wake-up
    await asyncio.sleep(0)  # the settle runs two batches and yields: cancel it there
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 0 < len(seen) < n
    for _ in range(10):
        await asyncio.sleep(0)
    assert seen == list(range(n))


async def test_settles_yield_to_the_event_loop_by_work_done_not_by_rounds() -> None:
    m = Manager(VirtualClock())
    c = m.add("c", lambda key: Result(requeue_after=1.0) if key < 2 else None)
    turns = [0]

    async def other() -> None:
        while True:
            turns[0] += 1
            await asyncio.sleep(0)

    t = asyncio.create_task(other())
    await asyncio.sleep(0)
    try:
        for i in range(2):
            c.enqueue(i)
        before = turns[0]
        await m.advance(100)  # 100 small instants (2 timers, 2 reconciles): a few turns in all
        assert c.reconciles == 2 + 100 * 2
        assert turns[0] - before <= 2
        for i in range(2, 2 + 10 * YIELD_EVERY):
            c.enqueue(i)
        before = turns[0]
        await m.settle()  # a burst yields every YIELD_EVERY reconciles or so
        assert 4 <= turns[0] - before <= 10
    finally:
        t.cancel()


def test_process_some_drains_at_most_count_keys_in_order_and_says_how_many() -> None:
    m = Manager(VirtualClock())
    seen: list[Any] = []
    c = m.add("c", seen.append)
    for k in "abcde":
        c.enqueue(k)
    assert c.process_some(3) == 3 and seen == ["a", "b", "c"]
    assert c.process_some(10) == 2 and seen == list("abcde")
    assert c.process_some(1) == 0 and not c.process_one()
    assert c.reconciles == 5


async def test_a_round_runs_controllers_in_registration_order_and_drops_empty_ones() -> None:
    m = Manager(VirtualClock())
    seen: list[tuple[str, Any]] = []
    first = m.add("first", lambda k: seen.append(("first", k)))
    second = m.add("second", lambda k: (seen.append(("second", k)), first.enqueue(k))[1])
    second.enqueue(1)
    assert m.run_ready() == 2  # second's reconcile queues first's key: the next pass runs it
    assert seen == [("second", 1), ("first", 1)]
    first.enqueue(2)
    second.enqueue(3)
    first.queue.get()  # taken by someone else: first is pending with an empty queue
    assert m.run_ready() == 2 and seen[2:] == [("second", 3), ("first", 3)]
    assert not m._pending and not m.busy()


def test_requeue_after_shares_one_result_per_delay() -> None:
    r = requeue_after(10.0)
    assert r == Result(requeue_after=10.0) and requeue_after(10.0) is r
    assert requeue_after(2.5) == Result(requeue_after=2.5) and requeue_after(2.5) is not r
    for i in range(1000):  # bounded: the memo starts over when full, answers stay right
        assert requeue_after(float(i)).requeue_after == float(i)
