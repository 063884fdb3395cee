"""Patch application: RFC 6902 JSON patch, RFC 7386 merge patch, strategic merge patch.

Role: pure functions over plain-dict objects, no I/O. The PATCH handler picks one
by Content-Type (``PATCH_TYPES``, ``patch_kind``), applies it to the stored object
and then runs the usual update path (defaulting, validation, storage); apply
patches (``application/apply-patch+yaml``) are done by the server-side-apply code.
Strategic merge is driven by the metadata trees of ``api.schemas.patch_meta``.

Behaviour and error answers follow kube-apiserver, which delegates to libraries:

* JSON patch = gopkg.in/evanphx/json-patch.v4 (v4.12.0) as called from
  apiserver ``handlers/patch.go`` ``applyJSPatch``: a body that is not a list of
  ops is 400 ``error decoding patch: ...``; any failing op is 422 ``Invalid`` whose
  message is only ``the server rejected our request due to an error in our
  request`` (``NewGenericServerResponse(422)`` drops the library text; we keep it
  in ``PatchRejected.detail``). v4 quirks kept: negative array indexes count from
  the end, ``replace`` of a missing object member adds it, a ``test`` of a missing
  member against ``null`` passes.
* Merge patch = the same library's ``MergePatch``: a ``null`` body is 400
  ``Invalid JSON Patch``, a non-object body 400 ``error decoding patch: ...``.
* Strategic merge = apimachinery ``strategicpatch.StrategicMergeMapPatch``. Its
  sentinel errors are mapped like ``interpretStrategicMergePatchError``: bad
  directive formats 400 with the library message, lists of lists 422. Every
  other library error (missing merge key, unknown ``$patch`` value, order
  mismatch...) is a plain ``error`` there, hence a 500 with the library message;
  here it is 400 ``BadRequest`` with the same message, never a 500.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from minik8s.api import errors

Obj = dict[str, Any]
#: One node of the strategic-merge metadata tree (format: ``api.schemas.patch_meta``).
PatchMeta = dict[str, Any]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

#: Content type → kind of patch: "json" (``apply_json_patch``), "merge"
#: (``apply_merge_patch``), "strategic" (``apply_strategic_merge_patch``), "apply"
#: (server-side apply, not in this module).
PATCH_TYPES: dict[str, str] = {
    JSON_PATCH: "json",
    MERGE_PATCH: "merge",
    STRATEGIC_MERGE_PATCH: "strategic",
    APPLY_PATCH: "apply",
}
#: Accepted types in the order kube-apiserver lists them in its 415 message.
BUILTIN_PATCH_TYPES: tuple[str, ...] = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)
CUSTOM_PATCH_TYPES: tuple[str, ...] = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)

MAX_JSON_PATCH_OPERATIONS = 10000
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


def unsupported_patch_type(content_type: str, allowed: tuple[str, ...] | list[str]
                           ) -> errors.UnsupportedMediaType:
    """The 415 for a PATCH whose Content-Type is not in ``allowed`` (the real text
    lists the accepted types, not the rejected one)."""
    return errors.UnsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(allowed))


def patch_kind(content_type: str, allowed: tuple[str, ...] | list[str] = BUILTIN_PATCH_TYPES
               ) -> str:
    """``PATCH_TYPES`` kind of a request's Content-Type; ``;`` and what follows
    (a charset) are cut off as the real handler does, nothing else is trimmed."""
    cut = content_type.find(";")
    base = content_type[:cut] if cut > 0 else content_type
    if base not in allowed or base not in PATCH_TYPES:
        raise unsupported_patch_type(content_type, allowed)
    return PATCH_TYPES[base]


# --------------------------------------------------------------------------- shared helpers


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _json_kind(v: Any) -> str:
    """The JSON type word Go's decoder uses in ``cannot unmarshal X into ...``."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "string" if isinstance(v, str) else "number"


def _json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values where 1, 1.0 and true all differ (Go compares the
    encoded bytes or typed interface values)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
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


def _go(v: Any) -> str:
    """Go's ``%v`` of a decoded JSON value, for library messages
    (``map[name:a value:1]``, ``[a b]``, ``<nil>``)."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_go(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(_go(x) for x in v) + "]"
    if isinstance(v, float):
        return _go_float(v)
    return str(v)


def _go_type(v: Any) -> str:
    names = {dict: "map[string]interface {}", list: "[]interface {}", str: "string",
             int: "int64", float: "float64", bool: "bool"}
    return names.get(type(v), "%!s(<nil>)")


# --------------------------------------------------------------------------- RFC 6902


class _OpError(Exception):
    """An op that does not apply; its text mimics json-patch v4's wrapped errors."""


_MISSING = "missing value"
_ESCAPE = re.compile("~[01]")


def _unescape(token: str) -> str:
    return _ESCAPE.sub(lambda m: "/" if m.group() == "~1" else "~", token)


def _atoi(s: str) -> int:
    if not re.fullmatch("[+-]?[0-9]+", s):
        raise _OpError(f'strconv.Atoi: parsing {json.dumps(s)}: invalid syntax')
    n = int(s)
    if not -(2 ** 63) <= n < 2 ** 63:
        raise _OpError(f'strconv.Atoi: parsing {json.dumps(s)}: value out of range')
    return n


def _bad_index(idx: int) -> _OpError:
    return _OpError(f"Unable to access invalid index: {idx}: invalid index referenced")


def _index(arr: list[Any], key: str, *, extra: int = 0) -> int:
    """Position ``key`` names in ``arr``; ``extra`` = 1 when inserting."""
    idx = _atoi(key)
    size = len(arr) + extra
    if idx >= size or idx < -size:
        raise _bad_index(idx)
    return idx + size if idx < 0 else idx


def _get(con: Any, key: str) -> Any:
    if isinstance(con, dict):
        return con.get(key)  # a missing member reads as null, as in v4
    return con[_index(con, key)]


def _add(con: Any, key: str, val: Any) -> None:
    if isinstance(con, dict):
        con[key] = val
    elif key == "-":
        con.append(val)
    else:
        try:
            idx = _index(con, key, extra=1)
        except _OpError as e:
            if str(e).startswith("strconv"):
                raise _OpError(f"value was not a proper array index: '{key}': {e}") from None
            raise
        con.insert(idx, val)


def _remove(con: Any, key: str) -> None:
    if isinstance(con, dict):
        if key not in con:
            raise _OpError(f"Unable to remove nonexistent key: {key}: {_MISSING}")
        del con[key]
    else:
        del con[_index(con, key)]


def _find(root: Any, path: str) -> tuple[Any, str] | None:
    """The container holding the last token of ``path`` and that token. Like v4,
    the text before the first ``/`` is ignored and null parents are missing."""
    tokens = path.split("/")
    if len(tokens) < 2:
        return None
    cur = root
    for token in tokens[1:-1]:
        try:
            cur = _get(cur, _unescape(token))
        except _OpError:
            return None
        if not isinstance(cur, (dict, list)):
            return None
    return cur, _unescape(tokens[-1])


def _str_field(op: Obj, name: str, what: str) -> str:
    v = op.get(name)
    if v is None:
        raise _OpError(f"{what}: operation{',' if name == 'from' else ''} missing {name} field: "
                       f"{_MISSING}")
    return str(v)


def _apply_op(root: Any, op: Obj) -> Any:
    kind = op.get("op")
    kind = "unknown" if kind is None else kind
    value = op.get("value")
    if kind == "add":
        path = _str_field(op, "path", "add operation failed to decode path")
        found = _find(root, path)
        if found is None:
            raise _OpError(f'add operation does not apply: doc is missing path: "{path}": '
                           f"{_MISSING}")
        try:
            _add(*found, _copy(value))
        except _OpError as e:
            raise _OpError(f"error in add for path: '{path}': {e}") from None
    elif kind == "remove":
        path = _str_field(op, "path", "remove operation failed to decode path")
        found = _find(root, path)
        if found is None:
            raise _OpError(f'remove operation does not apply: doc is missing path: "{path}": '
                           f"{_MISSING}")
        try:
            _remove(*found)
        except _OpError as e:
            raise _OpError(f"error in remove for path: '{path}': {e}") from None
    elif kind == "replace":
        path = _str_field(op, "path", "replace operation failed to decode path")
        if path == "":
            # v4.12.0 swallows the error for a scalar or missing value: no change
            return _copy(value) if isinstance(value, (dict, list)) else root
        found = _find(root, path)
        if found is None:
            raise _OpError(f"replace operation does not apply: doc is missing path: {path}: "
                           f"{_MISSING}")
        con, key = found
        try:
            _get(con, key)
        except _OpError:
            raise _OpError(f"replace operation does not apply: doc is missing key: {path}: "
                           f"{_MISSING}") from None
        if isinstance(con, dict):
            con[key] = _copy(value)
        else:
            con[_index(con, key)] = _copy(value)
    elif kind in ("move", "copy"):
        frm = _str_field(op, "from", f"{kind} operation failed to decode from")
        found = _find(root, frm)
        if found is None:
            raise _OpError(f"{kind} operation does not apply: doc is missing from path: {frm}: "
                           f"{_MISSING}")
        con, key = found
        try:
            val = _get(con, key)
            if kind == "move":
                _remove(con, key)
        except _OpError as e:
            where = f"error in move for path: '{key}'" if kind == "move" else \
                f"error in copy for from: '{frm}'"
            raise _OpError(f"{where}: {e}") from None
        path = _str_field(op, "path", f"{kind} operation failed to decode path")
        found = _find(root, path)
        if found is None:
            raise _OpError(f"{kind} operation does not apply: doc is missing destination path: "
                           f"{path}: {_MISSING}")
        try:
            _add(*found, val if kind == "move" else _copy(val))
        except _OpError as e:
            where = f"error in move for path: '{path}'" if kind == "move" else \
                "error while adding value during copy"
            raise _OpError(f"{where}: {e}") from None
    elif kind == "test":
        path = _str_field(op, "path", "test operation failed to decode path")
        if path == "":
            actual = root
        else:
            found = _find(root, path)
            if found is None:
                raise _OpError(f"test operation does not apply: is missing path: {path}: "
                               f"{_MISSING}")
            try:
                actual = _get(*found)
            except _OpError as e:
                raise _OpError(f"error in test for path: '{path}': {e}") from None
        if not _json_equal(actual, value):
            raise _OpError(f"testing value {path} failed: test failed")
    else:
        raise _OpError(f"Unexpected kind: {kind}")
    return root


def apply_json_patch(doc: Obj, ops: Any) -> Obj:
    """Apply an RFC 6902 patch (the decoded request body) to a copy of ``doc``."""
    decode = "error decoding patch: json: cannot unmarshal"
    if not isinstance(ops, list):
        raise errors.BadRequest(f"{decode} {_json_kind(ops)} into Go value of type "
                                "[]handlers.jsonPatchOp")
    for op in ops:
        if op is None:
            continue
        if not isinstance(op, dict):
            raise errors.BadRequest(f"{decode} {_json_kind(op)} into Go value of type "
                                    "handlers.jsonPatchOp")
        for name in ("op", "path", "from"):
            v = op.get(name)
            if v is not None and not isinstance(v, str):
                raise errors.BadRequest(f"{decode} {_json_kind(v)} into Go struct field "
                                        f"jsonPatchOp.{name} of type string")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise errors.RequestEntityTooLarge(
            f"The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, "
            f"got {len(ops)}")
    root: Any = _copy(doc)
    for op in ops:
        try:
            root = _apply_op(root, op or {})
        except _OpError as e:
            raise PatchRejected(str(e)) from None
    if not isinstance(root, dict):
        # the patched JSON no longer decodes into an object (handlers/patch.go)
        text = json.dumps(root, separators=(",", ":"), sort_keys=True)
        raise errors.Invalid("", "", "", [errors.FieldError(
            "invalid", "patch", text,
            f"couldn't get version/kind; json parse error: json: cannot unmarshal "
            f"{_json_kind(root)} into Go value of type struct {{ APIVersion string "
            '"json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }')])
    return root


# --------------------------------------------------------------------------- RFC 7386


def _prune_nulls(v: Any) -> Any:
    """A copy of a value entering the document: null members dropped at every
    depth, null array elements kept (json-patch v4 ``pruneNulls``)."""
    if isinstance(v, dict):
        return {k: _prune_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_prune_nulls(x) for x in v]
    return v


def _merge_docs(doc: Obj, patch: Obj) -> None:
    for k, v in patch.items():
        if v is None:
            doc.pop(k, None)
            continue
        cur = doc.get(k)
        if not isinstance(cur, dict):
            doc[k] = _prune_nulls(v)
        elif isinstance(v, dict):
            _merge_docs(cur, v)
        else:
            doc[k] = _copy(v)


def apply_merge_patch(doc: Obj, patch: Any) -> Obj:
    """Apply an RFC 7386 merge patch to a copy of ``doc``: objects merge, ``null``
    deletes, any other value replaces. The patch itself must be an object."""
    if patch is None:
        raise errors.BadRequest("Invalid JSON Patch")
    if not isinstance(patch, dict):
        raise errors.BadRequest(f"error decoding patch: json: cannot unmarshal "
                                f"{_json_kind(patch)} into Go value of type "
                                "map[string]interface {}")
    out: Obj = _copy(doc)
    _merge_docs(out, patch)
    return out


# --------------------------------------------------------------------------- strategic merge

_PATCH = "$patch"
_RETAIN_KEYS = "$retainKeys"
_SET_ORDER = "$setElementOrder"
_DELETE_FROM = "$deleteFromPrimitiveList"
_DIRECTIVES = (_PATCH, _RETAIN_KEYS, _SET_ORDER, _DELETE_FROM)

# apimachinery/pkg/util/mergepatch sentinels answered 400 by the handler
_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
_BAD_SET_ORDER = "invalid patch format of setElementOrder list"


def _fail(message: str) -> errors.BadRequest:
    return errors.BadRequest(message)


def _no_merge_key(m: Obj, key: str) -> errors.BadRequest:
    return _fail(f"map: {_go(m)} does not contain declared merge key: {key}")


def _bad_arg_type(expected: str, actual: Any) -> errors.BadRequest:
    return _fail(f"expected a {expected}, but received a {_go_type(actual)}")


def _same(a: Any, b: Any) -> bool:
    """Go ``==`` on decoded JSON scalars: type and value."""
    return type(a) is type(b) and a == b


def _hkey(v: Any) -> Any:
    return (type(v).__name__, v) if not isinstance(v, (dict, list)) else None


def _child(meta: PatchMeta | None, key: str) -> PatchMeta | None:
    if not meta:
        return None
    fields = meta.get("f")
    node: PatchMeta | None = fields.get(key) if fields else None
    if node is None and meta.get("m"):
        node = meta.get("i")
    return node


def _strategy(node: PatchMeta | None) -> str:
    """The field's strategy other than ``retainKeys`` (``merge``, ``replace`` or "")."""
    parts = [s for s in str((node or {}).get("s", "")).split(",") if s and s != "retainKeys"]
    return parts[0] if parts else ""


def _clean(v: Any) -> tuple[Any, bool]:
    """A value taken from the patch as-is: maps carrying ``$patch`` are dropped
    (``removeDirectives``), null members discarded (``discardNullValuesFromPatch``)
    and stray directive keys stripped — the typed decode drops them on a real
    server, here nothing else would."""
    if isinstance(v, dict):
        if _PATCH in v:
            return None, False
        out: Obj = {}
        for k, x in v.items():
            if x is None or k.startswith(_DIRECTIVES):
                continue
            cx, keep = _clean(x)
            if keep:
                out[k] = cx
        return out, True
    if isinstance(v, list):
        return [cx for cx, keep in map(_clean, v) if keep], True
    return v, True


def _put(original: Obj, key: str, value: Any) -> None:
    cleaned, keep = _clean(value)
    if keep:
        original[key] = cleaned
    else:
        original.pop(key, None)


def _extract_key(key: str, prefix: str) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        raise _fail(_BAD_PRIMITIVE_LIST if prefix == _DELETE_FROM else _BAD_SET_ORDER)
    return rest


def _element_kind(*lists: list[Any]) -> type:
    """The one element type of all lists (``sliceElementType``)."""
    first: type | None = None
    for lst in lists:
        for v in lst:
            if first is None:
                first = type(v)
                if first is list:
                    raise PatchRejected("lists of lists are not supported")
            elif type(v) is not first:
                raise _fail("list element types are not identical: "
                            + _go([list(x) for x in lists]))
    if first is None:
        raise _fail("no elements in any of the given slices")
    return first


def _key_of(item: Any, merge_key: str, kind: type) -> Any:
    if kind is dict:
        return item.get(merge_key) if isinstance(item, dict) else None
    return item


class _Order:
    """Positions of items in a reference list, compared the way ``index()`` does."""

    def __init__(self, ref: list[Any], merge_key: str, kind: type) -> None:
        self.merge_key, self.kind = merge_key, kind
        self.keys = [_key_of(x, merge_key, kind) for x in ref]
        self.pos: dict[Any, int] = {}
        for i, k in enumerate(self.keys):
            h = _hkey(k)
            if h is not None:
                self.pos.setdefault(h, i)

    def __call__(self, item: Any) -> int:
        k = _key_of(item, self.merge_key, self.kind)
        h = _hkey(k)
        if h is not None:
            return self.pos.get(h, -1)
        return next((i for i, x in enumerate(self.keys) if _json_equal(x, k)), -1)


def _sort_by(items: list[Any], ref: list[Any], merge_key: str, kind: type) -> list[Any]:
    """``normalizeSliceOrder``: stable sort of ``items`` by position in ``ref``."""
    tail: list[Any] = []
    if kind is dict:
        for item in (*items, *ref):
            if not isinstance(item, dict):
                raise _bad_arg_type("map[string]interface {}", item)
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
        tail = [x for x in items if x.get(_PATCH) == "delete"]
        items = [x for x in items if x.get(_PATCH) != "delete"]
    pos = _Order(ref, merge_key, kind)
    idx = [pos(x) for x in items]
    if min(idx, default=0) >= 0:
        order = sorted(range(len(items)), key=idx.__getitem__)
    else:
        # an item absent from ``ref`` makes Go's comparator inconsistent; replay
        # the insertion sort sort.SliceStable runs on short lists
        order = list(range(len(items)))
        for i in range(1, len(order)):
            j = i
            while j > 0 and (idx[order[j]] < 0 or idx[order[j - 1]] < 0
                             or idx[order[j]] < idx[order[j - 1]]):
                order[j], order[j - 1] = order[j - 1], order[j]
                j -= 1
    return [items[i] for i in order] + tail


def _normalize_order(patch_items: list[Any], server_only: list[Any], patch_order: list[Any],
                     server_order: list[Any], merge_key: str, kind: type) -> list[Any]:
    """Patch items in patch order, server-only items in live order, interleaved:
    a server-only item goes first only if it precedes the next patch item live."""
    right = _sort_by(patch_items, patch_order, merge_key, kind)
    left = _sort_by(server_only, server_order, merge_key, kind)
    pos = _Order(server_order, merge_key, kind)
    out: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if j >= len(right) or (i < len(left) and 0 <= pos(left[i]) < pos(right[j])):
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out


def _partition(merged: list[Any], by: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    """Items of ``merged`` also named in ``by``, and the rest (server-only)."""
    if not merge_key:
        wanted = {_hkey(v) for v in by}
        inside = [_hkey(v) in wanted for v in merged]
    else:
        keys = [v.get(merge_key) for v in by if isinstance(v, dict) and merge_key in v]
        inside = []
        for v in merged:
            if not isinstance(v, dict):
                raise _bad_arg_type("map[string]interface {}", v)
            if merge_key not in v:
                raise _no_merge_key(v, merge_key)
            inside.append(any(_same(v[merge_key], k) for k in keys))
    return ([v for v, x in zip(merged, inside) if x], [v for v, x in zip(merged, inside) if not x])


def _find_keyed(items: list[Any], merge_key: str, value: Any) -> int:
    for i, v in enumerate(items):
        if not isinstance(v, dict):
            raise _fail(f"value for key {i} is not a map")
        if merge_key in v and _same(v[merge_key], value):
            return i
    return -1


def _dedup(items: list[Any]) -> list[Any]:
    """``deduplicateScalars``: a later duplicate is overwritten by the last item."""
    s = list(items)
    last, i = len(s) - 1, 0
    while i < last:
        j = i + 1
        while j <= last:
            if _same(s[i], s[j]):
                s[j] = s[last]
                del s[last]
                last -= 1
            else:
                j += 1
        i += 1
    return s


def _merge_slice(original: list[Any], patch: list[Any], item_meta: PatchMeta | None,
                 merge_key: str, delete_list: bool) -> tuple[list[Any], list[Any]]:
    """Merge a ``merge``-strategy list; also returns ``original`` as Go leaves it.

    apimachinery deletes and appends on the live slice in place, so the caller
    ordering by ``$setElementOrder`` later reads that live slice as: survivors
    shifted left, the stale tail, then appended items written over that tail.
    The second list reproduces this view, as it decides where server-only items go.
    """
    if not original and not patch:
        return original, original
    kind = _element_kind(original, patch)
    view = list(original)
    if kind is not dict:
        if delete_list:
            gone = {_hkey(v) for v in patch}
            return [v for v in original if _hkey(v) not in gone], view
        merged = _dedup(original + patch)
    else:
        if not merge_key:
            raise _fail("cannot merge lists without merge key for struct")
        rest: list[Any] = []
        replace = False
        for el in patch:
            if _PATCH not in el:
                rest.append(el)
            elif el[_PATCH] == "delete":
                if merge_key not in el:
                    raise _no_merge_key(el, merge_key)
                while (i := _find_keyed(original, merge_key, el[merge_key])) >= 0:
                    view[i:len(original) - 1] = view[i + 1:len(original)]
                    original = original[:i] + original[i + 1:]
            elif el[_PATCH] == "replace":
                replace = True
            elif el[_PATCH] == "merge":
                raise _fail("merging lists cannot yet be specified in the patch")
            else:
                raise _fail(f"unknown patch type: {_go(el[_PATCH])} in map: {_go(el)}")
        if replace:
            original, rest = [v for v, keep in map(_clean, rest) if keep], []
        merged = list(original)
        for el in rest:
            if merge_key not in el:
                raise _no_merge_key(el, merge_key)
            i = _find_keyed(merged, merge_key, el[merge_key])
            if i >= 0:
                merged[i] = _merge_map(merged[i], el, item_meta)
            else:
                merged.append(_clean(el)[0])
                if not replace and len(merged) <= len(view):
                    view[len(merged) - 1] = merged[-1]
        patch = rest
    patch_items, server_only = _partition(merged, patch, merge_key)
    return _normalize_order(patch_items, server_only, patch, original, merge_key, kind), view


def _merge_list_field(original: list[Any], patch: list[Any], node: PatchMeta | None,
                      delete_list: bool) -> tuple[list[Any], list[Any]]:
    """A list field of both the live object and the patch: merged by its
    strategy, or replaced. Returns the result and the live view (``_merge_slice``)."""
    if _strategy(node) == "merge" or delete_list:
        return _merge_slice(original, patch, (node or {}).get("i"), (node or {}).get("k", ""),
                            delete_list)
    return [v for v, keep in map(_clean, patch) if keep], original


def _retain_keys(original: Obj, patch: Obj) -> None:
    """``$retainKeys``: every other key of the live map goes. Like apimachinery it
    applies wherever it appears; each key the patch sets must be listed."""
    keys = patch.pop(_RETAIN_KEYS)
    if not isinstance(keys, list):
        raise _fail(_BAD_RETAIN_KEYS)
    allowed = {k for k in keys if _hkey(k) is not None}
    for k, v in patch.items():
        if v is not None and not k.startswith((_DELETE_FROM, _SET_ORDER)) and k not in allowed:
            raise _fail(_BAD_RETAIN_KEYS)
    for k in [k for k in original if k not in allowed]:
        del original[k]


def _validate_order(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """Patch items must appear in ``$setElementOrder`` in the same relative order."""
    if not order or not patch_list:
        return
    items = patch_list
    if merge_key:
        for v in items:
            if not isinstance(v, dict):
                raise _bad_arg_type("map[string]interface {}", v)
        items = [v for v in items if v.get(_PATCH) != "delete"]
    p = s = 0
    while p < len(items) and s < len(order):
        item = items[p]
        if isinstance(item, dict) and _PATCH in item:
            p += 1
            continue
        want = order[s]
        if merge_key:
            for m in (item, want):
                if not isinstance(m, dict):
                    raise _bad_arg_type("map[string]interface {}", m)
                if merge_key not in m:
                    raise _no_merge_key(m, merge_key)
            equal = _same(item[merge_key], want[merge_key])
        else:
            equal = _same(item, want)
        if equal:
            p += 1
        s += 1
    if p < len(items):
        raise _fail(f"The order in patch list:\n{_go(patch_list)}\n doesn't match "
                    f"{_SET_ORDER} list:\n{_go(order)}\n")


def _set_element_order(original: Obj, patch: Obj, meta: PatchMeta | None) -> None:
    """Merge each list named by a ``$setElementOrder/<field>`` directive and put it
    in that order: listed items first as listed, server-only items kept at their
    live position relative to them (``mergePatchIntoOriginal``)."""
    for directive in [k for k in patch if k.startswith(_SET_ORDER)]:
        order = patch.pop(directive)
        if not isinstance(order, list):
            raise _bad_arg_type("[]interface {}", order)
        key = _extract_key(directive, _SET_ORDER)
        live = original.get(key)  # a null live list counts as absent, not an error
        if live is not None and not isinstance(live, list):
            raise _bad_arg_type("[]interface {}", live)
        new = patch.get(key, _ABSENT)
        if new is not _ABSENT and not isinstance(new, list):
            raise _bad_arg_type("[]interface {}", new)
        if new is _ABSENT:
            if live is None:
                continue
            new = None
        node = _child(meta, key)
        merge_key = (node or {}).get("k", "")
        _validate_order(new or [], order, merge_key)
        if new is None:
            merged = live
        elif live is None:
            merged = _clean(new)[0]
        else:
            merged, live = _merge_list_field(live, new, node, False)
        patch.pop(key, None)
        if not merged or (not merge_key and isinstance(merged[0], dict)):
            original[key] = merged  # nothing to order, or no key to order maps by
            continue
        kind = _element_kind(live or [], new or [])
        patch_items, server_only = _partition(merged, order, merge_key)
        original[key] = _normalize_order(patch_items, server_only, order, live or [],
                                         merge_key, kind)


def _merge_map(original: Obj, patch: Obj, meta: PatchMeta | None) -> Obj:
    if _PATCH in patch:
        directive = patch[_PATCH]
        if directive == "replace":
            replaced: Obj = _clean({k: v for k, v in patch.items() if k != _PATCH})[0]
            return replaced
        if directive == "delete":
            return {}
        raise _fail(f"unknown patch type: {_go(directive)} in map: {_go(patch)}")
    if _RETAIN_KEYS in patch:
        _retain_keys(original, patch)
    _set_element_order(original, patch, meta)
    for key, value in patch.items():
        delete_list = key.startswith(_DELETE_FROM)
        if delete_list:
            key = _extract_key(key, _DELETE_FROM)
        if value is None:
            original.pop(key, None)
            continue
        cur = original.get(key, _ABSENT)
        if cur is _ABSENT or type(cur) is not type(value):
            if not delete_list:
                _put(original, key, value)
            continue
        node = _child(meta, key)
        if isinstance(value, dict):
            if _strategy(node) == "replace":
                _put(original, key, value)
            else:
                original[key] = _merge_map(cur, value, node)
        elif isinstance(value, list):
            original[key] = _merge_list_field(cur, value, node, delete_list)[0]
        else:
            original[key] = value
    return original


_ABSENT: Any = object()


def apply_strategic_merge_patch(doc: Obj, patch: Any, meta: PatchMeta | None) -> Obj:
    """Apply a strategic merge patch to a copy of ``doc``, as kube-apiserver does
    for built-in kinds. ``meta`` is the kind's ``patch_meta`` tree; None (or a
    field missing from it) merges maps and replaces lists, like a merge patch
    that still honours the ``$patch``/``$retainKeys``/... directives. No
    directive key is left in the result."""
    out: Obj = _copy(doc)
    if patch is None:  # a JSON ``null`` body decodes to an empty patch
        return out
    if not isinstance(patch, dict):
        raise errors.BadRequest(f"json: cannot unmarshal {_json_kind(patch)} into Go value of "
                                "type map[string]interface {}")
    return _merge_map(out, _copy(patch), meta)
