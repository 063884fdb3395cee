"""Structural schemas of CustomResourceDefinitions: pruning, defaulting, validation.

What apiextensions-apiserver does to a custom resource on every write, in
its order: drop fields the schema does not declare (unless
``x-kubernetes-preserve-unknown-fields``), apply ``default``s, then validate
(type, enum, bounds, pattern, lengths, items, required), with the real
servers' wording. Pure functions over plain dicts.
"""

from __future__ import annotations

import re
from typing import Any

from minik8s.api.errors import FieldError, render_value
from minik8s.api import objects

Schema = dict[str, Any]

#: metadata fields a custom resource may carry (everything else is ObjectMeta's business)
_TYPE_NAMES = {"integer": "integer", "number": "number", "string": "string",
               "boolean": "boolean", "object": "object", "array": "array"}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer())


def _type_ok(t: str, v: Any) -> bool:
    if t == "integer":
        return _is_int(v)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "string":
        return isinstance(v, str)
    if t == "boolean":
        return isinstance(v, bool)
    if t == "object":
        return isinstance(v, dict)
    if t == "array":
        return isinstance(v, list)
    return True


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _child(schema: Schema, key: str) -> Schema | None:
    props = schema.get("properties")
    if isinstance(props, dict) and key in props:
        return props[key]  # type: ignore[no-any-return]
    ap = schema.get("additionalProperties")
    if isinstance(ap, dict):
        return ap
    if ap is True:
        return {"x-kubernetes-preserve-unknown-fields": True}
    return None


def prune(schema: Schema | None, obj: Any, path: str = "", *, root: bool = True) -> list[str]:
    """Drop undeclared fields in place; returns their paths (for strict field validation)."""
    dropped: list[str] = []
    if schema is None or not isinstance(obj, (dict, list)):
        return dropped
    if isinstance(obj, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for i, v in enumerate(obj):
                dropped += prune(items, v, f"{path}[{i}]", root=False)
        return dropped
    if schema.get("x-kubernetes-embedded-resource"):
        keep = {"apiVersion", "kind", "metadata"}
    else:
        keep = set()
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    for key in list(obj):
        if root and key in ("apiVersion", "kind", "metadata"):
            continue
        sub = _child(schema, key)
        if sub is None:
            if preserve or key in keep:
                continue
            dropped.append(_join(path, key))
            del obj[key]
            continue
        if sub.get("x-kubernetes-preserve-unknown-fields") and not sub.get("properties") \
                and not sub.get("additionalProperties") and not sub.get("items"):
            continue
        dropped += prune(sub, obj[key], _join(path, key), root=False)
    return dropped


def apply_defaults(schema: Schema | None, obj: Any) -> None:
    """Fill ``default``s of absent properties, depth first (structural defaulting)."""
    if schema is None:
        return
    if isinstance(obj, dict):
        props = schema.get("properties")
        if isinstance(props, dict):
            for key, sub in props.items():
                if key not in obj and isinstance(sub, dict) and "default" in sub:
                    import copy

                    obj[key] = objects.deep_copy(sub["default"])
        for key, v in obj.items():
            sub = _child(schema, key)
            if sub is not None:
                apply_defaults(sub, v)
    elif isinstance(obj, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for v in obj:
                apply_defaults(items, v)


def validate(schema: Schema | None, obj: Any, path: str = "", *, root: bool = True) -> list[FieldError]:
    """Errors worded as kube-openapi's validator, converted like apiextensions does."""
    if schema is None:
        return []
    errs: list[FieldError] = []
    v = obj
    name = path or "body"
    if v is None:
        if schema.get("nullable"):
            return errs
        t = schema.get("type")
        if t:
            errs.append(FieldError("invalid", name, None, f"{name} in body must be of type {t}: \"null\""))
        return errs
    if schema.get("x-kubernetes-int-or-string"):
        if not (_is_int(v) or isinstance(v, str)):
            errs.append(FieldError("invalid", name, v,
                                   f"{name} in body must be of type integer,string: \"{_type_name(v)}\""))
            return errs
    else:
        t = schema.get("type")
        if t and not _type_ok(t, v):
            errs.append(FieldError("invalid", name, v,
                                   f"{name} in body must be of type {_TYPE_NAMES.get(t, t)}: \"{_type_name(v)}\""))
            return errs
    enum = schema.get("enum")
    if isinstance(enum, list) and v not in enum:
        errs.append(FieldError("not_supported", name, v,
                               supported=[e if isinstance(e, str) else render_value(e) for e in enum]))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None:
            if schema.get("exclusiveMinimum") and v <= lo:
                errs.append(FieldError("invalid", name, v, f"{name} in body should be greater than {_num(lo)}"))
            elif v < lo:
                errs.append(FieldError("invalid", name, v,
                                       f"{name} in body should be greater than or equal to {_num(lo)}"))
        if hi is not None:
            if schema.get("exclusiveMaximum") and v >= hi:
                errs.append(FieldError("invalid", name, v, f"{name} in body should be less than {_num(hi)}"))
            elif v > hi:
                errs.append(FieldError("invalid", name, v,
                                       f"{name} in body should be less than or equal to {_num(hi)}"))
        mult = schema.get("multipleOf")
        if mult and (v / mult) != int(v / mult):
            errs.append(FieldError("invalid", name, v, f"{name} in body should be a multiple of {_num(mult)}"))
    if isinstance(v, str):
        mx, mn = schema.get("maxLength"), schema.get("minLength")
        if mx is not None and len(v) > mx:
            errs.append(FieldError("too_long", name, v, f"may not be more than {mx} bytes"))
        if mn is not None and len(v) < mn:
            errs.append(FieldError("invalid", name, v, f"{name} in body should be at least {mn} chars long"))
        pat = schema.get("pattern")
        if pat is not None:
            try:
                ok = re.search(pat, v) is not None
            except re.error:
                ok = True
            if not ok:
                errs.append(FieldError("invalid", name, v, f"{name} in body should match '{pat}'"))
    if isinstance(v, list):
        mx, mn = schema.get("maxItems"), schema.get("minItems")
        if mx is not None and len(v) > mx:
            errs.append(FieldError("too_many", name, len(v), f"must have at most {mx} items"))
        if mn is not None and len(v) < mn:
            errs.append(FieldError("invalid", name, len(v), f"{name} in body should have at least {mn} items"))
        items = schema.get("items")
        for i, item in enumerate(v):
            if isinstance(items, dict):
                errs += validate(items, item, f"{path}[{i}]", root=False)
        if schema.get("x-kubernetes-list-type") == "set" or schema.get("uniqueItems"):
            seen: list[Any] = []
            for i, item in enumerate(v):
                if item in seen:
                    errs.append(FieldError("duplicate", f"{path}[{i}]", item))
                seen.append(item)
    if isinstance(v, dict):
        for req in schema.get("required") or ():
            if req not in v:
                errs.append(FieldError("required", _join(path, req)))
        mx, mn = schema.get("maxProperties"), schema.get("minProperties")
        if mx is not None and len(v) > mx:
            errs.append(FieldError("too_many", name, len(v), f"must have at most {mx} items"))
        if mn is not None and len(v) < mn:
            errs.append(FieldError("invalid", name, len(v),
                                   f"{name} in body should have at least {mn} properties"))
        for key, val in v.items():
            if root and key in ("apiVersion", "kind", "metadata"):
                continue
            sub = _child(schema, key)
            if sub is not None:
                errs += validate(sub, val, _join(path, key), root=False)
    return errs


def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def _num(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
