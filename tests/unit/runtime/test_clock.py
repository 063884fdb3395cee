"""The clock's RFC 3339 forms: exactly what ``datetime.strftime`` writes, and parses that agree."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pytest

from minik8s.aio import clock
from minik8s.aio.clock import format_rfc3339, format_rfc3339_micro, parse_rfc3339


def strftime_seconds(t: float) -> str:
    return dt.datetime.fromtimestamp(int(t), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def strftime_micro(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_uncached(s: str) -> float:
    return dt.datetime.fromisoformat(s).timestamp()


EDGES = [0.0, 1767225600.0, 1767225600.9999995, 1767225600.0000005, 1767225599.9999999,
         86399.9999996, -0.5, -1.0000004, -86400.3, 1e9 + 0.5e-6, 253402300799.0, 4102444800.25]


def times() -> list[float]:
    rng = random.Random(1)
    out = list(EDGES)
    for _ in range(20_000):
        out.append(rng.choice([rng.uniform(-3e9, 3e10),
                               1767225600 + rng.randrange(10**7) + rng.randrange(10**6) / 1e6,
                               rng.randrange(-10**9, 10**10) + rng.randrange(2_000_001) / 2e6]))
    return out


def test_stamps_are_what_strftime_writes_rounding_and_carry_included() -> None:
    for t in times():
        assert format_rfc3339(t) == strftime_seconds(t), t
        assert format_rfc3339_micro(t) == strftime_micro(t), t


def test_a_time_datetime_cannot_hold_raises_as_datetime_does() -> None:
    with pytest.raises(ValueError):
        format_rfc3339_micro(253402300799.9999996)  # rounds into year 10000


def test_a_micro_stamp_parses_back_as_datetime_parses_it() -> None:
    for t in times()[:5_000]:
        stamp = format_rfc3339_micro(t)  # remembers what the stamp parses to
        assert parse_rfc3339(stamp) == parse_uncached(stamp), stamp


def test_parsing_is_memoized_but_a_bad_stamp_raises_every_time() -> None:
    assert parse_rfc3339("2026-01-01T00:00:10Z") == 1767225610.0
    assert parse_rfc3339("2026-01-01T00:00:10Z") == 1767225610.0
    assert parse_rfc3339("2026-01-01T01:00:10+01:00") == 1767225610.0
    for _ in range(2):
        with pytest.raises(ValueError):
            parse_rfc3339("yesterday")


def test_the_memos_stay_bounded() -> None:
    for i in range(clock._MEMO_MAX + 10):
        format_rfc3339_micro(1767225600 + i * 1.5)
    assert len(clock._PARSED) <= clock._MEMO_MAX
    assert len(clock._SECONDS) <= clock._MEMO_MAX


def test_the_same_instant_stamped_again_is_the_same_stamp() -> None:
    # the last instant's stamp is remembered (every node's kubelet renews at one instant)
    for t in [1767225600.25, 1767225600.25, 1767225610.0, 1767225600.25, -0.5, -0.5, 0.0, -0.0]:
        assert format_rfc3339_micro(t) == strftime_micro(t), t
        assert parse_rfc3339(format_rfc3339_micro(t)) == parse_uncached(strftime_micro(t)), t


def test_writes_in_one_second_share_its_stamp() -> None:
    # the last whole second's stamp is remembered: creationTimestamp, managedFields time and
    # events of writes in that second are one string
    a = format_rfc3339(1767225600.1)
    assert a == "2026-01-01T00:00:00Z" and format_rfc3339(1767225600.9) is a
    b = format_rfc3339(1767225601.0)
    assert b == "2026-01-01T00:00:01Z" and format_rfc3339(1767225600.5) == a
    for t in [-1.5, -1.0, -0.5, 0.0, 59.999]:
        assert format_rfc3339(t) == dt.datetime.fromtimestamp(int(t), dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), t


def test_virtual_timers_fire_by_instant_then_in_the_order_they_were_set() -> None:
    c = clock.VirtualClock(start=100.0)
    fired: list[str] = []

    def mark(name: str) -> Callable[[], None]:
        return lambda: fired.append(name)

    c.call_at(105.0, mark("b1"))
    c.call_at(103.0, mark("a1"))
    c.call_at(105.0, mark("b2"))
    dropped = c.call_at(103.0, mark("a2"))
    c.call_at(103.0, mark("a3"))
    c.call_at(110.0, mark("late"))

    def set_more() -> None:  # set while firing: a past instant goes first, this one goes last
        fired.append("b3")
        c.call_at(101.0, mark("past"))
        c.call_at(105.0, mark("b5"))

    c.call_at(105.0, set_more)
    c.call_at(105.0, mark("b4"))
    dropped.cancel()
    assert c.next_deadline() == 103.0 and c.pending_timers() == 7
    c.set(105.0)
    assert c.fire_due() == 8
    assert fired == ["a1", "a3", "b1", "b2", "b3", "past", "b4", "b5"]
    assert c.next_deadline() == 110.0 and c.pending_timers() == 1
    c.call_at(107.0, mark("x")).cancel()
    assert c.next_deadline() == 110.0
    c.set(120.0)
    assert c.fire_due() == 1 and fired[-1] == "late" and c.next_deadline() is None
