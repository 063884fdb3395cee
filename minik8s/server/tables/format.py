"""Cell formatting shared by every printer: durations, timestamps, quantities, labels
and selectors, plus the small accessors the cell functions read plain dicts with.

Follows kube-apiserver 1.33 (``apimachinery/util/duration``, ``resource.Quantity``,
``labels.FormatLabels``, ``metav1.FormatLabelSelector``). Pure functions; imports
nothing of this package. Neighbours: the kind modules (``pods``, ``workloads``,
``network``, ``cluster``, ``storage``), ``crd`` and ``registry`` read it.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

Obj = dict[str, Any]

NONE = "<none>"
UNKNOWN = "<unknown>"
UNSET = "<unset>"


# --------------------------------------------------------------------------- durations


def human_duration(seconds: float) -> str:
    """``duration.HumanDuration``: about 2-3 significant figures (``90s``, ``5m10s``,
    ``3h2m``, ``2d3h``, ``8d``, ``2y10d``, ``9y``). Up to 2 s into the future is
    clock skew and reads ``0s``; further is ``<invalid>``."""
    if math.isnan(seconds):
        return "<invalid>"
    s = int(seconds)  # truncates toward zero, as Go's int(d.Seconds())
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m" if rem == 0 else f"{minutes}m{rem}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rem = minutes % 60
        return f"{hours}h" if rem == 0 else f"{hours}h{rem}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d" if rem == 0 else f"{hours // 24}d{rem}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    years, days = divmod(hours // 24, 365)
    if hours < 24 * 365 * 8 and days:
        return f"{years}y{days}d"
    return f"{years}y"


ZERO_TIME = -62135596800.0  # 0001-01-01T00:00:00Z, Go's zero time.Time


def parse_time(value: Any) -> float | None:
    """An RFC 3339 timestamp (``metav1.Time`` / ``MicroTime``) as epoch seconds;
    None when absent, unparseable or Go's zero time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.UTC)
    ts = dt.timestamp()
    return None if ts <= ZERO_TIME else ts


def translate_timestamp_since(value: Any, now: float) -> str:
    """The Age cell: ``human_duration(now - value)``, ``<unknown>`` without a timestamp."""
    ts = parse_time(value)
    if ts is None:
        return UNKNOWN
    return human_duration(now - ts)


def age(obj: Obj, now: float) -> str:
    return translate_timestamp_since(meta(obj).get("creationTimestamp"), now)


def rfc3339(value: Any) -> str:
    """``Time.UTC().Format(time.RFC3339)``: whole seconds, ``Z``."""
    ts = parse_time(value)
    if ts is None:
        return "0001-01-01T00:00:00Z"
    dt = datetime.datetime.fromtimestamp(math.floor(ts), tz=datetime.UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- small helpers


def meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def name(obj: Obj) -> str:
    return str(meta(obj).get("name", ""))


def sub(obj: Any, *path: str) -> Any:
    """obj[path[0]][path[1]]..., None as soon as a step is missing."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def as_int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool) or value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def format_labels(labels: Mapping[str, Any] | None) -> str:
    """``labels.FormatLabels``: ``k=v`` sorted by key, ``<none>`` when empty."""
    if not labels:
        return NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(sel: Any) -> str | None:
    """``LabelSelectorAsSelector(sel).String()``; None when the selector is invalid."""
    if not isinstance(sel, dict):
        return ""
    reqs: list[tuple[str, str]] = []
    for key, value in (sel.get("matchLabels") or {}).items():
        reqs.append((key, f"{key}={value}"))
    for expr in sel.get("matchExpressions") or []:
        key, op = str(expr.get("key", "")), expr.get("operator")
        values = [str(v) for v in expr.get("values") or []]
        if op in ("In", "NotIn"):
            if not values:
                return None
            word = " in " if op == "In" else " notin "
            reqs.append((key, f"{key}{word}({','.join(sorted(values))})"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                return None
            reqs.append((key, key if op == "Exists" else f"!{key}"))
        else:
            return None
    reqs.sort(key=lambda r: r[0])
    return ",".join(text for _, text in reqs)


def format_label_selector(sel: Any) -> str:
    """``metav1.FormatLabelSelector``: ``<none>`` when it selects everything."""
    text = selector_string(sel)
    if text is None:
        return "<error>"
    return text or NONE


def containers(specs: Any) -> tuple[str, str]:
    """``layoutContainerCells``: names and images, comma-joined."""
    items = as_list(specs)
    return (",".join(str(c.get("name", "")) for c in items),
            ",".join(str(c.get("image", "")) for c in items))


def condition_true(conditions: Any, type_: str) -> bool:
    """The first condition of ``type_`` has status True."""
    for cond in as_list(conditions):
        if cond.get("type") == type_:
            return bool(cond.get("status") == "True")
    return False


# --------------------------------------------------------------------------- quantities

_BINARY_SUFFIXES = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12,
                     "P": 15, "E": 18}
_DECIMAL_BY_EXP = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_QUANTITY = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?([a-zA-Z]*|[eE][+-]?\d+)")


def format_quantity(value: Any) -> str:
    """``resource.Quantity.String()``: the canonical form the server stores and prints
    (``2048Mi`` → ``2Gi``, ``1500m`` → ``1500m``, ``0.5`` → ``500m``, missing → ``0``)."""
    if value is None:
        return "0"
    if isinstance(value, bool):
        return str(value)
    text = repr(value) if isinstance(value, float) else str(value)
    m = _QUANTITY.fullmatch(text.strip())
    if m is None or not (m.group(2) or m.group(3)):
        return text
    sign, whole, frac, suffix = m.groups()
    amount = Fraction(int(whole or "0"))
    if frac:
        amount += Fraction(int(frac), 10 ** len(frac))
    binary = False
    if suffix in _BINARY_SUFFIXES:
        amount *= 1024 ** _BINARY_SUFFIXES[suffix]
        binary = True
    elif suffix in _DECIMAL_SUFFIXES:
        amount *= Fraction(10) ** _DECIMAL_SUFFIXES[suffix]
    elif suffix[:1] in ("e", "E") and suffix[1:].lstrip("+-").isdigit():
        amount *= Fraction(10) ** int(suffix[1:])
    else:
        return text
    exponent_form = suffix[:1] in ("e", "E") and suffix not in _DECIMAL_SUFFIXES
    if sign == "-":
        amount = -amount
    # precision below 1n is rounded up (away from zero), as ParseQuantity does
    nanos = amount * 10 ** 9
    if nanos.denominator != 1:
        up = math.ceil(abs(nanos))
        amount = Fraction(up if amount > 0 else -up, 10 ** 9)
    if amount == 0:
        return "0"
    if binary and not (-1024 < amount < 1024) and amount.denominator == 1:
        number, power = int(amount), 0
        while number % 1024 == 0 and power < 6:
            number //= 1024
            power += 1
        return f"{number}{'' if power == 0 else 'KMGTPE'[power - 1] + 'i'}"
    mantissa, exp = int(amount * 10 ** 9), -9
    while mantissa % 10 == 0:
        mantissa //= 10
        exp += 1
    shift = exp % 3  # Python's % keeps it in 0..2, like Go's two-case switch
    mantissa *= 10 ** shift
    exp -= shift
    if exponent_form:
        return f"{mantissa}" if exp == 0 else f"{mantissa}e{exp}"
    if exp > 18:
        mantissa, exp = mantissa * 10 ** (exp - 18), 18
    return f"{mantissa}{_DECIMAL_BY_EXP[exp]}"


def quantity_ptr(value: Any) -> str:
    """``(*Quantity).String()`` on an optional field: ``<nil>`` when unset."""
    return "<nil>" if value is None else format_quantity(value)
