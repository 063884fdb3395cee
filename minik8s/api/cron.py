"""Cron schedules as the CronJob controller reads them (robfig/cron v3 ``ParseStandard``).

``parse("*/5 * * * *", tz="Asia/Seoul")`` → ``Schedule``; ``Schedule.next(t)`` is the
first matching minute strictly after epoch seconds ``t`` (``None`` when nothing matches
within five years, as robfig returns the zero time). Neighbour: ``controllers.cronjob``.

Accepted, as robfig's standard parser accepts:
- five fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or
  ``jan``-``dec``), day of week (0-6 or ``sun``-``sat``); each a comma list of ``*``/``?``,
  ``N``, ``N-M``, each optionally ``/step`` (``N/step`` means ``N-max/step``);
- descriptors ``@yearly`` ``@annually`` ``@monthly`` ``@weekly`` ``@daily``
  ``@midnight`` ``@hourly`` and ``@every <Go duration>``;
- a ``TZ=<zone>`` or ``CRON_TZ=<zone>`` prefix (``tz=`` — the CronJob's ``spec.timeZone``
  — is the same thing; the prefix wins).

Day of month and day of week combine like cron: when either field is unrestricted
(starts with ``*``/``?`` and has no step above 1) both must match; otherwise either may.
Wall-clock times a DST change skips never fire; a repeated wall time fires once, at its
first occurrence after ``t``.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
import zoneinfo

UTC = dt.UTC
MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
               "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
               "@hourly": "0 * * * *"}
#: (min, max, names) per field, in order
FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, MONTHS), (0, 6, DAYS))
#: robfig gives up after this many years without a match
YEAR_LIMIT = 5


class CronError(ValueError):
    """An unparseable schedule; the text is robfig's error."""


@dataclasses.dataclass(frozen=True)
class Field:
    values: tuple[int, ...]   # sorted
    star: bool                # unrestricted ("*" or "?" with step 1)


@dataclasses.dataclass(frozen=True)
class Schedule:
    minute: Field
    hour: Field
    dom: Field
    month: Field
    dow: Field
    tz: dt.tzinfo = UTC
    #: ``@every``: a fixed delay in seconds instead of fields
    every: float | None = None

    # -- matching ----------------------------------------------------------------
    def _day_ok(self, d: dt.datetime) -> bool:
        dom_ok = d.day in self.dom.values
        dow_ok = (d.isoweekday() % 7) in self.dow.values
        if self.dom.star or self.dow.star:
            return dom_ok and dow_ok
        return dom_ok or dow_ok

    def matches_wall(self, d: dt.datetime) -> bool:
        """Whether a wall-clock time (in the schedule's zone) is a firing time."""
        return (d.second == 0 and d.microsecond == 0 and d.minute in self.minute.values
                and d.hour in self.hour.values and d.month in self.month.values
                and self._day_ok(d))

    def matches(self, t: float) -> bool:
        """Whether epoch seconds ``t`` is a firing time (fields only)."""
        if t != int(t):
            return False
        return self.matches_wall(dt.datetime.fromtimestamp(t, self.tz).replace(tzinfo=None))

    # -- next --------------------------------------------------------------------
    def next(self, t: float) -> float | None:
        """The first firing time strictly after ``t`` (epoch seconds), or None."""
        if self.every is not None:
            return float(int(t) + self.every)  # robfig: drop sub-seconds, add the delay
        start = int(t) + 1
        wall = dt.datetime.fromtimestamp(start, self.tz).replace(tzinfo=None)
        if wall.second:
            wall = wall.replace(second=0) + dt.timedelta(minutes=1)
        limit = wall.year + YEAR_LIMIT
        while True:
            cand = self._next_wall(wall, limit)
            if cand is None:
                return None
            at = cand.replace(tzinfo=self.tz)  # fold=0: a repeated wall time's first instant
            exists = at.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None) == cand
            if exists and at.timestamp() >= start:
                return float(at.timestamp())
            wall = cand + dt.timedelta(minutes=1)

    def _next_wall(self, w: dt.datetime, limit: int) -> dt.datetime | None:
        """First wall time >= ``w`` (minute-aligned) whose fields match."""
        while w.year <= limit:
            if w.month not in self.month.values:
                i = bisect.bisect_right(self.month.values, w.month)
                if i < len(self.month.values):
                    w = dt.datetime(w.year, self.month.values[i], 1)
                else:
                    w = dt.datetime(w.year + 1, self.month.values[0], 1)
                continue
            if not self._day_ok(w):
                w = dt.datetime(w.year, w.month, w.day) + dt.timedelta(days=1)
                continue
            if w.hour not in self.hour.values:
                i = bisect.bisect_right(self.hour.values, w.hour)
                if i < len(self.hour.values):
                    w = w.replace(hour=self.hour.values[i], minute=0)
                else:
                    w = dt.datetime(w.year, w.month, w.day) + dt.timedelta(days=1)
                continue
            if w.minute not in self.minute.values:
                i = bisect.bisect_right(self.minute.values, w.minute)
                if i < len(self.minute.values):
                    w = w.replace(minute=self.minute.values[i])
                else:
                    w = w.replace(minute=0) + dt.timedelta(hours=1)
                continue
            return w
        return None


def load_zone(name: str) -> dt.tzinfo:
    """``time.LoadLocation``: "" and "UTC" are UTC, "Local" is UTC here (no host zone)."""
    if name in ("", "UTC", "Local"):
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise CronError(f"unknown time zone {name}") from e


def parse(spec: str, tz: str | None = None) -> Schedule:
    """Parse a standard cron spec; ``tz`` is the zone used when the spec names none."""
    if not spec:
        raise CronError("empty spec string")
    zone: dt.tzinfo = load_zone(tz or "")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        i = spec.find(" ")
        name = spec[spec.index("=") + 1:i if i >= 0 else len(spec)]
        try:
            zone = load_zone(name)
        except CronError as e:
            raise CronError(f"provided bad location {name}: {e}") from None
        spec = spec[i:].strip() if i >= 0 else ""
    if spec.startswith("@"):
        return _descriptor(spec, zone)
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: {spec}")
    return _fields(fields, zone)


def _fields(fields: list[str], zone: dt.tzinfo) -> Schedule:
    m, h, dom, mon, dow = (_field(f, lo, hi, names) for f, (lo, hi, names) in zip(fields, FIELDS))
    return Schedule(m, h, dom, mon, dow, tz=zone)


def _descriptor(spec: str, zone: dt.tzinfo) -> Schedule:
    if spec in DESCRIPTORS:
        return _fields(DESCRIPTORS[spec].split(), zone)
    if spec.startswith("@every "):
        try:
            secs = go_duration(spec[len("@every "):])
        except ValueError as e:
            raise CronError(f"failed to parse duration {spec}: {e}") from None
        secs = max(float(int(secs)), 1.0)  # robfig rounds down to seconds, at least one
        star = Field((), True)
        return Schedule(star, star, star, star, star, tz=zone, every=secs)
    raise CronError(f"unrecognized descriptor: {spec}")


def _field(text: str, lo: int, hi: int, names: dict[str, int]) -> Field:
    values: set[int] = set()
    star = False
    for expr in text.split(","):
        vals, is_star = _range(expr, lo, hi, names)
        values |= vals
        star = star or is_star
    return Field(tuple(sorted(values)), star)


def _range(expr: str, lo: int, hi: int, names: dict[str, int]) -> tuple[set[int], bool]:
    range_step = expr.split("/")
    low_high = range_step[0].split("-")
    single = len(low_high) == 1
    star = False
    if low_high[0] in ("*", "?"):
        start, end, star = lo, hi, True
    else:
        start = _value(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _value(low_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_step) == 1:
        step = 1
    elif len(range_step) == 2:
        step = _int(range_step[1])
        if single:  # "N/step" means "N-max/step"
            end = hi
        if step > 1:
            star = False
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def _value(text: str, names: dict[str, int]) -> int:
    v = names.get(text.lower())
    return v if v is not None else _int(text)


def _int(text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise CronError(f"failed to parse int from {text}: strconv.Atoi: parsing "
                        f"\"{text}\": invalid syntax")
    n = int(text)
    if n < 0:
        raise CronError(f"negative number ({n}) not allowed: {text}")
    return n


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
          "h": 3600.0}
_DURATION_RE = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` → seconds (``1h30m``, ``90s``, ``1.5h``)."""
    s = text.strip()
    sign = -1.0 if s.startswith("-") else 1.0
    s = s.lstrip("+-")
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(f'time: invalid duration "{text}"')
    total, pos = 0.0, 0
    while pos < len(s):
        m = _DURATION_RE.match(s, pos)
        if m is None or m.group(1) in ("", "."):
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return sign * total
