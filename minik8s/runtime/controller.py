"""The reconcile contract and the controller loop body.

A controller is a reconcile function over current state: it gets a key
(``Request``), reads what it needs from informer caches, writes the
difference through the client, and says when to look again:

- return ``None`` or ``Result()``: done until something changes;
- return ``Result(requeue_after=s)``: look again in ``s`` seconds (on the clock);
- raise ``TerminalError``: log, do not retry;
- raise anything else (``ApiError`` included): retry with exponential backoff.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Hashable
from time import perf_counter
from typing import Any

from minik8s.aio.clock import Clock
from minik8s.memo import remember
from minik8s.runtime.queue import WorkQueue

log = logging.getLogger("minik8s.controllers")


@dataclasses.dataclass(frozen=True, order=True)
class Request:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclasses.dataclass(frozen=True)
class Result:
    requeue_after: float | None = None
    requeue: bool = False


#: delay -> its Result, for ``requeue_after`` (bounded: ``remember``)
_REQUEUES: dict[float, Result] = {}


def requeue_after(seconds: float) -> Result:
    """``Result(requeue_after=seconds)``, one object per delay: a Result is immutable, and the
    periodic reconciles of a virtual hour (heartbeats, health checks, scrapes) ask for the same
    few delays thousands of times."""
    r = _REQUEUES.get(seconds)
    if r is None:
        r = remember(_REQUEUES, seconds, Result(requeue_after=seconds), 256)
    return r


class TerminalError(Exception):
    """A failure retrying cannot fix (bad spec): logged, not retried."""


Reconcile = Callable[[Any], "Result | None"]

#: reconciles of one key within one settle() before it is called a livelock: converging work
#: reconciles a key a few times per round and needs tens of rounds (10k pods: ~20)
CHURN_LIMIT = 2_000


class SettleWatch:
    """What a settle() watches for livelock, shared by one manager's controllers.

    A settle bumps ``settle`` and sets ``active``; each controller starts its per-key counts
    afresh on its first reconcile of that settle (``Controller.recent``), so beginning and
    ending a settle costs the same however many controllers there are (a virtual hour runs
    hundreds of settles). ``flagged`` lists the controllers that saw a key pass CHURN_LIMIT.
    """

    __slots__ = ("active", "flagged", "settle")

    def __init__(self) -> None:
        self.active = False
        self.settle = 0
        self.flagged: list[Controller] = []


class Controller:
    """A named reconcile function with its own work queue."""

    def __init__(self, name: str, reconcile: Reconcile, clock: Clock,
                 on_ready: Callable[[], None] = lambda: None,
                 watch: SettleWatch | None = None) -> None:
        self.name = name
        self.reconcile = reconcile
        self.queue = WorkQueue(clock, on_ready)
        self.errors = 0
        self.reconciles = 0
        #: wall seconds spent reconciling (writes included): per-controller throughput in bench/
        self.busy_s = 0.0
        self.settle_watch = watch if watch is not None else SettleWatch()
        #: reconciles per key in the watched settle numbered ``_recent_settle``
        self.recent: dict[Hashable, int] = {}
        self._recent_settle = -1
        #: a key reconciled more than CHURN_LIMIT times in the watched span
        self.churning: Hashable | None = None

    def reconciles_in_settle(self) -> int:
        """Reconciles since the current (or last) watched settle began."""
        return sum(self.recent.values()) if self._recent_settle == self.settle_watch.settle else 0

    def enqueue(self, key: Hashable) -> None:
        self.queue.add(key)

    def process_one(self) -> bool:
        """Reconcile the next queued key, if any; whether there was one."""
        return self.process_some(1) == 1

    def process_some(self, count: int) -> int:
        """Reconcile up to ``count`` queued keys, one after another; how many there were.
        (One loop here rather than one call per key from the manager: a virtual hour runs
        thousands of reconciles, most of them alone at their instant.)"""
        queue = self.queue
        watch = self.settle_watch
        done = 0
        while done < count:
            key = queue.get()
            if key is None:
                break
            done += 1
            self.reconciles += 1
            if watch.active:
                if self._recent_settle != watch.settle:
                    self._recent_settle, self.recent = watch.settle, {}
                recent = self.recent
                n = recent[key] = recent.get(key, 0) + 1
                if n > CHURN_LIMIT:
                    if self.churning is None:
                        watch.flagged.append(self)
                    self.churning = key
            started = perf_counter()
            try:
                result = self.reconcile(key)
            except TerminalError as e:
                log.warning("%s: %s: terminal error: %s", self.name, key, e)
                queue.forget(key)
            except Exception as e:  # noqa: BLE001 - every other error means "retry later"
                self.errors += 1
                log.debug("%s: %s: %s (retrying)", self.name, key, e, exc_info=not hasattr(e, "code"))
                queue.add_rate_limited(key)
            else:
                queue.forget(key)
                if result is not None:
                    if result.requeue_after is not None:
                        queue.add_after(key, result.requeue_after)
                    elif result.requeue:
                        queue.add_rate_limited(key)
            finally:
                queue.done(key)
                self.busy_s += perf_counter() - started
        return done
