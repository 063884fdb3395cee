"""The manager: runs controllers in a fixed order, on one clock.

``settle()`` runs every controller until all queues are empty and no timer
is due now. ``advance(seconds)`` (virtual clock) fires every timer due in
that span in order, settling in between. With the real clock a background
task does the same continuously.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from minik8s.aio.clock import Clock, VirtualClock
from minik8s.runtime.controller import Controller, Reconcile

log = logging.getLogger("minik8s.runtime")

#: reconciles per settle round before yielding to the event loop (HTTP handlers)
BATCH = 256


class Manager:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.controllers: list[Controller] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._starters: list[Callable[[], None]] = []

    def add(self, name: str, reconcile: Reconcile) -> Controller:
        c = Controller(name, reconcile, self.clock, self._wake.set)
        self.controllers.append(c)
        return c

    def on_start(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` at start, in registration order (informer handlers, initial keys)."""
        self._starters.append(fn)

    def start(self) -> None:
        for fn in self._starters:
            fn()
        self._starters.clear()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="minik8s-manager")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def run_ready(self, limit: int = BATCH) -> int:
        """Process up to ``limit`` queued keys, round-robin over controllers."""
        n = 0
        while n < limit:
            ready = [c for c in self.controllers if len(c.queue)]
            if not ready:
                break
            for c in ready:
                # drain what is queued now (not what this batch adds), so a burst of events
                # (a kubelet starting 300 pods) reaches the next controller as one change
                for _ in range(min(len(c.queue), limit - n)):
                    if c.process_one():
                        n += 1
        return n

    def busy(self) -> bool:
        return any(len(c.queue) for c in self.controllers)

    async def _run(self) -> None:
        while True:
            if not self.busy():
                self._wake.clear()
                await self._wake.wait()
            self.run_ready()
            await asyncio.sleep(0)

    async def settle(self, max_rounds: int = 1_000_000) -> int:
        """Run until every queue is empty and no virtual timer is due now."""
        total = 0
        for _ in range(max_rounds):
            n = self.run_ready()
            if isinstance(self.clock, VirtualClock):
                n += self.clock.fire_due()
            total += n
            if n == 0 and not self.busy():
                return total
            await asyncio.sleep(0)
        raise RuntimeError("settle: controllers did not converge")

    async def advance(self, seconds: float) -> None:
        """Move virtual time forward, firing timers in order and settling between them."""
        if not isinstance(self.clock, VirtualClock):
            raise TypeError("advance() needs the virtual clock")
        target = self.clock.now() + seconds
        await self.settle()
        while True:
            t = self.clock.next_deadline()
            if t is None or t > target:
                break
            self.clock.set(max(t, self.clock.now()))
            await self.settle()
        self.clock.set(target)
        await self.settle()

    def stats(self) -> dict[str, Any]:
        return {c.name: {"reconciles": c.reconciles, "errors": c.errors, "queued": len(c.queue)}
                for c in self.controllers}
