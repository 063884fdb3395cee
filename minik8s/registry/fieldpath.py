"""Field sets and their FieldsV1 encoding, as structured-merge-diff's fieldpath.

Role: the set algebra of server-side apply, used by ``registry.fieldvalues``
(sets from objects) and ``registry.fieldmanager`` (ownership).

A field set *is* its FieldsV1 encoding: a dict from path element to child
node, where a child ``{}`` is a member with nothing below it, a child holding
``"."`` is a member with children, and any other child only has members
below it. Path elements are ``f:name`` (fields), ``k:{"name":"c"}`` (items
of a list keyed by fields), ``v:"x"`` (items of a set list). So decoding
stored managedFields costs nothing and encoding is at most a sort. Nodes are
never mutated once built: every operation returns new dicts, sharing
untouched subtrees, and returns its input itself when nothing changed, so
callers can tell cheaply that there is nothing to re-encode.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import orjson

Node = dict[str, Any]


def json_text(v: Any) -> str:
    """JSON as Go's encoding/json writes it (compact, HTML-escaped)."""
    try:
        s = orjson.dumps(v).decode()
    except TypeError:  # beyond 64-bit integers
        s = json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    if "<" in s or ">" in s or "&" in s or "\u2028" in s or "\u2029" in s:
        s = (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
             .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return s


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
                return "k:" + json_text({k: d[k] for k in sorted(d)})
        elif kind == "v:":
            return "v:" + json_text(json.loads(pe[2:]))
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
        out = {".": {}, **out}  # "." sorts first in FieldsV1
    elif not member and "." in out:
        if out is orig:
            out = dict(out)
        del out["."]
    return out


def union(a: Node, b: Node) -> Node:
    """Union of two root sets (returns ``a`` itself when ``b`` adds nothing).

    When both are in FieldsV1 order so is the result (``encode`` would return it
    unchanged): only the levels that gain keys are re-sorted, not the whole tree."""
    if not b or a is b:
        return a
    if not a:
        return b
    return _union_children(a, b)


def _union_children(a: Node, b: Node) -> Node:
    out = a
    grew = False
    for k, bv in b.items():
        if k == ".":
            continue
        av = a.get(k)
        if av is None:
            r, grew = bv, True
        else:
            r = _union_node(av, bv)
        if r is not av:
            if out is a:
                out = dict(a)
            out[k] = r
    return in_order(out) if grew else out


def in_order(n: Node) -> Node:
    """One level of a node in FieldsV1 key order (its children as they are): ``n``
    itself when it already is."""
    if len(n) < 2:
        return n
    keys = list(n)
    ordered = sorted(keys)  # "." < "f:..." as strings; fields sort by name
    if ordered[-1][0] != "f":  # list items: values order numbers first
        ordered.sort(key=pe_sort_key)
    return n if ordered == keys else {k: n[k] for k in ordered}


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


def is_subset(a: Node, b: Node) -> bool:
    """Whether every path of root set ``a`` is one of ``b``'s: ``not difference(a, b)``,
    without building the difference."""
    for k, av in a.items():
        bv = b.get(k)
        if bv is None or not _sub_node(av, bv):
            return False
    return True


def _sub_node(a: Node, b: Node) -> bool:
    """``_diff_node(a, b) is None``: a member only where ``b`` is one, every child
    within ``b``'s."""
    if a is b:
        return True
    if is_member(a) and not is_member(b):
        return False
    for k, av in a.items():
        if k != ".":
            bv = b.get(k)
            if bv is None or not _sub_node(av, bv):
                return False
    return True


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
