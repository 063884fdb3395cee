"""What the three patch kinds share: decoded JSON values with Go's semantics, and
``PatchRejected``, the 422 of a rejected patch.

Deep copy (``copy``), the type words of Go's JSON decoder (``json_kind``),
equality where ``1``, ``1.0`` and ``true`` differ (``json_equal``), and Go's
``%v``/``%T`` of a value for library messages (``go_repr``, ``go_type``). Pure;
used by ``jsonpatch``, ``mergepatch`` and ``strategicpatch``; ``patch`` re-exports.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from minik8s.api import errors

_REJECTED = "the server rejected our request due to an error in our request"


class PatchRejected(errors.Invalid):
    """422 ``Invalid`` without causes or kind, as ``NewGenericServerResponse(422)``
    renders it (``"details":{}``); kubectl prints ``The request is invalid: ...``.
    ``detail`` keeps the library's own explanation for logs and tests."""

    def __init__(self, detail: str) -> None:
        errors.ApiError.__init__(self, _REJECTED)
        self.kind, self.group, self.name, self.causes = "", "", "", []
        self.detail = detail

    def to_status(self) -> dict[str, Any]:
        return {**super().to_status(), "details": {}}


def copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [copy(x) for x in v]
    return v


def json_kind(v: Any) -> str:
    """The JSON type word Go's decoder uses in ``cannot unmarshal X into ...``."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "string" if isinstance(v, str) else "number"


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values where 1, 1.0 and true all differ (Go compares the
    encoded bytes or typed interface values)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _go_float(f: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 64)``: exponent form below 1e-4 or from 1e6."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "0"
    d = Decimal(repr(abs(f)))
    t = d.as_tuple()
    digits = "".join(map(str, t.digits)).rstrip("0")
    exp = len(t.digits) + int(t.exponent) - 1
    sign = "-" if f < 0 else ""
    if exp < -4 or exp >= 6:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return sign + format(d.normalize(), "f")


def go_repr(v: Any) -> str:
    """Go's ``%v`` of a decoded JSON value, for library messages
    (``map[name:a value:1]``, ``[a b]``, ``<nil>``)."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_repr(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(go_repr(x) for x in v) + "]"
    if isinstance(v, float):
        return _go_float(v)
    return str(v)


def go_type(v: Any) -> str:
    names = {dict: "map[string]interface {}", list: "[]interface {}", str: "string",
             int: "int64", float: "float64", bool: "bool"}
    return names.get(type(v), "%!s(<nil>)")
