"""Field selectors: parse, convert field labels per kind, print and match.

Semantics, canonical strings and error texts follow Kubernetes 1.33:
``fields.ParseSelector``, and kube-apiserver's per-kind field label conversion
funcs and ``ToSelectableFields`` (the tables of which labels each kind accepts
and how their values are read from a plain-dict object).

Like label selectors, each selector compiles to one generated matcher; common
``spec.x``/``status.x`` fields are inlined into it rather than called.

Neighbours: ``api.selectors`` re-exports the public names (import that);
``api.labelselector`` supplies the operators, ``go_quote`` and ``ParseError``;
``api.resources`` says which field labels a resource accepts; ``api.errors``
supplies ``BadRequest``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from minik8s.api import errors, resources
from minik8s.api import labelselector as ls

Getter = Callable[[Mapping[str, Any]], str]

_EMPTY: dict[str, str] = {}


def escape_field_value(value: str) -> str:
    """fields.EscapeValue."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape_field_value(raw: str) -> str:
    if "\\" not in raw and "," not in raw and "=" not in raw:
        return raw
    out, slash = [], False
    for ch in raw:
        if slash:
            if ch not in "\\,=":
                raise ls.ParseError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            slash = False
        elif ch == "\\":
            slash = True
        elif ch in ",=":  # Go prints the rune with %v: its code point
            raise ls.ParseError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if slash:
        raise ls.ParseError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    terms, start, slash = [], 0, False
    for i, ch in enumerate(text):
        if slash:
            slash = False
        elif ch == "\\":
            slash = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
    return None


# Kinds whose API version registers its own field label conversion func (pkg/apis/*/v1/
# conversion.go); every other resource, CRDs included, falls back to
# runtime.DefaultMetaV1FieldSelectorConversion and its different error text.
_REGARDING = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
_ALIASES: dict[str, dict[str, str]] = {
    "pods": {"spec.host": "spec.nodeName"},  # pre-1.0 clients
    "events.events.k8s.io": {
        **{f"regarding.{f}": f"involvedObject.{f}" for f in _REGARDING},
        "reportingController": "reportingComponent",
        "source": "source",  # no such field any more; still accepted
    },
}
_REGISTERED = frozenset({"pods", "nodes", "namespaces", "events", "secrets", "services",
                         "replicationcontrollers", "events.events.k8s.io", "jobs.batch"})
_NO_NAMESPACE_LABEL = frozenset({"nodes", "namespaces"})  # their funcs only take metadata.name


def _unsupported(key: str, label: str) -> str:
    if key == "jobs.batch":
        return f"field label {ls.go_quote(label)} not supported for batchv1.Job"
    if key in _REGISTERED:
        return f"field label not supported: {label}"
    return (f'{ls.go_quote(label)} is not a known field selector: '
            'only "metadata.name", "metadata.namespace"')


def _convert_label(key: str, field_labels: tuple[str, ...], label: str) -> str:
    """Scheme.ConvertFieldLabel for the resource ``key``: the canonical label."""
    aliases = _ALIASES.get(key, _EMPTY)
    if label in aliases:
        return aliases[label]
    if label == "metadata.name" or label in field_labels:
        return label
    if label == "metadata.namespace" and key not in _NO_NAMESPACE_LABEL:
        return label
    raise ls.ParseError(_unsupported(key, label))


def _scalar(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return ""


def _path_getter(path: str) -> Getter:
    parts = path.split(".")

    def get(obj: Mapping[str, Any]) -> str:
        cur: Any = obj
        for p in parts:
            if not isinstance(cur, Mapping):
                return ""
            cur = cur.get(p)
        return _scalar(cur)
    return get


def _sub(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    v = obj.get(key)
    return v if isinstance(v, Mapping) else _EMPTY


def _pod_ip(o: Mapping[str, Any]) -> str:
    st = _sub(o, "status")
    if ip := st.get("podIP"):
        return str(ip)
    ips = st.get("podIPs") or []
    return str(ips[0].get("ip") or "") if ips and isinstance(ips[0], Mapping) else ""


def _event_ref(o: Mapping[str, Any]) -> Mapping[str, Any]:
    # core/v1 carries involvedObject; events.k8s.io/v1 the same reference as regarding
    return _sub(o, "involvedObject") if "involvedObject" in o else _sub(o, "regarding")


def _event_ref_field(field: str) -> Getter:
    return lambda o: str(_event_ref(o).get(field) or "")


def _event_reporter(o: Mapping[str, Any]) -> str:
    return str(o.get("reportingComponent") or o.get("reportingController") or "")


def _event_source(o: Mapping[str, Any]) -> str:
    src = _sub(o, "source") if "source" in o else _sub(o, "deprecatedSource")
    return str(src.get("component") or "") or _event_reporter(o)


class _Nested:
    """A string two levels down (``spec.nodeName``), ``default`` when unset.

    Field selectors inline it into their generated matcher instead of calling it.
    """

    __slots__ = ("default", "inner", "outer")

    def __init__(self, outer: str, inner: str, default: str = "") -> None:
        self.outer, self.inner, self.default = outer, inner, default

    def __call__(self, o: Mapping[str, Any]) -> str:
        return str(_sub(o, self.outer).get(self.inner) or self.default)


def _spec(key: str, default: str = "") -> _Nested:
    return _Nested("spec", key, default)


def _status(key: str, default: str = "") -> _Nested:
    return _Nested("status", key, default)


def _count(key: str) -> Getter:
    return lambda o: str(int(_sub(o, "status").get(key) or 0))


def _flag(key: str) -> Getter:
    return lambda o: "true" if _sub(o, "spec").get(key) else "false"


# ToSelectableFields per (group, kind), keyed by canonical label. Missing values read as
# the server's defaults, since a real stored object always carries them.
_EVENT_FIELDS: dict[str, Getter] = {
    **{f"involvedObject.{f}": _event_ref_field(f) for f in _REGARDING},
    "reason": lambda o: str(o.get("reason") or ""),
    "type": lambda o: str(o.get("type") or ""),
    "reportingComponent": _event_reporter,
    "source": _event_source,
}
_KIND_FIELDS: dict[tuple[str, str], dict[str, Getter]] = {
    ("", "Pod"): {
        "spec.nodeName": _spec("nodeName"),
        "spec.restartPolicy": _spec("restartPolicy", "Always"),
        "spec.schedulerName": _spec("schedulerName", "default-scheduler"),
        # the ServiceAccount admission plugin fills "default"; serviceAccount is the old name
        "spec.serviceAccountName": lambda o: str(_sub(o, "spec").get("serviceAccountName")
                                                 or _sub(o, "spec").get("serviceAccount")
                                                 or "default"),
        "spec.hostNetwork": _flag("hostNetwork"),
        "status.phase": _status("phase", "Pending"),
        "status.podIP": _pod_ip,
        "status.podIPs": lambda o: "",  # accepted by the conversion func, never selectable
        "status.nominatedNodeName": _status("nominatedNodeName"),
    },
    ("", "Node"): {"spec.unschedulable": _flag("unschedulable")},
    ("", "Namespace"): {"status.phase": _status("phase", "Active")},
    ("", "Secret"): {"type": lambda o: str(o.get("type") or "Opaque")},
    ("", "Service"): {"spec.clusterIP": _spec("clusterIP"), "spec.type": _spec("type", "ClusterIP")},
    ("", "ReplicationController"): {"status.replicas": _count("replicas")},
    ("apps", "ReplicaSet"): {"status.replicas": _count("replicas")},
    ("batch", "Job"): {"status.successful": _count("succeeded")},
    ("", "Event"): _EVENT_FIELDS,
    ("events.k8s.io", "Event"): _EVENT_FIELDS,
}


_NO_FIELDS: dict[str, Getter] = {}
_META_FIELDS: dict[str, Getter] = {"metadata.name": _Nested("metadata", "name"),
                                   "metadata.namespace": _Nested("metadata", "namespace")}


def _getter(group: str, kind: str, path: str) -> Getter:
    return (_META_FIELDS.get(path) or _KIND_FIELDS.get((group, kind), _NO_FIELDS).get(path)
            or _path_getter(path))


def field_value(obj: Mapping[str, Any], path: str, res: resources.Resource | None = None) -> str:
    """The string the server compares a field selector with (``""`` when unset).

    ``path`` is a canonical label (after aliasing); the kind comes from ``res`` or
    from the object's apiVersion/kind.
    """
    if res is not None:
        group, kind = res.group, res.kind
    else:
        group, kind = str(obj.get("apiVersion") or "").rpartition("/")[0], str(obj.get("kind") or "")
    return _getter(group, kind, path)(obj)


FieldTerm = tuple[str, str, str]  # (canonical field, "=" or "!=", value)


@functools.lru_cache(maxsize=512)
def _field_factory(shape: tuple[tuple[bool, bool], ...]
                   ) -> Callable[..., Callable[[Mapping[str, Any]], bool]]:
    """One generated factory per shape of (inlined?, equal?) terms."""
    params, terms = [], []
    for i, (nested, equal) in enumerate(shape):
        cmp = "==" if equal else "!="
        if nested:
            params.append(f"a{i}, b{i}, d{i}, v{i}")
            terms.append(f"((o.get(a{i}) or E).get(b{i}) or d{i}) {cmp} v{i}")
        else:
            params.append(f"g{i}, v{i}")
            terms.append(f"g{i}(o) {cmp} v{i}")
    src = (f"def make({', '.join(params)}):\n"
           f"    def m(o):\n        return {' and '.join(terms)}\n    return m\n")
    env: dict[str, Any] = {"E": _EMPTY}
    exec(src, env)  # noqa: S102 - generated from the fixed fragments above
    factory: Callable[..., Callable[[Mapping[str, Any]], bool]] = env["make"]
    return factory


def _compile_fields(terms: tuple[FieldTerm, ...], group: str, kind: str
                    ) -> Callable[[Mapping[str, Any]], bool]:
    if not terms:
        return lambda obj: True
    shape: list[tuple[bool, bool]] = []
    args: list[Any] = []
    for field, op, value in terms:
        g = _getter(group, kind, field)
        if isinstance(g, _Nested):
            args += (g.outer, g.inner, g.default, value)
        else:
            args += (g, value)
        shape.append((isinstance(g, _Nested), op == ls.EQUALS))
    return _field_factory(tuple(shape))(*args)


class FieldSelector:
    """An immutable field selector: AND of ``field=value`` / ``field!=value`` terms.

    Terms hold canonical labels (aliases such as pods' ``spec.host`` resolved),
    in the order the server keeps them (sorted by raw term text).
    """

    __slots__ = ("_kind", "_terms", "matches")
    _kind: tuple[str, str]
    _terms: tuple[FieldTerm, ...]
    matches: Callable[[Mapping[str, Any]], bool]

    def __init__(self, terms: Iterable[FieldTerm] = (), group: str = "", kind: str = "") -> None:
        t = tuple((f, ls.EQUALS if op in (ls.EQUALS, ls.DOUBLE_EQUALS) else ls.NOT_EQUALS, v)
                  for f, op, v in terms)
        object.__setattr__(self, "_terms", t)
        object.__setattr__(self, "_kind", (group, kind))
        object.__setattr__(self, "matches", _compile_fields(t, group, kind))

    @classmethod
    def for_resource(cls, terms: Iterable[FieldTerm], res: resources.Resource) -> FieldSelector:
        """Build from already-canonical terms (no validation), e.g. the name of a watched object."""
        return cls(terms, res.group, res.kind)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FieldSelector is immutable")

    @property
    def empty(self) -> bool:
        return not self._terms

    @property
    def requirements(self) -> list[FieldTerm]:
        return list(self._terms)

    def exact_pairs(self) -> dict[str, str]:
        """``field=value`` terms, first per field (fields.Selector.RequiresExactMatch)."""
        pairs: dict[str, str] = {}
        for field, op, value in self._terms:
            if op == ls.EQUALS:
                pairs.setdefault(field, value)
        return pairs

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{escape_field_value(v)}" for f, op, v in self._terms)

    def __repr__(self) -> str:
        return f"FieldSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSelector):
            return NotImplemented
        return (self._terms, self._kind) == (other._terms, other._kind)

    def __hash__(self) -> int:
        return hash((self._terms, self._kind))


@functools.lru_cache(maxsize=1024)
def _parse_fields_cached(text: str, key: str, group: str, kind: str,
                         field_labels: tuple[str, ...]) -> FieldSelector:
    terms: list[FieldTerm] = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise ls.ParseError(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        terms.append((lhs, op, _unescape_field_value(rhs)))
    # the handler converts labels only once the whole string has parsed
    return FieldSelector([(_convert_label(key, field_labels, f), op, v) for f, op, v in terms],
                         group, kind)


def parse_field_selector(text: str, res: resources.Resource) -> FieldSelector:
    """fields.ParseSelector then the kind's label conversion; BadRequest with the server's text."""
    try:
        return _parse_fields_cached(text, res.key, res.group, res.kind, res.field_labels)
    except ls.ParseError as e:
        raise errors.BadRequest(str(e)) from None
