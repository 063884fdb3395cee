"""The manager's livelock watch: counts per key start afresh with each settle()."""

from __future__ import annotations

import pytest

from minik8s.aio.clock import VirtualClock
from minik8s.runtime.controller import CHURN_LIMIT, Result
from minik8s.runtime.manager import Manager, SettleError


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
