"""The one clock: the only module that reads real time.

Everything that needs "now" (timestamps, ages, timers) asks a ``Clock``.
``RealClock`` follows the wall clock; ``VirtualClock`` stands still until a
test advances it, which is what makes runs reproducible.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import heapq
import itertools
import time as _time
from collections.abc import Callable


class Timer:
    """A scheduled callback; ``cancel()`` before it fires to drop it."""

    __slots__ = ("when", "fn", "cancelled", "_handle")

    def __init__(self, when: float, fn: Callable[[], None]) -> None:
        self.when, self.fn, self.cancelled = when, fn, False
        self._handle: asyncio.TimerHandle | None = None

    def cancel(self) -> None:
        self.cancelled = True
        if self._handle is not None:
            self._handle.cancel()


class Clock:
    """Epoch seconds, RFC 3339 renderings of them, and timers."""

    virtual = False

    def now(self) -> float:
        raise NotImplementedError

    def monotonic(self) -> float:
        raise NotImplementedError

    def call_at(self, when: float, fn: Callable[[], None]) -> Timer:
        """Run ``fn`` once the clock reads ``when`` (epoch seconds)."""
        raise NotImplementedError

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        return self.call_at(self.now() + max(delay, 0.0), fn)

    def next_deadline(self) -> float | None:
        """When the earliest pending timer is due (virtual clocks only)."""
        return None

    def rfc3339(self, at: float | None = None) -> str:
        return format_rfc3339(self.now() if at is None else at)

    def rfc3339_micro(self, at: float | None = None) -> str:
        t = self.now() if at is None else at
        return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RealClock(Clock):
    def now(self) -> float:
        return _time.time()

    def monotonic(self) -> float:
        return _time.monotonic()

    def call_at(self, when: float, fn: Callable[[], None]) -> Timer:
        t = Timer(when, fn)
        loop = asyncio.get_running_loop()
        t._handle = loop.call_later(max(when - self.now(), 0.0), fn)
        return t


class VirtualClock(Clock):
    """Time that moves only when told to (``advance``)."""

    virtual = True

    def __init__(self, start: float = 1767225600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._start = start
        self._timers: list[tuple[float, int, Timer]] = []

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now - self._start

    def set(self, t: float) -> None:
        if t < self._now:
            raise ValueError("virtual time never goes backwards")
        self._now = t

    _seq = itertools.count()

    def call_at(self, when: float, fn: Callable[[], None]) -> Timer:
        t = Timer(when, fn)
        heapq.heappush(self._timers, (when, next(self._seq), t))
        return t

    def next_deadline(self) -> float | None:
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def fire_due(self) -> int:
        """Run every timer due at the current virtual time, in order."""
        n = 0
        while self._timers and self._timers[0][0] <= self._now:
            _, _, t = heapq.heappop(self._timers)
            if not t.cancelled:
                t.cancelled = True
                t.fn()
                n += 1
        return n


def format_rfc3339(t: float) -> str:
    return _dt.datetime.fromtimestamp(int(t), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(s: str) -> float:
    """Parse the timestamps Kubernetes writes (``Z`` or offset, optional fraction)."""
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(s).timestamp()
