"""Walks over objects along their schema, as structured-merge-diff's typed package.

Role: the value side of server-side apply for ``registry.fieldmanager``:
``compare`` (what an Update added, changed, removed), ``field_set`` (what an
applied configuration sets), ``merge`` (a configuration into the live
object), ``remove`` and ``ensure_named_fields`` (pruning what an applier
dropped). Types come from ``registry.fieldschema``; results are
``registry.fieldpath`` sets, built in FieldsV1 order where cheap.

``compare`` reads objects as a Go round trip would leave them, where the
parent exists on both sides: ``null`` is absent; for built-in kinds empty
lists and maps are absent too; value structs are ``{}`` and fields without
omitempty ``null`` even when missing. A configuration is read as sent.
"""

from __future__ import annotations

from typing import Any

from minik8s.memo import remember
from minik8s.registry import fieldpath, fieldschema

Node = fieldpath.Node
Type = fieldschema.Type
DEDUCED = fieldschema.DEDUCED
#: "no value here" (``None`` is JSON null)
MISSING: Any = object()


#: ``k:`` path elements of items keyed by one string field, by (field, value): the same
#: few (``k:{"type":"Ready"}``, a container's name) recur in every object. Bounded.
_KEY_PES: dict[tuple[str, str], str] = {}
KEY_PES_SIZE = 4096


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
        if len(kv) == 1:
            ((k, v),) = kv.items()
            if type(v) is str:  # the usual key (a name, a type): its text is memoized
                pe = _KEY_PES.get((k, v))
                if pe is None:
                    pe = remember(_KEY_PES, (k, v), "k:" + fieldpath.json_text(kv), KEY_PES_SIZE)
                return pe
        return "k:" + fieldpath.json_text(kv) if kv else None
    if item is None or type(item) in (dict, list):
        return None
    return "v:" + fieldpath.json_text(item)


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
            tc = type(c)
            if c is None or (tc is not dict and tc is not list):
                # null, an absent value struct (``{}``), a scalar: a leaf
                out["f:" + k] = {}
                continue
            ct = (fields.get(k) if fields is not None else None) or elem
            if not c and t.omit_empty and (tc is list or ct.fields is None):
                continue  # an empty list or map: omitted
            out["f:" + k] = everything(ct, c)
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
        for pe in (sorted(order, key=fieldpath.pe_sort_key) if len(order) > 1 else order):
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


Paths = tuple[tuple[str | int, ...], ...]


def leaves_modified(t: Type, paths: list[tuple[str | int, ...]], old: Any) -> Node | None:
    """``compare``'s ``modified`` set when ``new`` differs from ``old`` only in the
    scalar leaves at ``paths`` (dict keys and list indexes from the root, as
    ``objects.leaf_changes`` finds them; nothing added or removed, so ``added`` and
    ``removed`` are empty): each leaf, or the nearest atomic map or list on its way, in
    FieldsV1 order; a leaf inside an item of a granular list lies below the item's path
    element (``k:{"type":"Ready"}``), read from ``old``. None when ``compare`` would
    not find just that (``_template``, ``_item_pes``): the caller then runs it."""
    tp = tuple(paths)
    key = (id(t), tp)
    plan = _PLANS.get(key)
    if plan is None or plan.t is not t:
        plan = remember(_PLANS, key, _Plan(t, tp), LEAVES_SIZE)
    if plan.node is not None or plan.templates is None:
        return plan.node  # no granular list on the way; or declined
    pes = plan.item_pes(old)
    if pes is None:
        return None
    lkey = (id(t), tp, pes)
    got = _LISTED.get(lkey)
    if got is None or got[0] is not t:
        got = remember(_LISTED, lkey, (t, _leaves_node(plan.fill(pes))), LEAVES_SIZE)
    return got[1]


class _Plan:
    """What ``leaves_modified`` finds from a type and paths alone: each path's elements
    in the set (``templates``: ``None`` stands for the item of a granular list the path
    goes through; ``crossings``, in the same order, say where: path number, position of
    the index, the list's type), and the set itself when no path goes through such a
    list (``node``). ``templates`` is None when ``compare`` would not report some path
    as that leaf (``_template``)."""

    __slots__ = ("crossings", "node", "paths", "t", "templates")

    def __init__(self, t: Type, paths: Paths) -> None:
        self.t = t
        self.paths = paths
        self.node: Node | None = None
        self.crossings: list[tuple[int, int, Type]] = []
        self.templates: list[tuple[str | None, ...]] | None = None
        templates = []
        for n, path in enumerate(paths):
            got = _template(t, path, n, self.crossings)
            if got is None:
                return
            templates.append(got)
        self.templates = templates
        if not self.crossings:
            self.node = _leaves_node(templates)

    def item_pes(self, old: Any) -> tuple[str, ...] | None:
        """The path element in ``old`` of each crossed item, or None when a crossed
        list's items do not each have a key of their own (``_item_pes``)."""
        out: list[str] = []
        lists: dict[int, list[str] | None] = {}  # by id: ``old`` keeps each list alive
        for n, j, lt in self.crossings:
            path = self.paths[n]
            v = old
            for k in path[:j]:
                v = v[k]
            if id(v) in lists:
                pes = lists[id(v)]
            else:
                pes = lists[id(v)] = _item_pes(lt, v)
            if pes is None:
                return None
            out.append(pes[path[j]])  # type: ignore[index]
        return tuple(out)

    def fill(self, pes: tuple[str, ...]) -> list[tuple[str | None, ...]]:
        """The templates with the crossed items' path elements in place."""
        it = iter(pes)
        assert self.templates is not None
        return [tuple(next(it) if pe is None else pe for pe in tpl) for tpl in self.templates]


#: ``leaves_modified``'s plans by (id of the type, paths): a lease renewal's set is the
#: same each time. Shared, as field sets are never mutated once built. Bounded, oldest
#: out first.
_PLANS: dict[tuple[int, Paths], _Plan] = {}
#: ... and the sets of paths through granular lists by (id of the type, paths, the
#: crossed items' path elements): a node's heartbeat times, node after node
_LISTED: dict[tuple[int, Paths, tuple[str, ...]], tuple[Type, Node]] = {}
LEAVES_SIZE = 256


def _template(t: Type, path: tuple[str | int, ...], n: int,
              crossings: list[tuple[int, int, Type]]) -> tuple[str | None, ...] | None:
    """The path elements of what ``compare`` finds modified when only the scalar leaf at
    ``path`` changes: the leaf's, or its nearest atomic container's (a dict is atomic by
    ``map_atomic``, a list by ``list_atomic``, as ``_cmp`` reads them). Through a
    granular list ``compare`` pairs the items by key (when each has its own:
    ``_item_pes``, asked of the object), so the leaf lies below its item's element,
    here ``None``, the list noted in ``crossings``. None when the leaf is in a set's
    item (its own key), in a key field (a changed key is an item removed and another
    added) or in an item that is not a dict (``item_pe`` cannot key it)."""
    out: list[str | None] = []
    tt, i, last = t, 0, len(path) - 1
    while True:
        k = path[i]  # a dict key: an index is stepped over below
        out.append("f:" + k)  # type: ignore[operator]
        if i == last:
            break
        tt = tt.child(k)  # type: ignore[arg-type]
        i += 1
        if type(path[i]) is str:  # a dict on the way (leaf_changes reports only leaves)
            if tt.map_atomic:
                break
            continue
        if tt.list_atomic:
            break
        if not tt.keys or i == last or type(path[i + 1]) is not str or path[i + 1] in tt.keys:
            return None
        crossings.append((n, i, tt))
        out.append(None)
        i += 1
        tt = tt.elem or DEDUCED
        if tt.map_atomic:
            break
    return tuple(out)


def _item_pes(t: Type, lst: list[Any]) -> list[str] | None:
    """The path element of each item of a keyed list, when every item has one and no two
    the same: ``_cmp_list`` then pairs the items by key. None otherwise (``compare``
    would treat the list as atomic, or an item's twin as changed whole)."""
    pes = []
    for item in lst:
        pe = item_pe(t, item)
        if pe is None:
            return None
        pes.append(pe)
    return pes if len(set(pes)) == len(pes) else None


def _leaves_node(fields: list[tuple[str | None, ...]]) -> Node:
    root: Node = {}
    for fp in fields:
        node = root
        for pe in fp[:-1]:
            node = node.setdefault(pe, {})  # type: ignore[arg-type]
        node[fp[-1]] = {}  # type: ignore[index]
    return _ordered(root)


def _ordered(n: Node) -> Node:
    for k, c in n.items():
        if c:
            n[k] = _ordered(c)
    return fieldpath.in_order(n)


def _norm(t: Type, k: str, v: Any) -> Any:
    """A field's value as a Go round trip leaves it, where the parent exists:
    null and (for built-in kinds) empty lists and maps read as absent, value
    structs as ``{}``, fields without omitempty as ``null``."""
    if v is None or (not v and t.omit_empty and (
            type(v) is list or (type(v) is dict and t.child(k).fields is None))):
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
    for k, lv in l.items():
        rv = r.get(k, MISSING)
        if lv is rv or k in skip:
            continue
        if skip_meta and k == "metadata" and type(lv) is dict and type(rv) is dict:
            # ``==`` settles the usual update (the body repeats the live metadata,
            # managedFields included); otherwise the walk skips managedFields
            if lv == rv:
                continue
            ca, cm, cd = _cmp_map(t.child(k), lv, rv, skip_meta)
        else:
            if lv == rv:
                continue
            lv, rv = _norm(t, k, lv), _norm(t, k, rv)
            if lv is rv or lv == rv:
                continue
            if type(lv) in _SCALARS and type(rv) in _SCALARS:  # what _cmp says of two leaves
                leaf: Node = {}
                m = m or {}
                m["f:" + k] = leaf
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
    if len(r) > len(l) or not r.keys() <= l.keys():
        special = t.value_structs or t.null_fields
        for k, rv in r.items():
            if k in l or k in skip:
                continue
            if special and (k in t.value_structs or k in t.null_fields):
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
            elif rv is None or (not rv and _norm(t, k, rv) is MISSING):
                continue  # reads as absent
            else:  # new here: everything below is added
                ca = everything(t.child(k), rv)
            if ca is not None:
                a = a or {}
                a["f:" + k] = ca
    return _in_order(a), _in_order(m), _in_order(d)


def _in_order(n: Node | None) -> Node | None:
    """A node built by the walks, in FieldsV1 key order (so storing it costs no copy)."""
    return n if n is None else fieldpath.in_order(n)


_LEAF_MODIFIED: tuple[None, Node, None] = (None, {}, None)
#: types of JSON values that are present leaves (not null, not containers)
_SCALARS = frozenset({str, int, float, bool})


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
            elif not fieldpath.is_member(n):
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
            elif not fieldpath.is_member(n):
                r = remove(elem, item, n)
                if r is not MISSING:
                    items.append(r)
        return items if items else MISSING
    return v
