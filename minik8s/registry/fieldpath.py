"""Field sets over plain-dict objects, as structured-merge-diff computes them.

Role: the value-level half of server-side apply. ``registry.fieldmanager``
(managedFields bookkeeping, conflicts) is its only user; it reads schemas
through ``api.schemas`` (built-in kinds) or a CRD's structural schema.

A field set *is* its FieldsV1 encoding: a dict from path element to child
node, where a child ``{}`` is a member with nothing below it, a child holding
``"."`` is a member with children, and any other child only has members
below it (``f:name`` fields, ``k:{"name":"c"}`` map-list items, ``v:"x"``
set-list items). So decoding stored managedFields costs nothing and encoding
is a sort. Nodes are never mutated once built; every operation returns new
dicts, sharing untouched subtrees, and returns its input unchanged (``is``)
when nothing changed so callers can skip re-encoding.

The walks follow typed/compare.go, tofieldset.go, merge.go and remove.go:
a list is atomic unless its schema says ``set``/``map`` (or has a merge
key); a map is granular unless ``x-kubernetes-map-type: atomic``; an empty
or absent list/map is a leaf. Objects here are not Go structs, so two Go
behaviours are emulated by table: struct fields that are values, not
pointers (present as ``{}`` even when unset: ``spec``, ``template``,
``resources``...), and fields without ``omitempty`` that read back as
``null`` (``PodSpec.containers``); and ``null`` is the same as absent
wherever the parent exists on both sides.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import orjson

from minik8s.api import schemas

Node = dict[str, Any]
MISSING: Any = object()

_RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension"
_SCALARS = frozenset({"io.k8s.apimachinery.pkg.api.resource.Quantity",
                      "io.k8s.apimachinery.pkg.util.intstr.IntOrString"})
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

#: Go value (non-pointer) struct fields below the top level: an unset one still
#: serializes as ``{}``, so it is never "added" or "removed" as a whole.
_VALUE_STRUCTS: dict[str, tuple[str, ...]] = {
    "io.k8s.api.apps.v1.DeploymentSpec": ("template", "strategy"),
    "io.k8s.api.apps.v1.StatefulSetSpec": ("template", "updateStrategy"),
    "io.k8s.api.apps.v1.DaemonSetSpec": ("template", "updateStrategy"),
    "io.k8s.api.apps.v1.ReplicaSetSpec": ("template",),
    "io.k8s.api.batch.v1.JobSpec": ("template",),
    "io.k8s.api.batch.v1.CronJobSpec": ("jobTemplate",),
    "io.k8s.api.batch.v1.JobTemplateSpec": ("metadata", "spec"),
    "io.k8s.api.core.v1.PodTemplateSpec": ("metadata", "spec"),
    "io.k8s.api.core.v1.PodTemplate": ("template",),
    "io.k8s.api.core.v1.Container": ("resources",),
    "io.k8s.api.core.v1.EphemeralContainer": ("resources",),
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec": ("resources",),
    "io.k8s.api.core.v1.ServiceStatus": ("loadBalancer",),
    "io.k8s.api.core.v1.NodeStatus": ("daemonEndpoints", "nodeInfo"),
    "io.k8s.api.core.v1.NodeDaemonEndpoints": ("kubeletEndpoint",),
    "io.k8s.api.networking.v1.IngressStatus": ("loadBalancer",),
    "io.k8s.api.core.v1.Event": ("involvedObject", "source"),
}
#: Go fields without ``omitempty`` whose unset value reads back as ``null``
_NULL_FIELDS: dict[str, tuple[str, ...]] = {
    "io.k8s.api.core.v1.PodSpec": ("containers",),
}
#: list-map key defaults from the real OpenAPI (``+default=``), missing in ours
_KEY_DEFAULTS: dict[str, dict[str, Any]] = {
    "io.k8s.api.core.v1.ContainerPort": {"protocol": "TCP"},
    "io.k8s.api.core.v1.ServicePort": {"protocol": "TCP"},
}


# --------------------------------------------------------------------------- types


class Type:
    """One compiled schema node; a value picks its side (map, list, scalar).

    ``fields``: struct fields; ``elem``: map values not in ``fields``, or list
    items; ``keys``: sorted list-map keys (``()`` for a set) when the list is
    granular; ``defaults``: field defaults (list-map keys may default);
    ``value_structs`` / ``null_fields``: see the module docstring.
    """

    __slots__ = ("defaults", "elem", "fields", "keys", "list_atomic", "map_atomic",
                 "null_fields", "value_structs")

    def __init__(self) -> None:
        self.fields: dict[str, Type] | None = None
        self.elem: Type | None = None
        self.map_atomic = False
        self.list_atomic = True
        self.keys: tuple[str, ...] = ()
        self.defaults: dict[str, Any] | None = None
        self.value_structs: frozenset[str] = frozenset()
        self.null_fields: frozenset[str] = frozenset()

    def copy(self) -> "Type":
        t = Type()
        for s in Type.__slots__:
            setattr(t, s, getattr(self, s))
        return t

    def child(self, name: str) -> "Type":
        f = self.fields
        if f is not None:
            t = f.get(name)
            if t is not None:
                return t
        return self.elem or DEDUCED


#: untyped, as smd's ``__untyped_deduced_``: maps granular, lists atomic
DEDUCED = Type()
DEDUCED.elem = DEDUCED
#: untyped and atomic all the way (RawExtension, scalars)
ATOMIC = Type()
ATOMIC.map_atomic = True


@functools.cache
def _kind_definitions() -> frozenset[str]:
    return frozenset(schemas.kinds().values())


_named_memo: dict[str, Type] = {}


def _named(name: str) -> Type:
    t = _named_memo.get(name)
    if t is not None:
        return t
    if name == _RAW_EXTENSION or name in _SCALARS:
        return ATOMIC
    t = Type()
    _named_memo[name] = t  # before filling: definitions are recursive
    _fill(t, schemas.definition(name), name)
    return t


def _compile(schema: Any, crd: bool = False) -> Type:
    if not isinstance(schema, dict):
        return DEDUCED
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        t = _named(ref[len("#/$defs/"):])
        mt = schema.get("x-kubernetes-map-type")
        if mt in ("atomic", "granular") and (mt == "atomic") != t.map_atomic:
            t = t.copy()
            t.map_atomic = mt == "atomic"
        return t
    t = Type()
    _fill(t, schema, None, crd)
    return t


def _fill(t: Type, schema: dict[str, Any], name: str | None, crd: bool = False) -> None:
    t.map_atomic = schema.get("x-kubernetes-map-type") == "atomic"
    props = schema.get("properties")
    if isinstance(props, dict) and props:
        t.fields = {k: _compile(v, crd) for k, v in props.items()}
        dflt = {k: v["default"] for k, v in props.items()
                if isinstance(v, dict) and "default" in v}
        dflt.update(_KEY_DEFAULTS.get(name or "", {}))
        t.defaults = dflt or None
        vs = set(_VALUE_STRUCTS.get(name or "", ()))
        if name in _kind_definitions():
            vs |= {"metadata", "spec", "status"} & set(props)
        t.value_structs = frozenset(vs)
        t.null_fields = frozenset(_NULL_FIELDS.get(name or "", ()))
    extra = schema.get("additionalProperties")
    items = schema.get("items")
    if isinstance(extra, dict):
        t.elem = _compile(extra, crd)
    elif isinstance(items, dict):
        t.elem = _compile(items, crd)
        lt = schema.get("x-kubernetes-list-type")
        strategy = str(schema.get("x-kubernetes-patch-strategy") or "")
        if lt == "set":
            t.list_atomic, t.keys = False, ()
        elif lt == "map":
            t.list_atomic, t.keys = False, tuple(sorted(schema.get("x-kubernetes-list-map-keys") or ()))
        elif lt is None and "merge" in strategy.split(","):
            key = schema.get("x-kubernetes-patch-merge-key")
            t.list_atomic, t.keys = False, (key,) if key else ()
    else:
        t.elem = DEDUCED
    if crd and schema.get("x-kubernetes-embedded-resource") and t.fields is not None:
        t.fields = {**t.fields, "metadata": _named(_OBJECT_META)}


def type_for(group: str, version: str, kind: str) -> Type:
    """The type of a built-in kind (``DEDUCED`` for kinds without a schema)."""
    name = schemas.definition_name(group, version, kind)
    return _named(name) if name is not None else DEDUCED


_crd_memo: dict[int, tuple[Any, Type]] = {}


def type_for_crd(schema: dict[str, Any] | None) -> Type:
    """The type of a custom resource version's ``openAPIV3Schema`` (metadata typed
    as ObjectMeta, as apiextensions-apiserver does)."""
    if not schema:
        t = DEDUCED.copy()
        t.fields = {"metadata": _named(_OBJECT_META)}
        return t
    hit = _crd_memo.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    t = _compile(schema, crd=True)
    t = t.copy()
    t.fields = {**(t.fields or {}), "metadata": _named(_OBJECT_META)}
    t.value_structs = t.value_structs | {"metadata"}
    _crd_memo[id(schema)] = (schema, t)
    return t


# --------------------------------------------------------------------------- path elements


def _json(v: Any) -> str:
    """JSON as Go's encoding/json writes it (compact, HTML-escaped)."""
    s = orjson.dumps(v).decode()
    if "<" in s or ">" in s or "&" in s or "\u2028" in s or "\u2029" in s:
        s = (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
             .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return s


def item_pe(t: Type, item: Any) -> str | None:
    """The path element of a granular list's item (``k:{...}`` / ``v:...``), or
    None when the item cannot be keyed (the list is then treated as atomic)."""
    keys = t.keys
    if keys:
        if type(item) is not dict:
            return None
        kv = {}
        dflt = (t.elem or DEDUCED).defaults
        for k in keys:
            if k in item:
                kv[k] = item[k]
            elif dflt is not None and k in dflt:
                kv[k] = dflt[k]
        return "k:" + _json(kv) if kv else None
    if item is None or type(item) in (dict, list):
        return None
    return "v:" + _json(item)


def _value_rank(v: Any) -> tuple[Any, ...]:
    """smd's total order of values: numbers, strings, bools, lists, maps, null."""
    if isinstance(v, bool):
        return (2, v)
    if isinstance(v, (int, float)):
        return (0, v)
    if isinstance(v, str):
        return (1, v)
    if isinstance(v, list):
        return (3, [_value_rank(x) for x in v])
    if isinstance(v, dict):
        return (4, sorted((k, _value_rank(x)) for k, x in v.items()))
    return (5,)


@functools.lru_cache(maxsize=8192)
def pe_sort_key(pe: str) -> tuple[Any, ...]:
    """Order of path elements: ``.``, fields, keys, values, indexes."""
    if pe == ".":
        return (-1,)
    kind, rest = pe[:2], pe[2:]
    try:
        if kind == "f:":
            return (0, rest)
        if kind == "k:":
            d = json.loads(rest)
            return (1, [(k, _value_rank(d[k])) for k in sorted(d)])
        if kind == "v:":
            return (2, _value_rank(json.loads(rest)))
        if kind == "i:":
            return (3, int(rest))
    except ValueError:
        pass
    return (4, pe)


def _go_string(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(_go_string(x) for x in v) + "]"
    if isinstance(v, dict):
        return "".join(f"{k}={_go_string(x)}" for k, x in v.items())
    return str(v)


def render_pe(pe: str) -> str:
    """``f:spec`` → ``.spec``, ``k:{"name":"c"}`` → ``[name="c"]``, ``v:"a"`` → ``[="a"]``."""
    kind, rest = pe[:2], pe[2:]
    if kind == "f:":
        return "." + rest
    try:
        if kind == "k:":
            return "[" + ",".join(f"{k}={_go_string(v)}" for k, v in json.loads(rest).items()) + "]"
        if kind == "v:":
            return "[=" + _go_string(json.loads(rest)) + "]"
    except ValueError:
        pass
    if kind == "i:":
        return f"[{rest}]"
    return pe


def canonical_pe(pe: str) -> str:
    """Re-encode a ``k:``/``v:`` element read from a client (key order, spacing)."""
    kind = pe[:2]
    try:
        if kind == "k:":
            d = json.loads(pe[2:])
            if isinstance(d, dict):
                return "k:" + _json({k: d[k] for k in sorted(d)})
        elif kind == "v:":
            return "v:" + _json(json.loads(pe[2:]))
    except ValueError:
        pass
    return pe


# --------------------------------------------------------------------------- set algebra


def is_member(n: Node) -> bool:
    return not n or "." in n


def _settle(out: Node, member: bool, orig: Node) -> Node | None:
    """Fix the ``.`` marker of a node whose children were edited copy-on-write."""
    n = len(out) - ("." in out)
    if n == 0:
        return ({} if orig else orig) if member else None
    if member and "." not in out:
        if out is orig:
            out = dict(out)
        out["."] = {}
    elif not member and "." in out:
        if out is orig:
            out = dict(out)
        del out["."]
    return out


def union(a: Node, b: Node) -> Node:
    """Union of two root sets (returns ``a`` itself when ``b`` adds nothing)."""
    if not b or a is b:
        return a
    if not a:
        return b
    return _union_children(a, b)


def _union_children(a: Node, b: Node) -> Node:
    out = a
    for k, bv in b.items():
        if k == ".":
            continue
        av = a.get(k)
        r = bv if av is None else _union_node(av, bv)
        if r is not av:
            if out is a:
                out = dict(a)
            out[k] = r
    return out


def _union_node(a: Node, b: Node) -> Node:
    if a is b:
        return a
    out = _union_children(a, b)
    r = _settle(out, is_member(a) or is_member(b), a)
    assert r is not None
    return r


def difference(a: Node, b: Node) -> Node:
    """``a`` minus ``b`` for root sets (``a`` itself when nothing is removed)."""
    if not a or not b:
        return a
    out = a
    for k, bv in b.items():
        av = a.get(k)
        if av is None:
            continue
        r = _diff_node(av, bv)
        if r is not av:
            if out is a:
                out = dict(a)
            if r is None:
                del out[k]
            else:
                out[k] = r
    return out


def _diff_node(a: Node, b: Node) -> Node | None:
    if a is b:
        return None
    am = is_member(a)
    member = am and not is_member(b)
    out = a
    if a:
        for k, bv in b.items():
            if k == ".":
                continue
            av = a.get(k)
            if av is None:
                continue
            r = _diff_node(av, bv)
            if r is not av:
                if out is a:
                    out = dict(a)
                if r is None:
                    del out[k]
                else:
                    out[k] = r
    if out is a and member == am:
        return a
    return _settle(out, member, a)


def intersection(a: Node, b: Node) -> Node:
    """Paths in both root sets."""
    if not a or not b:
        return {}
    if len(b) < len(a):
        a, b = b, a
    out: Node = {}
    for k, av in a.items():
        bv = b.get(k)
        if bv is not None:
            r = av if av is bv else _inter_node(av, bv)
            if r is not None:
                out[k] = r
    return out


def _inter_node(a: Node, b: Node) -> Node | None:
    out: Node = {}
    if a and b:
        for k, av in a.items():
            if k == ".":
                continue
            bv = b.get(k)
            if bv is not None:
                r = av if av is bv else _inter_node(av, bv)
                if r is not None:
                    out[k] = r
    return _settle(out, is_member(a) and is_member(b), out)


def has(s: Node, path: tuple[str, ...]) -> bool:
    node: Node | None = s
    for i, pe in enumerate(path):
        assert node is not None
        node = node.get(pe)
        if node is None:
            return False
        if i == len(path) - 1:
            return is_member(node)
    return False


def paths(s: Node) -> Iterator[tuple[str, ...]]:
    """Member paths in smd's order: at each level members first, then descents."""
    yield from _paths(s, ())


def _paths(s: Node, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    keys = sorted((k for k in s if k != "."), key=pe_sort_key)
    for k in keys:
        if is_member(s[k]):
            yield prefix + (k,)
    for k in keys:
        c = s[k]
        if c and (len(c) > 1 or "." not in c):
            yield from _paths(c, prefix + (k,))


def render_path(path: tuple[str, ...]) -> str:
    return "".join(render_pe(pe) for pe in path)


def encode(s: Node) -> Node:
    """The FieldsV1 form of a set: its paths in the real server's key order
    (``s`` itself when already so)."""
    keys = sorted(s)  # "." < "f:..." as strings; fields sort by name
    if len(keys) > 1 and keys[-1][0] != "f":  # list items: values order numbers first
        keys.sort(key=pe_sort_key)
    same = True
    children = []
    for k in keys:
        c = s[k]
        e = encode(c) if c else c
        same = same and e is c
        children.append(e)
    if same and keys == list(s):
        return s
    return dict(zip(keys, children))


def decode(raw: Any, _root: bool = True) -> Node | None:
    """A FieldsV1 value from a client as a set (keys re-encoded canonically),
    or None if it is not one."""
    if not isinstance(raw, dict):
        return None
    out: Node = {}
    for k, v in raw.items():
        if not isinstance(k, str) or not isinstance(v, dict):
            return None
        if k == ".":
            if not _root:
                out["."] = {}
            continue
        if len(k) < 2 or k[1] != ":" or k[0] not in "fkvi":
            continue  # unknown element kinds are skipped, as the real decoder does
        c = decode(v, False)
        if c is None:
            return None
        if len(c) == 1 and "." in c:
            c = {}
        out[canonical_pe(k) if k[0] in "kv" else k] = c
    return out


# --------------------------------------------------------------------------- walks over values


def _index(t: Type, lst: list[Any]) -> tuple[list[str], dict[str, list[Any]]] | None:
    order: list[str] = []
    by: dict[str, list[Any]] = {}
    for item in lst:
        pe = item_pe(t, item)
        if pe is None:
            return None
        got = by.get(pe)
        if got is None:
            by[pe] = [item]
            order.append(pe)
        else:
            got.append(item)
    return order, by


def everything(t: Type, v: Any) -> Node:
    """The paths of a value appearing where there was nothing (or leaving):
    compare's Added/Removed, containers included. Built in FieldsV1 order."""
    tv = type(v)
    if tv is dict:
        if t.map_atomic or not v:
            return {}
        out: Node = {".": {}}
        fields = t.fields
        elem = t.elem or DEDUCED
        vs = t.value_structs
        for k in sorted({*v, *vs} if vs else v):
            c = v.get(k)
            if c is None:  # null, or an absent value struct (``{}``)
                out["f:" + k] = {}
                continue
            ct = fields.get(k) if fields is not None else None
            out["f:" + k] = everything(ct or elem, c)
        return out
    if tv is list:
        if t.list_atomic or not v:
            return {}
        idx = _index(t, v)
        if idx is None:
            return {}
        order, by = idx
        elem = t.elem or DEDUCED
        out = {".": {}}
        for pe in (sorted(order, key=pe_sort_key) if len(order) > 1 else order):
            items = by[pe]
            out[pe] = everything(elem, items[0]) if len(items) == 1 else {}
        return out
    return {}


def compare(t: Type, old: dict[str, Any] | None, new: dict[str, Any],
            skip: frozenset[str] = frozenset(), skip_meta: frozenset[str] = frozenset(),
            only: str | None = None) -> tuple[Node, Node, Node]:
    """(added, modified, removed) root sets from ``old`` to ``new`` (``None``:
    the empty object of the kind). ``skip`` top-level keys and ``skip_meta``
    metadata keys are not compared; ``only`` compares one top-level key."""
    if old is None:
        old = {}
    if only is not None:
        old = {only: old[only]} if only in old else {}
        new = {only: new[only]} if only in new else {}
    a, m, d = _cmp_map(t, old, new, skip, skip_meta)
    return a or {}, m or {}, d or {}


def _norm(t: Type, k: str, v: Any) -> Any:
    """Absent and null read the same where the parent exists; value structs
    read as ``{}``, fields without omitempty as ``null``."""
    if v is None:
        if k in t.null_fields:
            return None
        v = MISSING
    if v is MISSING:
        if k in t.value_structs:
            return {}
        if k in t.null_fields:
            return None
    return v


def _cmp_map(t: Type, l: dict[str, Any], r: dict[str, Any], skip: frozenset[str] = frozenset(),
             skip_meta: frozenset[str] = frozenset()
             ) -> tuple[Node | None, Node | None, Node | None]:
    a = m = d = None
    special = t.value_structs or t.null_fields
    for k, lv in l.items():
        rv = r.get(k, MISSING)
        if lv is rv or k in skip:
            continue
        if skip_meta and k == "metadata" and type(lv) is dict and type(rv) is dict:
            # not ``==`` first: managedFields, the bulk of metadata, is skipped
            ca, cm, cd = _cmp_map(t.child(k), lv, rv, skip_meta)
        else:
            if lv is None or rv is None or (special and rv is MISSING):
                lv, rv = _norm(t, k, lv), _norm(t, k, rv)
            if lv is rv or lv == rv:
                continue
            ca, cm, cd = _cmp(t.child(k), lv, rv)
        pe = "f:" + k
        if ca is not None:
            a = a or {}
            a[pe] = ca
        if cm is not None:
            m = m or {}
            m[pe] = cm
        if cd is not None:
            d = d or {}
            d[pe] = cd
    if len(r) > len(l) or any(k not in l for k in r):
        vs, nf = t.value_structs, t.null_fields
        for k, rv in r.items():
            if k in l or k in skip:
                continue
            if special and (k in vs or k in nf):
                lv, rv = _norm(t, k, MISSING), _norm(t, k, rv)
                if lv == rv:
                    continue
                ca, cm, cd = _cmp(t.child(k), lv, rv)
                if cm is not None:
                    m = m or {}
                    m["f:" + k] = cm
                if cd is not None:
                    d = d or {}
                    d["f:" + k] = cd
            elif rv is None:  # null reads as absent
                continue
            else:  # new here: everything below is added
                ca = everything(t.child(k), rv)
            if ca is not None:
                a = a or {}
                a["f:" + k] = ca
    return _in_order(a), _in_order(m), _in_order(d)


def _in_order(n: Node | None) -> Node | None:
    """A node built by the walks, in FieldsV1 key order (so storing it costs no copy)."""
    if n is None or len(n) < 2:
        return n
    keys = list(n)
    ordered = sorted(keys)
    if ordered[-1][0] != "f":
        ordered.sort(key=pe_sort_key)
    return n if ordered == keys else {k: n[k] for k in ordered}


_LEAF_MODIFIED: tuple[None, Node, None] = (None, {}, None)


def _cmp(t: Type, l: Any, r: Any) -> tuple[Node | None, Node | None, Node | None]:
    """Compare two differing values at one path (``None`` = explicit null)."""
    if l is MISSING:
        return everything(t, r), None, None
    if r is MISSING:
        return None, None, everything(t, l)
    tl, tr = type(l), type(r)
    if (tl is dict or l is None) and (tr is dict or r is None):
        if t.map_atomic or (not l and not r):
            return None, {}, None
        return _cmp_map(t, l or {}, r or {})
    if (tl is list or l is None) and (tr is list or r is None):
        if t.list_atomic or (not l and not r):
            return None, {}, None
        return _cmp_list(t, l or [], r or [])
    return None, {}, None


def _same_keys(t: Type, l: list[Any], r: list[Any]) -> bool:
    """Both lists key their items alike, position by position (the common case:
    an item changed in place), so items can be compared pairwise."""
    keys = t.keys
    if len(l) != len(r) or not keys:
        return False
    for li, ri in zip(l, r):
        if type(li) is not dict or type(ri) is not dict:
            return False
        for k in keys:
            if li.get(k, MISSING) != ri.get(k, MISSING):
                return False
    return True


def _unique_keys(t: Type, lst: list[Any]) -> bool:
    keys = t.keys
    try:
        return len({tuple(x.get(k, MISSING) for k in keys) for x in lst}) == len(lst)
    except TypeError:  # unhashable key values: let the general way decide
        return False


def _cmp_list(t: Type, l: list[Any], r: list[Any]
              ) -> tuple[Node | None, Node | None, Node | None]:
    elem = t.elem or DEDUCED
    a: Node = {}
    m: Node = {}
    d: Node = {}
    if _same_keys(t, l, r):
        pes: set[str] = set()
        for lv, rv in zip(l, r):
            if lv is rv or lv == rv:
                continue
            pe = item_pe(t, lv)
            if pe is None or pe in pes:
                break  # unkeyable or repeated: take the general way
            pes.add(pe)
            ca, cm, cd = _cmp(elem, lv, rv)
            if ca is not None:
                a[pe] = ca
            if cm is not None:
                m[pe] = cm
            if cd is not None:
                d[pe] = cd
        else:
            if not pes or _unique_keys(t, l):
                return _in_order(a or None), _in_order(m or None), _in_order(d or None)
        a, m, d = {}, {}, {}
    li, ri = _index(t, l), _index(t, r)
    if li is None or ri is None:
        return None, {}, None
    lorder, lby = li
    rorder, rby = ri
    for pe in (*lorder, *(pe for pe in rorder if pe not in lby)):
        ll, rl = lby.get(pe, ()), rby.get(pe, ())
        if len(ll) <= 1 and len(rl) <= 1:
            lv = ll[0] if ll else MISSING
            rv = rl[0] if rl else MISSING
            if lv is rv or lv == rv:
                continue
            ca, cm, cd = _cmp(elem, lv, rv)
            if ca is not None:
                a[pe] = ca
            if cm is not None:
                m[pe] = cm
            if cd is not None:
                d[pe] = cd
        elif len(ll) >= 2 and len(rl) >= 2:
            if list(ll) != list(rl):
                m[pe] = {}
        elif len(ll) >= 2:
            if rl:
                a[pe] = everything(elem, rl[0])
            d[pe] = {}
        else:
            if ll:
                d[pe] = everything(elem, ll[0])
            a[pe] = {}
    return _in_order(a or None), _in_order(m or None), _in_order(d or None)


def field_set(t: Type, v: Any) -> Node:
    """ToFieldSet of an applied configuration: leaves, list items, map entries
    (not struct fields), nulls and empty maps; containers are not members."""
    n = _fs(t, v)
    return n if n else {}


def _fs(t: Type, v: Any) -> Node | None:
    tv = type(v)
    if tv is dict:
        if t.map_atomic or not v:
            return {}
        out: Node = {}
        fields = t.fields
        for k, c in v.items():
            ft = fields.get(k) if fields is not None else None
            if c is None:
                out["f:" + k] = {}
                continue
            n = _fs(ft or t.elem or DEDUCED, c)
            if ft is None:  # a map entry is a member itself
                n = {} if not n else n if "." in n else {**n, ".": {}}
            if n is not None:
                out["f:" + k] = n
        return out or None
    if tv is list:
        if t.list_atomic:
            return {}
        if not v:
            return None
        idx = _index(t, v)
        if idx is None:
            return {}
        order, by = idx
        elem = t.elem or DEDUCED
        out = {}
        for pe in order:
            items = by[pe]
            n = _fs(elem, items[0]) if len(items) == 1 else None
            out[pe] = {} if not n else n if "." in n else {**n, ".": {}}
        return out
    return {}


def ensure_named_fields(t: Type, s: Node) -> Node:
    """EnsureNamedFieldsAreMembers: struct fields with members below become members."""
    out: Node = {}
    for pe, c in s.items():
        if pe == ".":
            out["."] = {}
            continue
        if pe.startswith("f:"):
            name = pe[2:]
            ft = t.fields.get(name) if t.fields is not None else None
            n = ensure_named_fields(ft or t.elem or DEDUCED, c) if c else {}
            if ft is not None and n and "." not in n:
                n["."] = {}
        else:
            n = ensure_named_fields(t.elem or DEDUCED, c) if c else {}
        out[pe] = n
    return out


def merge(t: Type, live: Any, config: Any) -> Any:
    """The applied configuration merged into the live value (typed/merge.go).

    Keys the config sets to ``null`` are dropped. Shares subtrees of both
    inputs: callers pass copies they own."""
    if config is MISSING:
        return live
    if live is MISSING or live is None or config is None:
        return config
    tl, tc = type(live), type(config)
    if tl is dict and tc is dict:
        if t.map_atomic or (not live and not config):
            return config
        out: dict[str, Any] = {}
        for k, lv in live.items():
            cv = config.get(k, MISSING)
            if cv is None:
                continue
            out[k] = lv if cv is MISSING else merge(t.child(k), lv, cv)
        for k, cv in config.items():
            if k not in live and cv is not None:
                out[k] = cv
        return out
    if tl is list and tc is list:
        if t.list_atomic or (not live and not config):
            return config
        merged = _merge_list(t, live, config)
        return config if merged is None else merged
    return config


def _merge_list(t: Type, lhs: list[Any], rhs: list[Any]) -> list[Any] | None:
    li, ri = _index(t, lhs), _index(t, rhs)
    if li is None or ri is None:
        return None
    lby = li[1]
    rpes = ri[0]  # a key the config repeats counts once: its first item
    rby = {pe: items[0] for pe, items in ri[1].items()}
    lpes_all = [item_pe(t, item) for item in lhs]
    elem = t.elem or DEDUCED
    out: list[Any] = []
    shared = [pe for pe in rpes if pe in lby]
    si = 0
    next_shared = shared[si] if shared else None
    merged_rhs: set[str] = set()

    def item(pe: str) -> Any:
        lv = lby[pe][0] if pe in lby and len(lby[pe]) == 1 else MISSING
        return merge(elem, lv, rby.get(pe, MISSING))

    li_, ri_ = 0, 0
    nl, nr = len(lpes_all), len(rpes)
    while li_ < nl or ri_ < nr:
        if li_ < nl and ri_ < nr:
            pe = lpes_all[li_]
            if pe == rpes[ri_]:
                merged_rhs.add(pe)
                out.append(item(pe))
                li_ += 1
                ri_ += 1
                si += 1
                next_shared = shared[si] if si < len(shared) else None
                continue
            if pe in rby and next_shared is not None and next_shared != pe:
                li_ += 1
                continue
        if li_ < nl:
            pe = lpes_all[li_]
            if pe not in rby:
                out.append(lhs[li_])
                li_ += 1
                continue
            if pe in merged_rhs:
                li_ += 1
        if ri_ < nr:
            pe = rpes[ri_]
            merged_rhs.add(pe)
            out.append(item(pe))
            ri_ += 1
            if next_shared is not None and next_shared == pe:
                si += 1
                next_shared = shared[si] if si < len(shared) else None
    return out


def remove(t: Type, v: Any, s: Node) -> Any:
    """The value without the member paths of ``s`` (a member takes its subtree);
    containers left empty become absent (``MISSING``)."""
    tv = type(v)
    if tv is dict:
        if t.map_atomic or not v:
            return v
        out: dict[str, Any] = {}
        for k, c in v.items():
            n = s.get("f:" + k)
            if n is None:
                out[k] = c
            elif not is_member(n):
                r = remove(t.child(k), c, n)
                if r is not MISSING:
                    out[k] = r
        return out if out else MISSING
    if tv is list:
        if t.list_atomic or not v:
            return v
        items = []
        elem = t.elem or DEDUCED
        for item in v:
            pe = item_pe(t, item)
            n = s.get(pe) if pe is not None else None
            if n is None:
                items.append(item)
            elif not is_member(n):
                r = remove(elem, item, n)
                if r is not MISSING:
                    items.append(r)
        return items if items else MISSING
    return v
