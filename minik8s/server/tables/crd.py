"""Custom resource columns: the apiextensions table convertor for a CRD version's
``additionalPrinterColumns``.

``crd_columns`` builds the column definitions and a cells function; each cell is
the first ``jsonpath`` match rendered by ``crd_cell`` (``cellForJSONValue``).
Built on ``jsonpath``, ``format``, ``printer`` and ``docs``; ``registry`` caches a
printer per CRD resource, ``Printers.register_columns`` takes its output.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import types
from collections.abc import Iterable, Mapping
from typing import Any

from minik8s.server.tables import docs, jsonpath
from minik8s.server.tables import format as fmt
from minik8s.server.tables import printer as pr

Obj = dict[str, Any]


def _go_float(value: float) -> str:
    """Go's ``fmt.Sprint(float64)`` (``%g``, shortest digits): ``1.5``, ``1e+06``."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    sign, digit_tuple, exp = decimal.Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    x = int(exp) + len(digits) - 1  # decimal exponent of the leading digit
    neg = "-" if sign else ""
    if x < -4 or x >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{neg}{body}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if x < 0:
        return f"{neg}0.{'0' * (-x - 1)}{digits}"
    if len(digits) <= x + 1:
        return f"{neg}{digits}{'0' * (x + 1 - len(digits))}"
    return f"{neg}{digits[:x + 1]}.{digits[x + 1:]}"


def _print_value(value: Any) -> str | None:
    """jsonpath's PrintResults for one value: JSON for maps and lists, text otherwise."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def crd_cell(column_type: str, value: Any, now: float) -> Any:
    """``cellForJSONValue`` (string columns go through ``_print_value``)."""
    if value is None:
        return None
    if column_type == "string":
        return _print_value(value)
    if column_type == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
    elif column_type == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif column_type == "boolean":
        if isinstance(value, bool):
            return value
    elif column_type == "date" and isinstance(value, str):
        if value in ("", "null"):
            return fmt.UNKNOWN
        try:
            dt = datetime.datetime.fromisoformat(value)
        except ValueError:
            return "<invalid>"
        if dt.tzinfo is None:  # RFC 3339 demands an offset
            return "<invalid>"
        ts = dt.timestamp()
        return fmt.UNKNOWN if ts <= fmt.ZERO_TIME else fmt.human_duration(now - ts)
    return None


#: What a CRD version without ``additionalPrinterColumns`` shows.
DEFAULT_CRD_COLUMNS: tuple[Mapping[str, Any], ...] = (types.MappingProxyType({
    "name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp",
    "description": docs.DOCS["meta.ObjectMeta.creationTimestamp"],
}),)


def crd_columns(printer_columns: Iterable[Mapping[str, Any]] | None,
                ) -> tuple[list[Obj], pr.CellsFn]:
    """Column definitions and a cells function for a CRD version's
    ``additionalPrinterColumns`` (the ``Age`` default when there are none), as the
    apiextensions table convertor builds them. ValueError for a JSONPath it cannot
    parse (the real server then falls back to the default convertor)."""
    given = list(printer_columns or ()) or list(DEFAULT_CRD_COLUMNS)
    columns: list[Obj] = [dict(pr.NAME_COL)]
    paths: list[tuple[str, list[tuple[str, Any]]]] = []
    for col in given:
        path = str(col.get("jsonPath", col.get("JSONPath", "")))
        paths.append((str(col.get("type", "string")), jsonpath.parse_path(path)))
        columns.append({
            "name": col.get("name", ""), "type": col.get("type", "string"),
            "format": col.get("format", ""),
            "description": col.get("description") or
            f"Custom resource definition column (in JSONPath format): {path}",
            "priority": fmt.as_int(col.get("priority")),
        })

    def cells(obj: Obj, now: float) -> list[Any]:
        row: list[Any] = [fmt.name(obj)]
        for column_type, steps in paths:
            values = jsonpath.walk([obj], steps)
            row.append(crd_cell(column_type, values[0], now) if values else None)
        return row

    return columns, cells
