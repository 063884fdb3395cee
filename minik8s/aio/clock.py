"""The one clock: the only module that reads real time.

Everything that needs "now" (timestamps, ages, timers) asks a ``Clock``.
``RealClock`` follows the wall clock; ``VirtualClock`` stands still until a
test advances it, which is what makes runs reproducible.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as _dt
import heapq
import math
import time as _time
from collections.abc import Callable

from minik8s.memo import remember


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
        return format_rfc3339_micro(self.now() if at is None else at)


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
        #: the instants timers are set for, a heap of numbers, and per instant its timers in
        #: the order they were set. Firing always takes the first timer of the earliest instant,
        #: so timers fire in (instant, order set) order, as from one heap of (when, sequence)
        #: entries; but the heap compares plain numbers, and holds each instant once (a virtual
        #: hour sets thousands of timers on a few hundred instants: the nodes renew together).
        #: Invariant: an instant is in the heap exactly while it has a (non-empty) entry here.
        self._instants: list[float] = []
        self._due: dict[float, collections.deque[Timer]] = {}

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now - self._start

    def set(self, t: float) -> None:
        if t < self._now:
            raise ValueError("virtual time never goes backwards")
        self._now = t

    def call_at(self, when: float, fn: Callable[[], None]) -> Timer:
        t = Timer(when, fn)
        timers = self._due.get(when)
        if timers is None:
            self._due[when] = collections.deque((t,))
            heapq.heappush(self._instants, when)
        else:
            timers.append(t)
        return t

    def next_deadline(self) -> float | None:
        instants, due = self._instants, self._due
        while instants:
            timers = due[instants[0]]
            while timers and timers[0].cancelled:
                timers.popleft()
            if timers:
                return instants[0]
            del due[heapq.heappop(instants)]
        return None

    def fire_due(self) -> int:
        """Run every timer due at the current virtual time, in order."""
        n = 0
        instants, due = self._instants, self._due
        while instants and instants[0] <= self._now:
            when = instants[0]
            timers = due[when]
            t = timers.popleft()
            if not timers:
                heapq.heappop(instants)
                del due[when]
            if not t.cancelled:
                t.cancelled = True
                t.fn()
                n += 1
        return n

    def pending_timers(self) -> int:
        """Timers set and neither fired nor cancelled yet."""
        return sum(not t.cancelled for timers in self._due.values() for t in timers)


#: UTC day number -> "YYYY-MM-DD": a whole-seconds stamp is that day plus hh:mm:ss (POSIX time has
#: no leap seconds), so strftime runs once per day seen instead of once per stamp
_DAYS: dict[int, str] = {}
#: epoch second -> its stamp: one instant is stamped many times over (a write, its event, ...)
_SECONDS: dict[int, str] = {}
#: stamp -> epoch seconds for the timestamps controllers re-read on every look (Lease renewTime,
#: heartbeats); parsing is pure, so a memo is always right
_PARSED: dict[str, float] = {}
#: each memo here holds at most this many entries (``remember``: the oldest go first)
_MEMO_MAX = 4096


def _seconds_stamp(s: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` of whole epoch seconds, as ``strftime`` writes it."""
    stamp = _SECONDS.get(s)
    if stamp is None:
        stamp = remember(_SECONDS, s, _format_seconds(s), _MEMO_MAX)
    return stamp


def _format_seconds(s: int) -> str:
    """``_seconds_stamp`` without the memo of seconds (the day's date is memoized)."""
    day, sec = divmod(s, 86400)
    date = _DAYS.get(day)
    if date is None:
        date = remember(_DAYS, day, _dt.datetime.fromtimestamp(day * 86400, _dt.timezone.utc)
                        .strftime("%Y-%m-%d"), _MEMO_MAX)
    m, sec = divmod(sec, 60)
    return date + _T_HH_MM[m] + _COLON_SS[sec]


#: minute of the day -> "THH:MM" and second of the minute -> ":SS": one new stamp is made at
#: every second a write happens in (each Lease renewal), so its clock part is two lookups
_T_HH_MM: tuple[str, ...] = tuple(f"T{h:02d}:{m:02d}" for h in range(24) for m in range(60))
_COLON_SS: tuple[str, ...] = tuple(f":{s:02d}" for s in range(60))


#: the last whole second ``format_rfc3339`` rendered, and its stamp: a write stamps its
#: second more than once (creationTimestamp, managedFields, its event) and objects written
#: in one second share the string
_LAST_SECOND: tuple[int | None, str] = (None, "")


def format_rfc3339(t: float) -> str:
    """Whole seconds (truncated), like ``metav1.Time``."""
    global _LAST_SECOND
    s = int(t)
    last = _LAST_SECOND
    if last[0] == s:
        return last[1]
    stamp = _seconds_stamp(s) + "Z"
    _LAST_SECOND = (s, stamp)
    return stamp


#: the last instant ``format_rfc3339_micro`` rendered, and its stamp: the kubelets of every
#: node renew their Leases at the same virtual instant (formatting is pure, so always right)
_LAST_MICRO: tuple[float, str] = (math.nan, "")


def format_rfc3339_micro(t: float) -> str:
    """Microseconds, like ``metav1.MicroTime``; rounds as ``datetime.fromtimestamp`` does
    (the fraction times 10^6, half to even, carrying into the seconds)."""
    global _LAST_MICRO
    last = _LAST_MICRO
    if last[0] == t:
        return last[1]
    stamp = _format_micro(t)
    _LAST_MICRO = (t, stamp)
    return stamp


def _format_micro(t: float) -> str:
    """``format_rfc3339_micro`` without the memo of the last instant."""
    frac, whole = math.modf(t)
    us = round(frac * 1e6)
    if us >= 1_000_000:
        us -= 1_000_000
        whole += 1.0
    elif us < 0:
        us += 1_000_000
        whole -= 1.0
    seconds = int(whole)
    stamp = f"{_seconds_stamp(seconds)}.{us:06d}Z"
    # what parse_rfc3339 will make of it (datetime.timestamp(): whole microseconds / 10^6): a
    # stamp written now (a Lease renewTime) is read back by every look at it
    remember(_PARSED, stamp, (seconds * 1_000_000 + us) / 1_000_000, _MEMO_MAX)
    return stamp


def parse_rfc3339(s: str) -> float:
    """Parse the timestamps Kubernetes writes (``Z`` or offset, optional fraction)."""
    t = _PARSED.get(s)
    if t is None:
        t = remember(_PARSED, s, _parse_rfc3339(s), _MEMO_MAX)
    return t


def _parse_rfc3339(s: str) -> float:
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(s).timestamp()
