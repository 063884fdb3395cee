"""WorkQueue guarantees with timers: a key is queued once, never handed out twice at a time."""

from __future__ import annotations

from minik8s.aio.clock import VirtualClock
from minik8s.runtime.controller import Controller, Result


def test_a_timer_for_a_key_being_processed_hands_it_out_again_after() -> None:
    """A requeue timer that fires while its key is being reconciled marks it dirty; a timer for
    a key already queued adds nothing; a key added by its timer calls on_ready."""
    clock = VirtualClock()
    ready: list[int] = []
    seen: list[str] = []

    def reconcile(key: str) -> Result | None:
        seen.append(key)
        if key == "a" and len(seen) == 1:
            clock.set(clock.now() + 1.0)
            clock.fire_due()  # "a"'s timer fires mid-reconcile; "b"'s finds b queued
            assert list(c.queue.keys) == ["b"]
        return None

    c = Controller("c", reconcile, clock, on_ready=lambda: ready.append(1))
    c.queue.add_after("a", 1.0)
    c.queue.add_after("b", 1.0)
    c.queue.add("a")
    c.queue.add("b")
    assert len(ready) == 2
    assert c.process_some(2) == 2  # a (dirty meanwhile), b; a comes back after done
    assert seen == ["a", "b"] and list(c.queue.keys) == ["a"] and len(ready) == 3
    assert c.process_some(10) == 1 and seen == ["a", "b", "a"]
    assert c.process_some(10) == 0 and not c.queue.busy
