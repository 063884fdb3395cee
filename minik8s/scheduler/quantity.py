"""Kubernetes resource quantities as the scheduler reads them.

``resource.Quantity``: a decimal number with an optional binary (``Ki``..``Ei``),
decimal SI (``n u m k M G T P E``) or exponent (``e3``, ``E-2``) suffix. The
scheduler only ever needs two integers from one: ``MilliValue()`` for cpu and
``Value()`` for everything else, both rounded up like apimachinery rounds
(``0.1m`` cpu is 1 millicore, ``1.5`` bytes is 2).

Neighbours: ``nodeinfo`` turns pod requests and node allocatable into these
integers once per object; plugins compare integers only.
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


class QuantityError(ValueError):
    """A string that ``resource.ParseQuantity`` rejects."""


@functools.lru_cache(maxsize=4096)
def _parse_str(text: str) -> Fraction:
    m = _RE.fullmatch(text.strip())
    if m is None:
        raise QuantityError(f"quantities must match the regular expression "
                            f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text!r}")
    number, suffix = m.group(1), m.group(2) or ""
    value = Fraction(number)
    if suffix[:1] in ("e", "E") and suffix not in _SUFFIX:
        return value * Fraction(10) ** int(suffix[1:])
    return value * _SUFFIX[suffix]


def parse(value: Any) -> Fraction:
    """The exact value of a quantity given as a string or a JSON number."""
    if isinstance(value, bool):
        raise QuantityError(f"not a quantity: {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    if isinstance(value, str):
        return _parse_str(value)
    raise QuantityError(f"not a quantity: {value!r}")


def value(q: Any) -> int:
    """``Quantity.Value()``: the integer value, rounded up."""
    return math.ceil(parse(q))


def milli_value(q: Any) -> int:
    """``Quantity.MilliValue()``: thousandths, rounded up (cpu millicores)."""
    return math.ceil(parse(q) * 1000)


def amount(resource_name: str, q: Any) -> int:
    """The integer the scheduler keeps for ``resource_name``: millicores for cpu."""
    if isinstance(q, str):
        return _amount_str(resource_name == "cpu", q)
    return milli_value(q) if resource_name == "cpu" else value(q)


@functools.lru_cache(maxsize=4096)
def _amount_str(milli: bool, q: str) -> int:
    return milli_value(q) if milli else value(q)


def is_scalar_resource(name: str) -> bool:
    """``IsScalarResourceName``: extended, hugepages, prefixed native, attachable volumes."""
    return "/" in name or name.startswith(("hugepages-", "attachable-volumes-"))
