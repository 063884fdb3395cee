"""The one clock: the only module that reads real time.

Everything that needs "now" (timestamps, ages, timers) asks a ``Clock``.
``RealClock`` follows the wall clock; ``VirtualClock`` stands still until a
test advances it, which is what makes runs reproducible.
"""

from __future__ import annotations

import datetime as _dt
import time as _time


class Clock:
    """Epoch seconds, and RFC 3339 renderings of them."""

    virtual = False

    def now(self) -> float:
        raise NotImplementedError

    def monotonic(self) -> float:
        raise NotImplementedError

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


class VirtualClock(Clock):
    """Time that moves only when told to (``advance``)."""

    virtual = True

    def __init__(self, start: float = 1767225600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._start = start

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now - self._start

    def set(self, t: float) -> None:
        if t < self._now:
            raise ValueError("virtual time never goes backwards")
        self._now = t


def format_rfc3339(t: float) -> str:
    return _dt.datetime.fromtimestamp(int(t), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(s: str) -> float:
    """Parse the timestamps Kubernetes writes (``Z`` or offset, optional fraction)."""
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(s).timestamp()
