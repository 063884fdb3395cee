"""A de-duplicating, rate-limited work queue, like client-go's workqueue.

Guarantees:
- a key is queued at most once however often it is added;
- a key is never handed out twice at the same time: one added while it is
  being processed is marked dirty and handed out again after ``done``;
- ``add_rate_limited`` delays a key exponentially by its failure count
  (5 ms doubling up to 1000 s, client-go's default) until ``forget``;
- ``add_after`` delays a key on the injected clock (keeps the earliest).
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Hashable

from minik8s.aio.clock import Clock, Timer

BASE_DELAY = 0.005
MAX_DELAY = 1000.0


class WorkQueue:
    def __init__(self, clock: Clock, on_ready: Callable[[], None] = lambda: None) -> None:
        self._clock = clock
        self._on_ready = on_ready
        #: the queued keys, in order (outside, the manager asks ``len`` of it, a C call,
        #: thousands of times in a virtual hour, and ``Controller.process_some`` takes keys
        #: from it as ``get`` does)
        self.keys: collections.deque[Hashable] = collections.deque()
        self._queued: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._dirty: set[Hashable] = set()
        self._failures: dict[Hashable, int] = {}
        self._timers: dict[Hashable, Timer] = {}

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def busy(self) -> bool:
        return bool(self.keys or self._processing)

    def add(self, key: Hashable) -> None:
        if key in self._processing:
            self._dirty.add(key)
            return
        if key in self._queued:
            return
        self._queued.add(key)
        self.keys.append(key)
        self._on_ready()

    def add_after(self, key: Hashable, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        when = self._clock.now() + delay
        old = self._timers.get(key)
        if old is not None:
            if not old.cancelled and old.when <= when:
                return
            old.cancel()

        def fire() -> None:
            self._timers.pop(key, None)
            self.add(key)

        self._timers[key] = self._clock.call_at(when, fire)

    def add_rate_limited(self, key: Hashable) -> None:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        self.add_after(key, min(BASE_DELAY * (2 ** n), MAX_DELAY))

    def forget(self, key: Hashable) -> None:
        if self._failures:
            self._failures.pop(key, None)

    def failures(self, key: Hashable) -> int:
        return self._failures.get(key, 0)

    def get(self) -> Hashable | None:
        if not self.keys:
            return None
        key = self.keys.popleft()
        self._queued.discard(key)
        self._processing.add(key)
        return key

    def done(self, key: Hashable) -> None:
        self._processing.discard(key)
        if self._dirty and key in self._dirty:
            self._dirty.discard(key)
            self.add(key)

    def pending_timers(self) -> int:
        return sum(1 for t in self._timers.values() if not t.cancelled)
