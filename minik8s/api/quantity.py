"""Kubernetes resource quantities (``resource.Quantity``): parse and format.

Shared by everything that reads requests, limits, capacity or usage. Parsing
is exact (fractions) and cached; ``milli``/``value`` round up like
apimachinery's ``MilliValue``/``Value``.
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction
from typing import Any

_SUFFIX: dict[str, Fraction] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9),
    "T": Fraction(10**12), "P": Fraction(10**15), "E": Fraction(10**18),
    "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30),
    "Ti": Fraction(2**40), "Pi": Fraction(2**50), "Ei": Fraction(2**60),
}
_RE = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
                 r"(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?")
QUANTITY_MSG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


class QuantityError(ValueError):
    pass


@functools.lru_cache(maxsize=8192)
def _parse_str(text: str) -> Fraction:
    m = _RE.fullmatch(text.strip())
    if m is None:
        raise QuantityError(QUANTITY_MSG)
    number, suffix = m.group(1), m.group(2) or ""
    value = Fraction(number)
    if suffix[:1] in ("e", "E") and suffix not in _SUFFIX:
        return value * Fraction(10) ** int(suffix[1:])
    return value * _SUFFIX[suffix]


def parse(value: Any) -> Fraction:
    if isinstance(value, bool) or value is None:
        raise QuantityError(QUANTITY_MSG)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    if isinstance(value, str):
        return _parse_str(value)
    raise QuantityError(QUANTITY_MSG)


def valid(value: Any) -> bool:
    try:
        parse(value)
        return True
    except QuantityError:
        return False


def milli(value: Any) -> int:
    """``MilliValue()``: thousandths, rounded up (cpu)."""
    return math.ceil(parse(value) * 1000)


def whole(value: Any) -> int:
    """``Value()``: rounded up (bytes, counts)."""
    return math.ceil(parse(value))


def format_milli(m: int) -> str:
    """CPU in the form metrics-server reports and kubectl reads: ``250m``, ``2``."""
    return f"{m // 1000}" if m % 1000 == 0 and m else f"{m}m"


def format_bytes(b: int) -> str:
    """Memory as metrics-server reports it: ``Ki`` units (``12345Ki``), or plain bytes."""
    if b % 1024 == 0:
        k = b // 1024
        if k % 1024 == 0 and k:
            m = k // 1024
            return f"{m // 1024}Gi" if m % 1024 == 0 else f"{m}Mi"
        return f"{k}Ki"
    return str(b)
