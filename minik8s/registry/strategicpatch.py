"""Strategic merge patch (``application/strategic-merge-patch+json``) and its
directives (``$patch``, ``$retainKeys``, ``$setElementOrder``,
``$deleteFromPrimitiveList``).

apimachinery ``strategicpatch.StrategicMergeMapPatch``, driven by the metadata
trees of ``api.schemas.patch_meta`` (merge keys and strategies per field). Its
sentinel errors are mapped like ``interpretStrategicMergePatchError``: bad
directive formats 400 with the library message, lists of lists 422
(``patchcore.PatchRejected``). Every other library error (missing merge key,
unknown ``$patch`` value, order mismatch...) is a plain ``error`` there, hence a
500 with the library message; here it is 400 ``BadRequest`` with the same message,
never a 500. Pure; ``patch`` re-exports ``apply_strategic_merge_patch``.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors
from minik8s.registry import patchcore

Obj = dict[str, Any]

#: One node of the strategic-merge metadata tree (format: ``api.schemas.patch_meta``).
PatchMeta = dict[str, Any]

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
    return _fail(f"map: {patchcore.go_repr(m)} does not contain declared merge key: {key}")


def _bad_arg_type(expected: str, actual: Any) -> errors.BadRequest:
    return _fail(f"expected a {expected}, but received a {patchcore.go_type(actual)}")


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
                    raise patchcore.PatchRejected("lists of lists are not supported")
            elif type(v) is not first:
                raise _fail("list element types are not identical: "
                            + patchcore.go_repr([list(x) for x in lists]))
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
        return next((i for i, x in enumerate(self.keys) if patchcore.json_equal(x, k)), -1)


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
                raise _fail(f"unknown patch type: {patchcore.go_repr(el[_PATCH])} "
                            f"in map: {patchcore.go_repr(el)}")
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
        raise _fail(f"The order in patch list:\n{patchcore.go_repr(patch_list)}\n doesn't match "
                    f"{_SET_ORDER} list:\n{patchcore.go_repr(order)}\n")


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
        raise _fail(f"unknown patch type: {patchcore.go_repr(directive)} "
                    f"in map: {patchcore.go_repr(patch)}")
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
    out: Obj = patchcore.copy(doc)
    if patch is None:  # a JSON ``null`` body decodes to an empty patch
        return out
    if not isinstance(patch, dict):
        raise errors.BadRequest(f"json: cannot unmarshal {patchcore.json_kind(patch)} "
                                "into Go value of type map[string]interface {}")
    return _merge_map(out, patchcore.copy(patch), meta)
