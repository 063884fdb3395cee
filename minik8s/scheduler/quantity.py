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
from typing import Any

from minik8s.api import quantity as _q

# parsing is shared with everything else that reads quantities
QuantityError = _q.QuantityError
parse = _q.parse


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
