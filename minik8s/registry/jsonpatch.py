"""RFC 6902 JSON patch (``application/json-patch+json``).

gopkg.in/evanphx/json-patch.v4 (v4.12.0) as called from apiserver
``handlers/patch.go`` ``applyJSPatch``: a body that is not a list of ops is 400
``error decoding patch: ...``; any failing op is 422 ``Invalid`` whose message is only
``the server rejected our request due to an error in our request``
(``patchcore.PatchRejected``, which keeps the library text in ``detail``). v4
quirks kept: negative array indexes count from the end, ``replace`` of a missing
object member adds it, a ``test`` of a missing member against ``null`` passes.
Pure functions over plain dicts; ``patch`` re-exports ``apply_json_patch``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from minik8s.api import errors
from minik8s.registry import patchcore

Obj = dict[str, Any]

MAX_JSON_PATCH_OPERATIONS = 10000


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
            _add(*found, patchcore.copy(value))
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
            return patchcore.copy(value) if isinstance(value, (dict, list)) else root
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
            con[key] = patchcore.copy(value)
        else:
            con[_index(con, key)] = patchcore.copy(value)
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
            _add(*found, val if kind == "move" else patchcore.copy(val))
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
        if not patchcore.json_equal(actual, value):
            raise _OpError(f"testing value {path} failed: test failed")
    else:
        raise _OpError(f"Unexpected kind: {kind}")
    return root


def apply_json_patch(doc: Obj, ops: Any) -> Obj:
    """Apply an RFC 6902 patch (the decoded request body) to a copy of ``doc``."""
    decode = "error decoding patch: json: cannot unmarshal"
    if not isinstance(ops, list):
        raise errors.BadRequest(f"{decode} {patchcore.json_kind(ops)} into Go value of type "
                                "[]handlers.jsonPatchOp")
    for op in ops:
        if op is None:
            continue
        if not isinstance(op, dict):
            raise errors.BadRequest(f"{decode} {patchcore.json_kind(op)} into Go value of type "
                                    "handlers.jsonPatchOp")
        for name in ("op", "path", "from"):
            v = op.get(name)
            if v is not None and not isinstance(v, str):
                raise errors.BadRequest(f"{decode} {patchcore.json_kind(v)} into Go struct field "
                                        f"jsonPatchOp.{name} of type string")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise errors.RequestEntityTooLarge(
            f"The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, "
            f"got {len(ops)}")
    root: Any = patchcore.copy(doc)
    for op in ops:
        try:
            root = _apply_op(root, op or {})
        except _OpError as e:
            raise patchcore.PatchRejected(str(e)) from None
    if not isinstance(root, dict):
        # the patched JSON no longer decodes into an object (handlers/patch.go)
        text = json.dumps(root, separators=(",", ":"), sort_keys=True)
        raise errors.Invalid("", "", "", [errors.FieldError(
            "invalid", "patch", text,
            f"couldn't get version/kind; json parse error: json: cannot unmarshal "
            f"{patchcore.json_kind(root)} into Go value of type struct {{ APIVersion string "
            '"json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }')])
    return root
