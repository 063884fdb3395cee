"""Schemas of the built-in kinds: lookups, strategic-merge metadata, field checks.

Role: the one reader of the generated ``schemas/`` data (written by
``tools/gen_schemas.py`` from the Kubernetes v1.33 OpenAPI definitions). It
answers three kinds of questions:

* what is the schema of a kind (``definition_name``, ``definition``), which
  ``api.openapi`` renders as OpenAPI v3 for ``kubectl explain`` and validation;
* how does strategic merge patch treat each field (``patch_meta``), for the
  patch code in ``registry/``;
* what in a request body does not fit the schema: unknown fields
  (``unknown_fields``, ``drop_unknown_fields``), duplicated JSON keys
  (``duplicate_fields``) and obviously mistyped values (``validate_shape``),
  for ``fieldValidation=Strict|Warn|Ignore`` in the registry's decode step.

Nothing is read at import time: the server must start in tens of milliseconds,
so the data is loaded on first use (a few ms) and each kind is compiled into a
small tree once, then reused on the hot path (every create/update/patch).
The data lives in ``<repo>/schemas`` in a source checkout and in
``minik8s/_schemas`` in an installed wheel (see ``pyproject.toml``).
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
from typing import Any

import orjson

from minik8s.memo import remember

#: One node of the strategic-merge-patch metadata tree (see ``patch_meta``).
PatchMeta = dict[str, Any]

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent.parent
#: Where the generated files are looked for, first match wins: the copy a wheel
#: installs inside the package, then the checked-in directory of a source tree.
SCHEMA_DIRS: tuple[pathlib.Path, ...] = (
    _PACKAGE_DIR / "_schemas",
    _PACKAGE_DIR.parent / "schemas",
)

_REF = "#/$defs/"
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
#: Go structs without fields: ``{}`` in the schema, yet strict about keys
#: (the other field-less object types are opaque: RawExtension, FieldsV1, Patch).
_EMPTY_STRUCTS = frozenset({
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus",
})
#: The real decoder stops collecting strict errors at 100.
_MAX_ERRORS = 100
_UNSET: Any = object()


# --------------------------------------------------------------------------- loading


def schema_dir() -> pathlib.Path:
    """The directory the schemas are read from."""
    for d in SCHEMA_DIRS:
        if (d / "index.json").is_file():
            return d
    raise FileNotFoundError(
        "minik8s schemas not found in " + ", ".join(str(d) for d in SCHEMA_DIRS)
        + " (run tools/gen_schemas.py)")


@functools.cache
def _index() -> dict[str, str]:
    data: dict[str, str] = orjson.loads((schema_dir() / "index.json").read_bytes())
    return data


@functools.cache
def _definitions() -> dict[str, dict[str, Any]]:
    data = orjson.loads((schema_dir() / "definitions.json").read_bytes())
    defs: dict[str, dict[str, Any]] = data["$defs"]
    return defs


def definition_name(group: str, version: str, kind: str) -> str | None:
    """The definition that describes ``group/version, Kind`` (core group ``""``),
    or None for kinds without a built-in schema (custom resources)."""
    return _index().get(f"{group}/{version}/{kind}")


def definition(name: str) -> dict[str, Any]:
    """The JSON schema of one definition, refs as ``#/$defs/<name>``.

    Shared with every other caller: do not mutate it. Raises KeyError.
    """
    return _definitions()[name]


def definition_names() -> list[str]:
    """Every definition shipped, sorted."""
    return sorted(_definitions())


def kinds() -> dict[str, str]:
    """The whole ``group/version/Kind`` → definition name index (a copy)."""
    return dict(_index())


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_REF):
        return ref[len(_REF):]
    return None


def _type(schema: dict[str, Any]) -> str | None:
    """The JSON type with the JSON-schema ``null`` alternative dropped."""
    t = schema.get("type")
    if isinstance(t, list):
        rest = [x for x in t if x != "null"]
        return rest[0] if len(rest) == 1 else None
    return t if isinstance(t, str) else None


# --------------------------------------------------------------------------- patch meta

_EXTENSIONS = (
    ("x-kubernetes-patch-strategy", "s"),
    ("x-kubernetes-patch-merge-key", "k"),
    ("x-kubernetes-list-type", "t"),
    ("x-kubernetes-list-map-keys", "mk"),
)


@functools.cache
def _meta_memo() -> dict[str, PatchMeta]:
    return {}


def _def_meta(name: str) -> PatchMeta:
    memo = _meta_memo()
    meta = memo.get(name)
    if meta is not None:
        return meta
    schema = _definitions()[name]
    meta = {}
    memo[name] = meta  # before recursing: definitions may be recursive
    if "properties" in schema:
        meta["f"] = {}  # created first so copies made mid-recursion share it
    _fill_meta(meta, schema)
    return meta


def _schema_meta(schema: dict[str, Any]) -> PatchMeta:
    name = _ref_name(schema)
    ext = {short: schema[key] for key, short in _EXTENSIONS if key in schema}
    if name is not None:
        target = _def_meta(name)
        return {**target, **ext} if ext else target
    meta: PatchMeta = {"f": {}} if "properties" in schema else {}
    _fill_meta(meta, schema)
    return meta


def _fill_meta(meta: PatchMeta, schema: dict[str, Any]) -> None:
    for key, short in _EXTENSIONS:
        if key in schema:
            meta[short] = schema[key]
    props = schema.get("properties")
    if props:
        fields = meta["f"]
        for field, sub in props.items():
            fields[field] = _schema_meta(sub)
    items = schema.get("items")
    if isinstance(items, dict):
        item = _schema_meta(items)
        if item:
            meta["i"] = item
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        meta["m"] = True
        value = _schema_meta(extra)
        if value:
            meta["i"] = value


@functools.cache
def patch_meta(group: str, version: str, kind: str) -> PatchMeta | None:
    """The strategic-merge-patch metadata tree of a kind, or None if the kind
    has no built-in schema (the real server answers 415 to SMP on those).

    Each node is a plain dict with only the keys that apply::

        "f": {field: node}   struct properties
        "i": node            array items, or map values (omitted when plain)
        "s": "merge" | "retainKeys" | "merge,retainKeys" | "replace"
        "k": "name"          patch merge key
        "t": "atomic" | "set" | "map"   list type
        "mk": ["name"]       list map keys
        "m": True            a map (additionalProperties), not a struct

    Built once per definition and shared: recursive definitions (JSONSchemaProps)
    form cycles, so never deep-copy or mutate a node.
    """
    name = definition_name(group, version, kind)
    return _def_meta(name) if name is not None else None


# --------------------------------------------------------------------------- shape tree


class _Node:
    """A compiled schema node for the field checks.

    ``kind`` is the JSON type expected (``string``, ``integer``, ``number``,
    ``boolean``, ``object``, ``array``), ``int-or-string``, ``quantity``, or
    None for anything. ``fields`` is set for structs; ``item`` for arrays
    (items) and maps (values). ``walk`` says whether checking unknown fields
    needs to descend into values of this node at all.
    """

    __slots__ = ("deep", "fields", "go", "hi", "item", "kind", "lo", "required", "struct",
                 "types", "walk")

    def __init__(self, kind: str | None = None) -> None:
        self.kind = kind
        self.fields: dict[str, _Node] | None = None
        self.item: _Node | None = None
        self.walk = False
        #: the Go type decoding fills (``[]v1.Container``, ``int32``), for error messages
        self.go = "interface {}"
        #: the Go struct's name for definitions with fields (``PodSpec``)
        self.struct = ""
        #: decoding's hot path (``_seal``): exact Python types that fit, the integer range,
        #: whether values have children to check
        self.types: frozenset[type] | None = None
        self.lo = self.hi = 0
        self.deep = False
        #: fields without ``omitempty`` (the schema's ``required``): Go encodes their zero value
        self.required: frozenset[str] = frozenset()


_ANY = _Node()


@functools.cache
def _node_memo() -> dict[str, _Node]:
    return {}


def _def_node(name: str) -> _Node:
    memo = _node_memo()
    node = memo.get(name)
    if node is not None:
        return node
    schema = _definitions()[name]
    if name == _INT_OR_STRING:
        node = _Node("int-or-string")
    elif name == _QUANTITY:
        node = _Node("quantity")
    elif name in _EMPTY_STRUCTS:
        node = _Node("object")
        node.fields, node.walk = {}, True
    else:
        node = _Node()
        memo[name] = node  # before recursing: definitions may be recursive
        _fill_node(node, schema)
    package, _, short = name.rpartition(".")
    node.go = f"{package.rpartition('.')[2]}.{short}"  # io.k8s.api.core.v1.Pod → v1.Pod
    node.struct = short if node.fields is not None else ""
    _seal(node)
    memo[name] = node
    return node


def _schema_node(schema: dict[str, Any]) -> _Node:
    name = _ref_name(schema)
    if name is not None:
        return _def_node(name)
    node = _Node()
    _fill_node(node, schema)
    _seal(node)
    return node


def _seal(node: _Node) -> None:
    node.types = _PY_TYPES.get(node.kind or "")
    if node.kind == "integer":
        node.lo, node.hi = _INT_RANGES.get(node.go, _INT_RANGES["int64"])
    node.deep = node.fields is not None or node.item is not None


_GO_SCALARS = {"string": "string", "boolean": "bool", "integer": "int64", "number": "float64"}


def _fill_node(node: _Node, schema: dict[str, Any]) -> None:
    if schema.get("x-kubernetes-int-or-string"):
        node.kind = "int-or-string"
        node.go = "intstr.IntOrString"
        return
    node.kind = _type(schema)
    fmt = schema.get("format")
    if node.kind == "integer" and fmt in ("int32", "int64"):
        node.go = fmt
    elif node.kind in _GO_SCALARS:
        node.go = _GO_SCALARS[node.kind]
    elif node.kind == "object":
        node.go = "map[string]interface {}"
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return  # accepts anything below
    props = schema.get("properties")
    if props is not None:
        node.kind = "object"
        node.walk = True
        node.fields = {}
        node.required = frozenset(schema.get("required") or ())
        for field, sub in props.items():
            node.fields[field] = _schema_node(sub)
        return
    sub = schema.get("items") if node.kind == "array" else schema.get("additionalProperties")
    if isinstance(sub, dict):
        node.item = _schema_node(sub)
        node.walk = node.item.walk
        node.go = ("[]" if node.kind == "array" else "map[string]") + node.item.go


@functools.cache
def _kind_node(group: str, version: str, kind: str) -> _Node | None:
    name = definition_name(group, version, kind)
    return _def_node(name) if name is not None else None


# --------------------------------------------------------------------------- unknown fields


def _unknown(node: _Node, value: Any, path: str, out: list[str], drop: bool) -> None:
    fields = node.fields
    if fields is not None:
        if not isinstance(value, dict):
            return
        prefix = path + "." if path else ""
        unknown: list[str] | None = None
        for key, sub in value.items():
            child = fields.get(key)
            if child is None:
                if drop:
                    unknown = [key] if unknown is None else [*unknown, key]
                elif len(out) < _MAX_ERRORS:
                    out.append(prefix + key)
            elif child.walk and sub is not None:
                _unknown(child, sub, prefix + key, out, drop)
        if unknown is not None:
            for key in unknown:
                del value[key]
        return
    item = node.item
    if item is None:
        return
    if isinstance(value, list):
        if node.kind == "array":
            for i, sub in enumerate(value):
                if sub is not None:
                    _unknown(item, sub, f"{path}[{i}]", out, drop)
    elif isinstance(value, dict) and node.kind == "object":
        for key, sub in value.items():
            if sub is not None:
                _unknown(item, sub, f"{path}.{key}", out, drop)


# --------------------------------------------------------------------------- memo

#: top-level subtrees (``spec``, ``status``...) known to pass a check, by (id of the
#: schema node, JSON of the value): bit ``_DECODES`` passes ``decode_error`` untouched,
#: bit ``_KNOWN`` has no unknown fields. Objects of one shape (a ReplicaSet's pods)
#: repeat their spec byte for byte, so each shape is walked once. Bounded, oldest out.
_CLEAN: dict[tuple[int, bytes], int] = {}
CLEAN_MEMO_SIZE = 1024
_DECODES, _KNOWN = 1, 2


def _subtree_json(node: _Node, key: str, value: Any) -> tuple[int, bytes] | None:
    """(id of the schema node, JSON) of a top-level subtree worth remembering, or None
    when it is not (not a struct; ``metadata``, which differs per object) or cannot
    be encoded (ints beyond 64 bits, non-str keys)."""
    if type(value) is not dict or key == "metadata" or not value:
        return None
    child = node.fields.get(key) if node.fields is not None else None
    if child is None or not child.deep:
        return None
    try:
        return id(child), orjson.dumps(value)
    except TypeError:
        return None


def _remember(key: tuple[int, bytes], bit: int) -> None:
    remember(_CLEAN, key, _CLEAN.get(key, 0) | bit, CLEAN_MEMO_SIZE)


# --------------------------------------------------------------------------- unknown fields (API)


def unknown_fields(obj: dict[str, Any], group: str, version: str, kind: str) -> list[str]:
    """Paths of the fields of ``obj`` its kind's schema does not know, in the
    real server's strict-decoding form (``spec.template.spec.containers[0].foo``,
    ``metadata.foo``, top-level ``bogusTopLevel``; map entries as ``.key``),
    in document order, at most 100. Empty for kinds without a built-in schema.

    Maps (labels, annotations, data) and opaque values (RawExtension,
    FieldsV1) accept any key; a value of the wrong type is not descended into
    (``validate_shape`` reports it).
    """
    node = _kind_node(group, version, kind)
    return [] if node is None else _unknown_top(node, obj, {})


#: one object's top-level subtrees as ``_subtree_json`` encodes them, once per write
_Keys = dict[str, "tuple[int, bytes] | None"]


def _top_json(node: _Node, key: str, value: Any, keys: _Keys) -> tuple[int, bytes] | None:
    sj = keys.get(key, _UNSET)
    if sj is _UNSET:
        sj = keys[key] = _subtree_json(node, key, value)
    return sj  # type: ignore[no-any-return]


def _top_key(node: _Node, key: str, value: Any, keys: _Keys) -> tuple[int, bytes] | None:
    """The memo key of a top-level subtree: none with a ``null`` inside, which JSON cannot
    tell from NaN and ``decode_error`` may rewrite."""
    sj = _top_json(node, key, value, keys)
    return sj if sj is not None and b"null" not in sj[1] else None


def _unknown_top(node: _Node, obj: Any, keys: _Keys, skip: frozenset[str] = frozenset(),
                 remember: bool = True) -> list[str]:
    out: list[str] = []
    if node.fields is None or not isinstance(obj, dict):
        _unknown(node, obj, "", out, False)
        return out
    for key, value in obj.items():  # key by key, in document order, as one walk would
        if key in skip:
            continue
        mk = _top_key(node, key, value, keys)
        if mk is not None and _CLEAN.get(mk, 0) & _KNOWN:
            continue
        n = len(out)
        _unknown(node, {key: value}, "", out, False)
        if remember and mk is not None and len(out) == n:
            _remember(mk, _KNOWN)
    return out


def drop_unknown_fields(obj: dict[str, Any], group: str, version: str, kind: str) -> None:
    """Remove in place what ``unknown_fields`` would report, as the real server
    does silently for ``fieldValidation=Ignore`` (and after warning for Warn)."""
    node = _kind_node(group, version, kind)
    if node is not None:
        _unknown(node, obj, "", [], True)


# --------------------------------------------------------------------------- duplicates

def _key_count(text: bytes) -> int:
    """Keys in compact-ish JSON text: ``":`` not preceded by a backslash.

    Off for keys ending in an escaped backslash or spaced before the colon,
    but off the same way for the input and its canonical re-encoding."""
    return text.count(b'":') - text.count(b'\\":')


_SPACED_COLON = re.compile(rb'"\s+:')


class _Pairs(dict):  # type: ignore[type-arg]
    """A decoded JSON object that remembers which of its keys came twice."""

    __slots__ = ("dups",)
    dups: list[str] | None


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = _Pairs()
    dups: list[str] | None = None
    for k, v in pairs:
        if k in d:
            if dups is None:
                dups = []
            dups.append(k)
        d[k] = v
    d.dups = dups
    return d


def _dup_paths(value: Any, path: str, out: list[str]) -> None:
    if isinstance(value, dict):
        prefix = path + "." if path else ""
        dups = getattr(value, "dups", None)
        if dups:
            seen: set[str] = set()
            for k in dups:
                if k not in seen and len(out) < _MAX_ERRORS:
                    seen.add(k)
                    out.append(prefix + k)
        for k, v in value.items():
            if isinstance(v, (dict, list)):
                _dup_paths(v, prefix + k, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, (dict, list)):
                _dup_paths(v, f"{path}[{i}]", out)


def duplicate_fields(raw: bytes, decoded: Any = _UNSET) -> list[str]:
    """Paths of JSON keys that occur twice in the same object of ``raw``
    (``metadata.name``, ``spec.containers[0].image``), as the real server's
    strict decoder reports them (``duplicate field "metadata.name"``), in
    document order, at most 100.

    Cheap when there are none (a few µs): the keys in ``raw`` are counted and
    compared with those of its canonical re-encoding, which has no duplicates;
    only a mismatch pays for a key-by-key parse. Pass ``decoded`` (the body
    already parsed) to save a parse. Invalid JSON yields ``[]``.
    """
    if decoded is _UNSET:
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return []
    if not isinstance(decoded, (dict, list)):
        return []
    if (_key_count(raw) == _key_count(orjson.dumps(decoded))
            and not _SPACED_COLON.search(raw)):
        return []
    try:
        slow = json.loads(raw, object_pairs_hook=_pairs_hook)
    except ValueError:
        return []
    out: list[str] = []
    _dup_paths(slow, "", out)
    return out


# --------------------------------------------------------------------------- shapes


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "int-or-string":
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    if kind == "quantity":
        return isinstance(value, (int, float, str)) and not isinstance(value, bool)
    return True


def _shape(node: _Node, value: Any, path: str, out: list[tuple[str, str, object]]) -> None:
    if value is None:
        return  # null decodes to the zero value everywhere
    kind = node.kind
    if kind is not None and not _type_ok(kind, value):
        out.append((path, kind, value))
        return
    fields = node.fields
    if fields is not None:
        prefix = path + "." if path else ""
        for key, sub in value.items():
            child = fields.get(key)
            if child is not None:
                _shape(child, sub, prefix + key, out)
        return
    item = node.item
    if item is None:
        return
    if kind == "array":
        for i, sub in enumerate(value):
            _shape(item, sub, f"{path}[{i}]", out)
    elif kind == "object":
        for key, sub in value.items():
            _shape(item, sub, f"{path}.{key}", out)


def validate_shape(obj: dict[str, Any], group: str, version: str,
                   kind: str) -> list[tuple[str, str, object]]:
    """Values whose JSON type does not fit the schema, as ``(path, expected,
    value)``: a string where an integer belongs, an object where an array
    belongs... ``expected`` is a JSON type name, or ``int-or-string`` /
    ``quantity``. These are the bodies the real server rejects with
    ``cannot unmarshal ... into Go struct field``. ``null`` is always
    accepted; integral floats are not integers (as in Go). Unknown fields are
    skipped (``unknown_fields`` reports them).
    """
    node = _kind_node(group, version, kind)
    if node is None:
        return []
    out: list[tuple[str, str, object]] = []
    _shape(node, obj, "", out)
    return out


# --------------------------------------------------------------------------- decoding


_INT_RANGES = {"int32": (-(2 ** 31), 2 ** 31 - 1), "int64": (-(2 ** 63), 2 ** 63 - 1)}
#: the Python types of decoded JSON each kind accepts, as exact types (bool is not an int)
_PY_TYPES: dict[str, frozenset[type]] = {
    "string": frozenset({str}), "integer": frozenset({int}), "number": frozenset({int, float}),
    "boolean": frozenset({bool}), "object": frozenset({dict}), "array": frozenset({list}),
    "int-or-string": frozenset({int, str}), "quantity": frozenset({int, float, str}),
}
#: Go types whose zero value encodes as ``null`` (a null stays)
_NULL_ZEROS = frozenset({"v1.Time", "v1.MicroTime", "runtime.RawExtension", "interface {}"})


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _go_mismatch(node: _Node, value: Any) -> str | None:
    """What Go's decoder calls ``value`` when it cannot go into ``node``, or None."""
    kind = node.kind
    if kind is None or value is None:
        return None
    if not _type_ok(kind, value):
        if kind in ("integer", "int-or-string") and isinstance(value, float):
            return f"number {value!r}"
        return _json_type(value)
    if kind == "integer":
        lo, hi = _INT_RANGES.get(node.go, _INT_RANGES["int64"])
        if not lo <= value <= hi:
            return f"number {value}"
    return None


def _zero(node: _Node) -> Any:
    """The JSON of the zero value Go decodes ``null`` into (for a list item, a map value,
    a field without ``omitempty``); None where that encodes as ``null`` (slices, maps)."""
    if node.go in _NULL_ZEROS:
        return None
    if node.fields is not None:
        return {}
    return {"string": "", "integer": 0, "number": 0, "boolean": False, "int-or-string": 0,
            "quantity": "0"}.get(node.kind or "")


class _Mismatch(Exception):
    """The first value Go would not decode; ``keys`` grow as it unwinds to the root."""

    def __init__(self, node: _Node, value: Any, struct: str, key: str) -> None:
        self.node, self.value, self.struct, self.keys = node, value, struct, [key]


def _fits(node: _Node, value: Any) -> bool:
    """Exact types first (the hot path: decoded JSON has no subclasses), then the rules."""
    types = node.types
    if types is None:
        return True
    if type(value) in types:
        return node.hi == 0 or bool(node.lo <= value <= node.hi)
    return _go_mismatch(node, value) is None


def _walk(node: _Node, value: Any, struct: str) -> None:
    """Check the children of a value that fits ``node``; ``null`` becomes what Go makes
    of it (see ``decode_error``). Raises ``_Mismatch``."""
    fields = node.fields
    if fields is not None:
        if type(value) is not dict:
            return
        inner = node.struct or struct
        nulls: list[str] | None = None
        for key, sub in value.items():
            child = fields.get(key)
            if child is None:
                continue
            if sub is None:
                if key in node.required:  # no omitempty: Go encodes the zero value
                    zero = _zero(child)
                    if zero is not None:
                        value[key] = zero
                elif child.go not in _NULL_ZEROS and (child.fields is not None or
                                                      child.kind not in ("array", "object")):
                    # a nil pointer: omitted. (A nil slice or map stays null: without
                    # omitempty Go prints it so, and the schema does not say which.)
                    nulls = [key] if nulls is None else [*nulls, key]
                continue
            types = child.types
            if types is not None and (type(sub) not in types or child.hi and not
                                      child.lo <= sub <= child.hi) and not _fits(child, sub):
                raise _Mismatch(child, sub, inner, key)
            if child.deep:
                try:
                    _walk(child, sub, inner)
                except _Mismatch as e:
                    e.keys.append(key)
                    raise
        for key in nulls or ():
            del value[key]  # a nil pointer (or a zero struct): nothing to encode
        return
    item = node.item
    if item is None:
        return
    deep = item.deep
    # Go's field path names struct fields only: no list indexes, no map keys
    if node.kind == "array" and type(value) is list:
        for i, sub in enumerate(value):
            if sub is None:
                value[i] = _zero(item)
            elif not _fits(item, sub):
                raise _Mismatch(item, sub, struct, "")
            elif deep:
                _walk(item, sub, struct)
    elif node.kind == "object" and type(value) is dict:
        for key, sub in value.items():
            if sub is None:
                value[key] = _zero(item)
            elif not _fits(item, sub):
                raise _Mismatch(item, sub, struct, "")
            elif deep:
                _walk(item, sub, struct)


def decode_error(obj: dict[str, Any], group: str, version: str, kind: str) -> str | None:
    """The error the real server's JSON decoder gives for the first value of
    ``obj`` whose type does not fit its Go field, worded as Go words it
    (``json: cannot unmarshal string into Go struct field PodSpec.spec.containers
    of type []v1.Container``), or None. None for kinds without a built-in schema
    (custom resources are checked by their schema).

    ``null`` fits everything and is turned, in place, into what a decode and
    re-encode in Go leaves of it: an optional struct or scalar field goes (a nil
    pointer); a required one (no ``omitempty``), a list item or a map value
    becomes its zero value (``{}``, ``""``, ``0``, ``false``); slices, maps and
    ``Time`` values, whose zero value encodes as ``null``, stay ``null``."""
    node = _kind_node(group, version, kind)
    return None if node is None else _decode_top(node, obj, {})


def _decode_top(node: _Node, obj: Any, keys: _Keys, skip: frozenset[str] = frozenset(),
                remember: bool = True) -> str | None:
    try:
        if node.fields is None or type(obj) is not dict:
            _walk(node, obj, node.struct)
        else:
            for key, value in list(obj.items()):  # key by key, in document order
                if key in skip:
                    continue
                mk = _top_key(node, key, value, keys)
                if mk is not None and _CLEAN.get(mk, 0) & _DECODES:
                    continue
                one = {key: value}
                _walk(node, one, node.struct)
                if mk is not None:  # no null inside: the walk changed nothing
                    if remember:
                        _remember(mk, _DECODES)
                    continue
                keys.pop(key, None)  # the value may change here: no key for it
                if key not in one:
                    del obj[key]
                elif one[key] is not value:
                    obj[key] = one[key]
    except _Mismatch as e:
        path = ".".join(k for k in reversed(e.keys) if k)
        where = f"Go struct field {e.struct}.{path}" if e.struct else "Go value"
        return (f"json: cannot unmarshal {_go_mismatch(e.node, e.value)} into {where} of type "
                f"{e.node.go}")
    return None


def unchanged_keys(obj: Any, stored: dict[str, Any] | None, group: str, version: str,
                   kind: str, keys: _Keys | None = None) -> frozenset[str]:
    """Top-level keys of ``obj`` whose value is the same as ``stored``'s: the same JSON
    and equal values, so the same types too (``1`` and ``true`` are equal
    values, NaN and ``null`` the same JSON). ``stored``: an object of this kind and
    version as the write path stored it (an update's old one), so such a subtree
    passed ``field_problems`` when it was written and is a fixed point of it: walking
    it again would find nothing and change nothing. ``==`` comes first: it is cheap
    and settles the usual unequal case without encoding anything."""
    node = _kind_node(group, version, kind)
    if stored is None or node is None or node.fields is None or type(obj) is not dict:
        return frozenset()
    same = []
    for key, value in obj.items():
        twin = stored.get(key, _UNSET)
        tv = type(value)
        if tv is not type(twin):
            continue
        if value is not twin:
            if value != twin:
                continue
            if tv is not dict and tv is not list:  # a scalar of the same type: the same
                same.append(key)
                continue
            sj = _top_json(node, key, value, keys) if keys is not None else None
            try:
                if orjson.dumps(twin) != (orjson.dumps(value) if sj is None else sj[1]):
                    continue
            except TypeError:
                continue
        same.append(key)
    return frozenset(same)


def field_problems(obj: dict[str, Any], group: str, version: str, kind: str,
                   stored: dict[str, Any] | None = None,
                   same: frozenset[str] | None = None) -> tuple[str | None, list[str]]:
    """``decode_error`` and then, if there is none, ``unknown_fields`` of the result: what
    the write path asks of every body, with each subtree encoded once for the memo.

    ``stored``: an object of this kind and version as the write path stored it (an
    update's old one); the top-level subtrees ``unchanged_keys`` finds there (the
    ``spec`` and ``metadata`` of a status update; ``same`` if the caller has them
    already) pass both checks unwalked. Updates are not remembered in the memo: their
    subtrees are mostly one object's own (a pod's volume names) and would only
    push out the shapes creates share."""
    node = _kind_node(group, version, kind)
    if node is None:
        return None, []
    keys: _Keys = {}
    if same is None:
        same = unchanged_keys(obj, stored, group, version, kind, keys)
    remember = stored is None
    err = _decode_top(node, obj, keys, same, remember)
    if err is not None:
        return err, []
    return None, _unknown_top(node, obj, keys, same, remember)


def leaves_fit(obj: dict[str, Any], paths: list[tuple[str | int, ...]], group: str,
               version: str, kind: str) -> bool:
    """Whether ``field_problems`` finds nothing in ``obj``, an update's body that differs
    from the stored object (of this kind and version) only in the scalar leaves at
    ``paths`` (``objects.leaf_changes``): each path must name a field the schema knows
    (a list index: an item of an array) and its value fit it. The rest repeats the
    stored object key for key and value for value, and a stored object is a fixed point
    of both checks (see ``unchanged_keys``), so only these leaves could fail or be
    rewritten (a changed leaf is never ``null``). False also when the schema cannot say
    (no schema, a path it does not know, an index where it expects no array): the
    caller then runs the checks."""
    root = _kind_node(group, version, kind)
    if root is None:
        return False
    for path in paths:
        node: _Node | None = root
        value: Any = obj
        for key in path:
            value = value[key]
            if node is None:
                continue  # below a value the schema leaves open: anything fits
            if node.fields is not None:
                node = node.fields.get(key)  # type: ignore[arg-type]  # an index: None
                if node is None:
                    return False
            elif node.item is None:
                node = None  # neither check looks below such a node
            elif node.kind == ("array" if type(key) is int else "object"):
                node = node.item  # both checks walk an array's items, a map's values
            else:
                return False
        if node is not None and not _fits(node, value):
            return False
    return True
