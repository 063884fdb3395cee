"""The JSONPath subset of CRD ``additionalPrinterColumns``: parse a path into steps
and walk them over a plain-dict object.

Fields (``.spec.x``, ``['key']``, ``\\.`` escapes), ``[n]``, ``[*]``, ``[a:b]``,
``..`` and filters (``[?(@.type=="Ready")]``). ``parse_path`` raises ValueError for
anything else. Pure; read by ``crd``.
"""

from __future__ import annotations

import json
import operator
import re
from typing import Any

_PATH_TOKEN = re.compile(r"""
    \.\.                                   # recursive descent
  | \.(?P<field>(?:\\.|[^.\[\]\\])+)       # .field (``\.`` escapes a dot)
  | \[\s*(?P<quote>['"])(?P<key>.*?)(?P=quote)\s*\]      # ['key']
  | \[\s*\?\((?P<filter>.*?)\)\s*\]        # [?(@.type=="Ready")]
  | \[\s*(?P<index>\*|-?\d+)\s*\]          # [0], [*]
  | \[\s*(?P<start>-?\d*)\s*:\s*(?P<end>-?\d*)\s*\]      # [1:3]
""", re.VERBOSE)
_FILTER = re.compile(
    r"""\s*@(?P<path>[^=!<>\s]*)\s*(?:(?P<op>==|!=|<=|>=|<|>)\s*(?P<value>.+?))?\s*""")


def parse_path(path: str) -> list[tuple[str, Any]]:
    """A CRD ``jsonPath`` as steps; ValueError when it is not one we understand."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    text = text.removeprefix("$")
    steps: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _PATH_TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"unrecognized column definition {path!r}")
        if m.group(0) == "..":
            steps.append(("recurse", None))
            # ``..name`` keeps its name: re-read it as a field step
            pos = m.end() - 1
            continue
        if m.group("field") is not None:
            steps.append(("field", m.group("field").replace("\\.", ".")))
        elif m.group("key") is not None:
            steps.append(("field", m.group("key")))
        elif m.group("filter") is not None:
            fm = _FILTER.fullmatch(m.group("filter"))
            if fm is None:
                raise ValueError(f"unrecognized column definition {path!r}")
            sub = parse_path(fm.group("path")) if fm.group("path") else []
            literal = _literal(fm.group("value")) if fm.group("op") else None
            steps.append(("filter", (sub, fm.group("op"), literal)))
        elif m.group("index") is not None:
            index = m.group("index")
            steps.append(("all", None) if index == "*" else ("index", int(index)))
        else:
            start, end = m.group("start"), m.group("end")
            steps.append(("slice", (int(start) if start else None, int(end) if end else None)))
        pos = m.end()
    return steps


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return json.loads(text)
    except ValueError:
        return text


_ORDERING = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


def _compare(left: Any, op: str, right: Any) -> bool:
    """A filter comparison; values of different types never match."""
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
    if not numbers and type(left) is not type(right):
        return False
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if not numbers and not isinstance(left, str):
        return False
    return bool(_ORDERING[op](left, right))


def walk(values: list[Any], steps: list[tuple[str, Any]]) -> list[Any]:
    for step, arg in steps:
        found: list[Any] = []
        for value in values:
            if step == "field":
                if isinstance(value, dict) and arg in value:
                    found.append(value[arg])
            elif step == "all":
                if isinstance(value, list):
                    found.extend(value)
                elif isinstance(value, dict):
                    found.extend(value[k] for k in sorted(value))
            elif step == "index":
                if isinstance(value, list) and -len(value) <= arg < len(value):
                    found.append(value[arg])
            elif step == "slice":
                if isinstance(value, list):
                    found.extend(value[arg[0]:arg[1]])
            elif step == "recurse":
                found.extend(_descendants(value))
            elif step == "filter" and isinstance(value, list):
                sub, op, literal = arg
                for item in value:
                    hits = walk([item], sub)
                    if op is None:
                        if hits:
                            found.append(item)
                    elif hits and _compare(hits[0], op, literal):
                        found.append(item)
        values = found
    return values


def _descendants(value: Any) -> list[Any]:
    out = [value]
    children = (value[k] for k in sorted(value)) if isinstance(value, dict) else (
        value if isinstance(value, list) else ())
    for child in children:
        out.extend(_descendants(child))
    return out


def jsonpath_first(obj: Any, path: str) -> tuple[bool, Any]:
    """(found, value) of the first match of a simple JSONPath (``.spec.x``,
    ``.items[0].name``, ``.status.conditions[?(@.type=="Ready")].status``...)."""
    values = walk([obj], parse_path(path))
    return (True, values[0]) if values else (False, None)
