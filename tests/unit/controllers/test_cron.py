"""The cron parser (``minik8s.api.cron``): robfig/cron v3 ``ParseStandard`` semantics.

Table tests for parsing, errors and next times; a hypothesis property that ``next(t)`` is the
first matching minute after ``t``, against an oracle built from the generated field sets.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minik8s.api import cron

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp()  # a Thursday


def at(*args: int, tz: dt.tzinfo = UTC) -> float:
    return dt.datetime(*args, tzinfo=tz).timestamp()


def nexts(spec: str, start: float, n: int = 3, tz: str | None = None) -> list[str]:
    s = cron.parse(spec, tz)
    out, t = [], start
    for _ in range(n):
        nt = s.next(t)
        assert nt is not None
        out.append(dt.datetime.fromtimestamp(nt, s.tz).isoformat())
        t = nt
    return out


@pytest.mark.parametrize("spec,start,expected", [
    ("*/5 * * * *", T0, ["2026-01-01T00:05:00+00:00", "2026-01-01T00:10:00+00:00",
                         "2026-01-01T00:15:00+00:00"]),
    ("0 9 * * MON-FRI", at(2026, 1, 2, 10), ["2026-01-05T09:00:00+00:00",
                                             "2026-01-06T09:00:00+00:00",
                                             "2026-01-07T09:00:00+00:00"]),
    ("@hourly", at(2026, 1, 1, 0, 30), ["2026-01-01T01:00:00+00:00", "2026-01-01T02:00:00+00:00",
                                        "2026-01-01T03:00:00+00:00"]),
    ("@weekly", T0, ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00",
                     "2026-01-18T00:00:00+00:00"]),
    ("0 0 1 */4 *", T0, ["2026-05-01T00:00:00+00:00", "2026-09-01T00:00:00+00:00",
                         "2027-01-01T00:00:00+00:00"]),
    ("0 0 29 feb *", T0, ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00",
                          "2036-02-29T00:00:00+00:00"]),
    ("15,45 1-3/2 * * *", T0, ["2026-01-01T01:15:00+00:00", "2026-01-01T01:45:00+00:00",
                               "2026-01-01T03:15:00+00:00"]),
    ("0 12 13 * 5", T0, ["2026-01-02T12:00:00+00:00", "2026-01-09T12:00:00+00:00",
                         "2026-01-13T12:00:00+00:00"]),
    ("0 12 13 * *", T0, ["2026-01-13T12:00:00+00:00", "2026-02-13T12:00:00+00:00",
                         "2026-03-13T12:00:00+00:00"]),
    ("5/20 * * * *", T0, ["2026-01-01T00:05:00+00:00", "2026-01-01T00:25:00+00:00",
                          "2026-01-01T00:45:00+00:00"]),
    ("@every 1h30m", T0 + 0.5, ["2026-01-01T01:30:00+00:00", "2026-01-01T03:00:00+00:00",
                                "2026-01-01T04:30:00+00:00"]),
], ids=[
    "every five minutes fires on the fives",
    "weekdays by name skip the weekend",
    "the hourly descriptor fires on the hour",
    "the weekly descriptor fires on Sundays",
    "a month step from a star starts at January",
    "the 29th of February waits for leap years",
    "lists and stepped ranges combine",
    "a restricted day of month and day of week fire on either",
    "a starred day of week leaves only the day of month",
    "N/step means N to the maximum by step",
    "every adds a fixed delay to the whole second",
])
def test_next_times(spec: str, start: float, expected: list[str]) -> None:
    assert nexts(spec, start) == expected


@pytest.mark.parametrize("spec,tz,start,expected", [
    ("0 9 * * *", "Asia/Seoul", T0, ["2026-01-02T09:00:00+09:00", "2026-01-03T09:00:00+09:00"]),
    ("CRON_TZ=Asia/Seoul 0 9 * * *", None, T0, ["2026-01-02T09:00:00+09:00",
                                               "2026-01-03T09:00:00+09:00"]),
    ("TZ=America/New_York 30 2 * * *", None, at(2026, 3, 7, 12),
     ["2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"]),
    ("30 1 * * *", "America/New_York", at(2026, 10, 31, 12),
     ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
], ids=[
    "the time zone argument moves wall-clock times",
    "a CRON_TZ prefix names the zone",
    "a wall time the spring-forward change skips never fires",
    "a wall time the fall-back change repeats fires once",
])
def test_time_zones(spec: str, tz: str | None, start: float, expected: list[str]) -> None:
    assert nexts(spec, start, 2, tz) == expected


@pytest.mark.parametrize("spec,message", [
    ("", "empty spec string"),
    ("* * * *", "expected exactly 5 fields, found 4: * * * *"),
    ("* * * * * *", "expected exactly 5 fields, found 6: * * * * * *"),
    ("61 * * * *", "end of range (61) above maximum (59): 61"),
    ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("5-2 * * * *", "beginning of range (5) beyond end of range (2): 5-2"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("*/2/3 * * * *", "too many slashes: */2/3"),
    ("* * * * 7", "end of range (7) above maximum (6): 7"),
    ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
    ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ("TZ=Mars/Olympus * * * * *", "provided bad location Mars/Olympus: unknown time zone Mars/Olympus"),
], ids=[
    "an empty schedule is refused",
    "four fields are too few",
    "six fields are too many (no seconds field)",
    "a minute above 59 is out of range",
    "a day of month of 0 is below the minimum",
    "a backwards range is refused",
    "a zero step is refused",
    "a range with two hyphens is refused",
    "a step with two slashes is refused",
    "day of week 7 is out of range as in robfig",
    "a word that is no name is not a number either",
    "an unknown descriptor is refused",
    "an unknown zone is a bad location",
])
def test_parse_errors(spec: str, message: str) -> None:
    with pytest.raises(cron.CronError) as e:
        cron.parse(spec)
    assert str(e.value) == message


def test_a_schedule_that_never_fires_has_no_next_time() -> None:
    assert cron.parse("59 23 31 2 *").next(T0) is None


def test_next_is_strictly_after_a_matching_instant() -> None:
    s = cron.parse("* * * * *")
    assert s.next(T0) == T0 + 60
    assert s.next(T0 - 0.5) == T0


# -- property: next(t) is the first matching minute after t ------------------------------
FIELD_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]


@st.composite
def field(draw: st.DrawFn, lo: int, hi: int) -> tuple[str, set[int], bool]:
    """One field as text, the set it means, and whether robfig marks it unrestricted."""
    kind = draw(st.sampled_from(["star", "star-step", "list", "range"]))
    if kind == "star":
        return "*", set(range(lo, hi + 1)), True
    if kind == "star-step":
        step = draw(st.integers(2, max(2, (hi - lo) // 2)))
        return f"*/{step}", set(range(lo, hi + 1, step)), False
    if kind == "list":
        vals = draw(st.lists(st.integers(lo, hi), min_size=1, max_size=4, unique=True))
        return ",".join(map(str, vals)), set(vals), False
    a = draw(st.integers(lo, hi))
    b = draw(st.integers(a, hi))
    step = draw(st.integers(1, 3))
    return f"{a}-{b}/{step}", set(range(a, b + 1, step)), False


@st.composite
def schedules(draw: st.DrawFn) -> tuple[str, list[tuple[str, set[int], bool]]]:
    fields = [draw(field(lo, hi)) for lo, hi in FIELD_RANGES]
    return " ".join(f[0] for f in fields), fields


def oracle(fields: list[tuple[str, set[int], bool]], d: dt.datetime) -> bool:
    (_, mins, _), (_, hours, _), (_, doms, dom_star), (_, months, _), (_, dows, dow_star) = fields
    dom_ok, dow_ok = d.day in doms, (d.isoweekday() % 7) in dows
    day_ok = (dom_ok and dow_ok) if (dom_star or dow_star) else (dom_ok or dow_ok)
    return d.minute in mins and d.hour in hours and d.month in months and day_ok


WINDOW_MINUTES = 3 * 24 * 60


@settings(max_examples=60, deadline=None)
@given(schedules(), st.integers(0, 3 * 366 * 24 * 60), st.integers(0, 59))
def test_next_is_the_first_matching_minute_after_t(
        sched: tuple[str, list[tuple[str, set[int], bool]]], minute: int, second: int) -> None:
    text, fields = sched
    s = cron.parse(text)
    t = T0 + minute * 60 + second
    nt = s.next(t)
    first = (int(t) // 60 + 1) * 60
    brute = None
    for m in range(WINDOW_MINUTES):
        cand = first + m * 60
        if oracle(fields, dt.datetime.fromtimestamp(cand, UTC)):
            brute = cand
            break
    if brute is not None:
        assert nt == brute, text
    else:
        assert nt is None or nt >= first + WINDOW_MINUTES * 60, text
    if nt is not None:
        assert nt > t
        assert oracle(fields, dt.datetime.fromtimestamp(nt, UTC)), text
        assert s.matches(nt)
