"""The manager: runs controllers in a fixed order, on one clock.

``settle()`` runs every controller until all queues are empty and no timer
is due now. ``advance(seconds)`` (virtual clock) fires every timer due in
that span in order, settling in between. With the real clock a background
task does the same continuously.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from minik8s.aio.clock import Clock, VirtualClock
from minik8s.runtime.controller import CHURN_LIMIT, Controller, Reconcile, SettleWatch
from minik8s.runtime.gcpolicy import full_collections_deferred

log = logging.getLogger("minik8s.runtime")

#: reconciles per settle round before yielding to the event loop (HTTP handlers)
BATCH = 256
#: reconciles and timers a settle runs between two yields to the event loop
YIELD_EVERY = BATCH


class SettleError(RuntimeError):
    """Controllers kept working without converging (a livelock), named in the message.

    A real cluster in the same state churns forever too (e.g. a pod that tolerates a
    NoExecute taint for 0 s is scheduled onto the node, evicted at once and replaced); under
    the virtual clock that churn takes no time, so ``settle()`` reports it instead of hanging.
    """


class Manager:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.controllers: list[Controller] = []
        #: positions of controllers that may have queued keys (a queue says so when it gains
        #: one), so a round does not ask every controller (a virtual hour has thousands of rounds)
        self._pending: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._starters: list[Callable[[], None]] = []
        self._watch = SettleWatch()
        #: settles running now (they may nest or interleave): while any runs, it does the
        #: background task's share of the work itself (``_settle_rounds``), so keys queued
        #: meanwhile do not wake that task
        self._settling = 0
        #: reconciles and timers settles ran since they last yielded (``_settle_rounds``)
        self._unyielded = 0

    def add(self, name: str, reconcile: Reconcile) -> Controller:
        index = len(self.controllers)
        pending, wake = self._pending, self._wake

        def on_ready() -> None:
            pending.add(index)
            if not self._settling:
                wake.set()

        c = Controller(name, reconcile, self.clock, on_ready, self._watch)
        self.controllers.append(c)
        return c

    def _ready(self) -> list[Controller]:
        """Controllers with queued keys, in registration order (deterministic)."""
        pending = self._pending
        if not pending:
            return []
        controllers = self.controllers
        if len(pending) == 1:  # most rounds of a virtual hour: one controller's timer fired
            (i,) = pending
            if controllers[i].queue.keys:
                return [controllers[i]]
            pending.clear()
            return []
        out = []
        for i in sorted(pending):
            c = controllers[i]
            if c.queue.keys:
                out.append(c)
            else:
                pending.discard(i)
        return out

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
        if not self._pending:
            return 0
        n = 0
        while n < limit:
            ready = self._ready()
            if not ready:
                break
            for c in ready:
                # drain what is queued now (not what this batch adds), so a burst of events
                # (a kubelet starting 300 pods) reaches the next controller as one change
                n += c.process_some(min(len(c.queue.keys), limit - n))
        return n

    def busy(self) -> bool:
        return bool(self._pending) and bool(self._ready())

    async def _run(self) -> None:
        while True:
            if self._settling or not self.busy():
                self._wake.clear()
                await self._wake.wait()
                if self._settling:
                    continue
            self.run_ready()
            await asyncio.sleep(0)

    async def settle(self, max_rounds: int = 1_000_000) -> int:
        """Run until every queue is empty and no virtual timer is due now (full GC
        collections wait until it ends: ``gcpolicy``)."""
        clock = self.clock if isinstance(self.clock, VirtualClock) else None
        with self._settling_scope():
            return await self._settle_rounds(max_rounds, clock)

    @contextlib.contextmanager
    def _settling_scope(self) -> Iterator[None]:
        """What one or more settles in a row share: the livelock watch is on, full GC
        collections wait, and the background task leaves the work to the settles; work left
        over (a settle cancelled or failing) goes back to that task."""
        self._settling += 1
        self._watch.active = True
        try:
            with full_collections_deferred():
                yield
        finally:
            self._settling -= 1
            if not self._settling:
                self._watch.active = False
                if self.busy():
                    self._wake.set()

    def _new_settle(self) -> None:
        """Livelock counts start afresh (per controller, on its first reconcile)."""
        watch = self._watch
        if watch.flagged:
            for c in watch.flagged:
                c.churning = None
            watch.flagged.clear()
        watch.settle += 1

    async def _settle_rounds(self, max_rounds: int, clock: VirtualClock | None) -> int:
        """Settle rounds until nothing is queued and no timer is due now.

        A round processes queued keys and fires due timers, then runs the batch the
        background task used to run when it ran beside settles (woken by those keys, it ran
        ``run_ready`` when busy before the next round): the same batches in the same order,
        while keys queued during a settle no longer wake the task. Under the virtual clock it
        yields to the event loop (HTTP handlers, watch streams) once ``YIELD_EVERY``
        reconciles and timers have run since the last yield, counted across settles: a
        virtual hour's hundreds of small instants share a few event-loop turns, the work
        between two turns stays bounded, and when a settle yields depends on work alone,
        never on wall time. Under the real clock it yields after every round, as before: real
        timers fire only while it does.
        """
        self._new_settle()
        total = 0
        watch = self._watch
        run_ready = self.run_ready
        for _ in range(max_rounds):
            n = run_ready()
            if clock is not None:
                n += clock.fire_due()
            total += n
            if n == 0 and not self.busy():
                return total
            if watch.flagged:
                churning = [(c.name, c.churning) for c in self.controllers if c.churning is not None]
                raise SettleError(self._churn_report(churning))
            # the background task's batch (nothing when no queue has keys)
            self._unyielded += n + run_ready()
            if clock is None or self._unyielded >= YIELD_EVERY:
                self._unyielded = 0
                await asyncio.sleep(0)
        raise SettleError(f"settle: controllers did not converge in {max_rounds:,} rounds")

    def reconciles(self) -> dict[str, int]:
        """Reconciles so far per controller (``busiest`` takes it as its starting point)."""
        return {c.name: c.reconciles for c in self.controllers}

    def busiest(self, since: dict[str, int], n: int) -> list[tuple[int, str]]:
        """The ``n`` controllers that reconciled most since ``since``: (reconciles, name)."""
        return sorted(((c.reconciles - since.get(c.name, 0), c.name) for c in self.controllers),
                      reverse=True)[:n]

    def _churn_report(self, churning: list[tuple[str, Any]]) -> str:
        before = {c.name: c.reconciles - c.reconciles_in_settle() for c in self.controllers}
        busiest = self.busiest(before, 4)
        where = " at one virtual instant" if isinstance(self.clock, VirtualClock) else ""
        return (f"settle: controllers did not converge{where}: "
                + ", ".join(f"{name} reconciled {key} over {CHURN_LIMIT:,} times"
                            for name, key in churning)
                + "; busiest: " + ", ".join(f"{name} {n:,}" for n, name in busiest if n)
                + " — they keep undoing each other's work (a real cluster churns the same way)")

    async def advance(self, seconds: float) -> None:
        """Move virtual time forward, firing timers in order and settling between them
        (one settle per instant a timer is due, all under one ``_settling_scope``)."""
        clock = self.clock
        if not isinstance(clock, VirtualClock):
            raise TypeError("advance() needs the virtual clock")
        target = clock.now() + seconds
        with self._settling_scope():
            await self._settle_rounds(1_000_000, clock)
            while True:
                t = clock.next_deadline()
                if t is None or t > target:
                    break
                clock.set(max(t, clock.now()))
                await self._settle_rounds(1_000_000, clock)
            clock.set(target)
            await self._settle_rounds(1_000_000, clock)

    def stats(self) -> dict[str, Any]:
        return {c.name: {"reconciles": c.reconciles, "errors": c.errors, "queued": len(c.queue),
                         "busy_s": c.busy_s}
                for c in self.controllers}
