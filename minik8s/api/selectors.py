"""Label and field selectors: parse, validate, print and match.

Semantics, canonical strings and error texts follow Kubernetes 1.33
(k8s.io/apimachinery v0.33): ``labels.Parse`` / ``NewRequirement``,
``fields.ParseSelector``, ``metav1.LabelSelectorAsSelector``, and kube-apiserver's
per-kind field label conversion funcs and ``ToSelectableFields``.

Neighbours: ``api.resources`` says which field labels a resource accepts;
``api.errors`` supplies ``BadRequest`` for query-string selectors; the store
narrows candidates with ``exact_pairs()`` and filters with ``matches``.

Each selector compiles to one generated function stored in its ``matches``
slot, so matching is a single call (~100 ns) instead of a loop over
requirement objects. Only identifiers are generated; keys and values are
passed in as constants, never spliced into source.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from minik8s.api import errors, resources

# Operators, spelled as apimachinery's selection.Operator.
EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "=", "==", "!="
IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GT, LT = "in", "notin", "exists", "!", "gt", "lt"

Labels = Mapping[str, str]
Requirement = tuple[str, str, tuple[str, ...]]  # (key, operator, values)
Getter = Callable[[Mapping[str, Any]], str]

_EMPTY: dict[str, str] = {}


class SelectorError(ValueError):
    """A label selector that does not validate.

    ``str()`` is apimachinery's error text; ``causes`` holds the underlying
    (field, bad value, detail) triples, fields relative to one requirement
    (``key``, ``values``, ``values[0][app]``), for callers building FieldErrors.
    """

    def __init__(self, message: str, causes: list[tuple[str, Any, str]] | None = None) -> None:
        super().__init__(message)
        self.causes = causes or []


# --- validation (k8s.io/apimachinery/pkg/util/validation) -------------------------------------

_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', "
              "and must start and end with an alphanumeric character")
_VALUE_FMT = "(" + _QNAME_FMT + ")?"
_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, "
              "'-', '_' or '.', and must start and end with an alphanumeric character")
_DNS_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT = _DNS_LABEL_FMT + "(\\." + _DNS_LABEL_FMT + ")*"
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                  "characters, '-' or '.', and must start and end with an alphanumeric character")
_QNAME_RE, _VALUE_RE, _SUBDOMAIN_RE = (re.compile(f) for f in (_QNAME_FMT, _VALUE_FMT, _SUBDOMAIN_FMT))
_INT_RE = re.compile(r"[+-]?[0-9]+")


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    # Go's RegexError, double spaces included: "(e.g. 'MyName',  or 'my.name', ..."
    ex = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {ex}regex used for validation is '{fmt}')"


def _byte_len(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogatepass"))


def _label_key_errors(key: str) -> list[str]:
    """IsQualifiedName: [prefix/]name."""
    parts = key.split("/")
    errs: list[str] = []
    if len(parts) > 2:
        return ["a qualified name " + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            if _byte_len(prefix) > 253:
                errs.append("prefix part must be no more than 253 characters")
            if not _SUBDOMAIN_RE.fullmatch(prefix):
                errs.append("prefix part " + _regex_error(_SUBDOMAIN_MSG, _SUBDOMAIN_FMT, "example.com"))
    if not name:
        errs.append("name part must be non-empty")
    elif _byte_len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not _QNAME_RE.fullmatch(name):
        errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def _label_value_errors(value: str) -> list[str]:
    errs = []
    if _byte_len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _VALUE_RE.fullmatch(value):
        errs.append(_regex_error(_VALUE_MSG, _VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def go_quote(s: str) -> str:
    """Go's ``%q`` of a string."""
    out = ['"']
    for ch in s:
        esc = _GO_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch.isprintable():
            out.append(ch)
        else:
            o = ord(ch)
            out.append(f"\\x{o:02x}" if o < 0x80 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def _go_strings(values: tuple[str, ...] | None) -> str:
    """Go's ``%#v`` of a []string (nil when the caller passed none)."""
    if not values:
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def _go_parse_int(v: str | None) -> int | None:
    """strconv.ParseInt(v, 10, 64), or None where Go returns an error."""
    if v is None:
        return None
    if len(v) < 19 and v.isdigit() and v.isascii():  # fast path: plain digits fit in int64
        return int(v)
    if not _INT_RE.fullmatch(v):
        return None
    n = int(v)
    return n if -(1 << 63) <= n < (1 << 63) else None


def _new_requirement(key: str, op: str, values: tuple[str, ...]) -> Requirement:
    """labels.NewRequirement: validate, or raise SelectorError with the aggregated text."""
    causes: list[tuple[str, Any, str]] = []
    texts: list[str] = []

    def invalid(field: str, value: Any, shown: str, detail: str) -> None:
        text = f"{field}: Invalid value: {shown}: {detail}"
        if text not in texts:  # ErrorList.ToAggregate de-duplicates
            texts.append(text)
            causes.append((field, value, detail))

    if kerrs := _label_key_errors(key):
        invalid("key", key, go_quote(key), "; ".join(kerrs))
    if op in (IN, NOT_IN):
        if not values:
            invalid("values", list(values), _go_strings(values),
                    "for 'in', 'notin' operators, values set can't be empty")
    elif op in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(values) != 1:
            invalid("values", list(values), _go_strings(values),
                    "exact-match compatibility requires one single value")
    elif op in (EXISTS, DOES_NOT_EXIST):
        if values:
            invalid("values", list(values), _go_strings(values),
                    "values set must be empty for exists and does not exist")
    elif op in (GT, LT):
        if len(values) != 1:
            invalid("values", list(values), _go_strings(values),
                    "for 'Gt', 'Lt' operators, exactly one value is required")
        for i, v in enumerate(values):
            if _go_parse_int(v) is None:
                invalid(f"values[{i}]", v, go_quote(v),
                        "for 'Gt', 'Lt' operators, the value must be an integer")
    else:
        raise SelectorError(f'operator: Unsupported value: {go_quote(op)}: supported values: '
                            '"in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"')
    for i, v in enumerate(values):
        if verrs := _label_value_errors(v):
            invalid(f"values[{i}][{key}]", v, go_quote(v), "; ".join(verrs))
    if texts:
        raise SelectorError(texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]", causes)
    return (key, op, tuple(values))


# --- label selectors ------------------------------------------------------------------------


def _requirement_str(req: Requirement) -> str:
    key, op, values = req
    if op == EXISTS:
        return key
    if op == DOES_NOT_EXIST:
        return "!" + key
    vals = ",".join(sorted(values)) if len(values) > 1 else values[0]
    if op in (IN, NOT_IN):
        return f"{key} {op} ({vals})"
    return f"{key}{'>' if op == GT else '<' if op == LT else op}{vals}"


def _gt(v: str | None, n: int) -> bool:
    x = _go_parse_int(v)
    return x is not None and x > n


def _lt(v: str | None, n: int) -> bool:
    x = _go_parse_int(v)
    return x is not None and x < n


_LABEL_TERMS = {
    "exists": "k{i} in L", "!": "k{i} not in L", "gt": "_gt(L.get(k{i}), v{i})",
    "lt": "_lt(L.get(k{i}), v{i})", "eq": "L.get(k{i}) == v{i}", "ne": "L.get(k{i}) != v{i}",
    "in": "L.get(k{i}) in v{i}", "notin": "L.get(k{i}) not in v{i}",
}


@functools.lru_cache(maxsize=512)
def _label_factory(shape: tuple[str, ...]) -> Callable[..., Callable[[Labels | None], bool]]:
    """One generated factory per selector shape; keys and values arrive as arguments.

    A missing key reads None, which never equals and always differs from a value.
    """
    body = " and ".join(_LABEL_TERMS[t].format(i=i) for i, t in enumerate(shape))
    params = ", ".join(f"k{i}, v{i}" for i in range(len(shape)))
    src = (f"def make({params}):\n"
           f"    def test(L):\n        return {body}\n"
           f"    empty = test(E)\n"
           f"    def m(L):\n        if not L:\n            return empty\n        return {body}\n"
           f"    return m\n")
    env: dict[str, Any] = {"_gt": _gt, "_lt": _lt, "E": _EMPTY}
    exec(src, env)  # noqa: S102 - generated from the fixed fragments above
    factory: Callable[..., Callable[[Labels | None], bool]] = env["make"]
    return factory


def _compile_labels(reqs: tuple[Requirement, ...]) -> Callable[[Labels | None], bool]:
    if not reqs:
        return lambda labels: True
    shape: list[str] = []
    args: list[Any] = []
    for key, op, values in reqs:
        if op in (EXISTS, DOES_NOT_EXIST):
            shape.append(op)
            value: Any = None
        elif op in (GT, LT):
            shape.append(op)
            value = _go_parse_int(values[0])
        elif len(values) == 1:
            shape.append("eq" if op in (EQUALS, DOUBLE_EQUALS, IN) else "ne")
            value = values[0]
        else:
            shape.append(op)
            value = frozenset(values)
        args += (key, value)
    return _label_factory(tuple(shape))(*args)


class LabelSelector:
    """An immutable, hashable label selector (AND of requirements, sorted by key).

    ``matches(labels)`` is a precompiled function; ``None`` labels count as empty.
    ``nothing()`` matches no object (a nil metav1.LabelSelector); an empty
    selector (``everything()``) matches every object.
    """

    __slots__ = ("_nothing", "_reqs", "_str", "matches")
    _nothing: bool
    _reqs: tuple[Requirement, ...]
    _str: str
    matches: Callable[[Labels | None], bool]

    def __init__(self, reqs: Iterable[Requirement] = (), *, _nothing: bool = False) -> None:
        ordered = tuple(sorted(reqs, key=lambda r: r[0]))  # stable, like Go's insertion sort
        object.__setattr__(self, "_reqs", ordered)
        object.__setattr__(self, "_nothing", _nothing)
        object.__setattr__(self, "matches", (lambda labels: False) if _nothing
                           else _compile_labels(ordered))
        object.__setattr__(self, "_str", "" if _nothing
                           else ",".join(_requirement_str(r) for r in ordered))

    @classmethod
    def from_requirements(cls, reqs: Iterable[tuple[str, str, Iterable[str]]]) -> LabelSelector:
        """Build from (key, operator, values), validated like NewRequirement (SelectorError)."""
        return cls(_new_requirement(k, op, tuple(vs)) for k, op, vs in reqs)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("LabelSelector is immutable")

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict (matches everything)."""
        return not self._reqs and not self._nothing

    @property
    def is_nothing(self) -> bool:
        return self._nothing

    @property
    def requirements(self) -> list[Requirement]:
        return list(self._reqs)

    def exact_pairs(self) -> dict[str, str]:
        """Labels every matching object must carry (``=``, ``==``, single-valued ``in``).

        Use it to pick candidates from an index, then call ``matches``.
        """
        pairs: dict[str, str] = {}
        for key, op, values in self._reqs:
            if op in (EQUALS, DOUBLE_EQUALS, IN) and len(values) == 1:
                pairs.setdefault(key, values[0])
        return pairs

    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        return "LabelSelector.nothing()" if self._nothing else f"LabelSelector({self._str!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelSelector):
            return NotImplemented
        return (self._nothing, self._str) == (other._nothing, other._str)

    def __hash__(self) -> int:
        return hash((self._nothing, self._str))


EVERYTHING = LabelSelector()
NOTHING = LabelSelector(_nothing=True)


def everything() -> LabelSelector:
    return EVERYTHING


def nothing() -> LabelSelector:
    return NOTHING


# Lexer tokens. Keywords and symbols are their own text; identifiers and the end are these.
_IDENT, _END = "IDENT", "END"
_BINARY = {IN: IN, NOT_IN: NOT_IN, "=": EQUALS, "==": DOUBLE_EQUALS, "!=": NOT_EQUALS,
           ">": GT, "<": LT}


class _ParseError(Exception):
    pass


_FAST_TOKEN_RE = re.compile(r"==|!=|[=!(),<>]|[^ \t\r\n=!(),<>]+")
_SYMBOL_TOKENS = frozenset(["==", "!=", "=", "!", "(", ")", ",", "<", ">"])
_TOKEN_RE = re.compile(r"[ \t\r\n]*(?:(==|!=|[=!(),<>])|([^ \t\r\n=!(),<>\x00]+)|\x00|\Z)")


def _lex(s: str) -> list[tuple[str, str]]:
    """Scan like labels.Lexer; a NUL byte reads as the end of the string.

    Go's scanners also swallow a NUL that directly follows a word or symbol.
    """
    if "\0" not in s:  # the usual case: one C-level scan
        out = [(w, w) if w in _SYMBOL_TOKENS else (w if w in (IN, NOT_IN) else _IDENT, w)
               for w in _FAST_TOKEN_RE.findall(s)]
        out.append((_END, ""))
        return out
    out = []
    pos, n, match = 0, len(s), _TOKEN_RE.match
    while True:
        m = match(s, pos)
        assert m is not None  # every character starts one of the alternatives
        sym, word = m.group(1, 2)
        if sym is None and word is None:
            out.append((_END, ""))
            return out
        pos = m.end()
        if pos < n and s[pos] == "\0":
            pos += 1
        if sym is not None:
            out.append((sym, sym))
        else:
            out.append((word if word in (IN, NOT_IN) else _IDENT, word))


class _Parser:
    """labels.Parser (v0.33): recursive descent over the scanned tokens."""

    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.pos = 0

    def peek(self, values: bool = True) -> tuple[str, str]:
        tok, lit = self.items[self.pos]
        return (_IDENT if values and tok in (IN, NOT_IN) else tok), lit

    def take(self, values: bool = True) -> tuple[str, str]:
        item = self.peek(values)
        self.pos += 1
        return item

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.peek()
            if tok == _END:
                return reqs
            if tok not in (_IDENT, "!"):
                raise _ParseError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(self.requirement())
            except (_ParseError, SelectorError) as e:
                raise _ParseError(f"unable to parse requirement: {e}") from None
            tok, lit = self.take()
            if tok == _END:
                return reqs
            if tok != ",":
                raise _ParseError(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self.peek()
            if tok not in (_IDENT, "!"):
                raise _ParseError(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        op = ""
        tok, key = self.take()
        if tok == "!":
            op = DOES_NOT_EXIST
            tok, key = self.take()
        if tok != _IDENT:
            raise _ParseError(f"found '{key}', expected: identifier")
        if kerrs := _label_key_errors(key):
            # the parser validates with a nil field path, which Go prints as "<nil>"
            raise _ParseError(f"<nil>: Invalid value: {go_quote(key)}: {'; '.join(kerrs)}")
        if self.peek()[0] in (_END, ","):
            op = op or EXISTS
        if op:
            return _new_requirement(key, op, ())
        tok, lit = self.take(values=False)
        binary = _BINARY.get(tok) if tok != _IDENT else None
        if binary is None:
            raise _ParseError(f"found '{lit}', expected: in, notin, =, ==, !=, gt, lt")
        values = self.value_set() if binary in (IN, NOT_IN) else self.exact_value()
        return _new_requirement(key, binary, tuple(sorted(values)))

    def value_set(self) -> set[str]:
        tok, lit = self.take()
        if tok != "(":
            raise _ParseError(f"found '{lit}' expected: '('")
        tok, lit = self.peek()
        if tok == ")":
            self.take()
            return {""}
        if tok not in (_IDENT, ","):
            raise _ParseError(f"found '{lit}', expected: ',', ')' or identifier")
        found: set[str] = set()
        while True:
            tok, lit = self.take()
            if tok == _IDENT:
                found.add(lit)
                tok2, lit2 = self.peek()
                if tok2 == ")":
                    self.take()
                    return found
                if tok2 != ",":
                    raise _ParseError(f"found '{lit2}', expected: ',' or ')'")
            elif tok == ",":
                if not found:
                    found.add("")  # "(,"
                tok2, _ = self.peek()
                if tok2 == ")":
                    self.take()
                    found.add("")  # ",)"
                    return found
                if tok2 == ",":  # ",,": 1.33 consumes the second comma here
                    self.take()
                    found.add("")
            else:
                raise _ParseError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        if self.peek()[0] in (_END, ","):
            return {""}
        tok, lit = self.take()
        if tok != _IDENT:
            raise _ParseError(f"found '{lit}', expected: identifier")
        return {lit}


@functools.lru_cache(maxsize=1024)
def _parse_labels_cached(text: str) -> LabelSelector:
    return LabelSelector(_Parser(text).parse())


def parse_label_selector(text: str) -> LabelSelector:
    """labels.Parse of a ``labelSelector`` query; BadRequest with the server's text."""
    try:
        return _parse_labels_cached(text)
    except _ParseError as e:
        raise errors.BadRequest(str(e)) from None


_EXPR_OPS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def label_selector_from_dict(sel: Mapping[str, Any] | None) -> LabelSelector:
    """metav1.LabelSelectorAsSelector: None → ``NOTHING``, ``{}`` → ``EVERYTHING``.

    Raises SelectorError (a ValueError) with apimachinery's message.
    """
    if sel is None:
        return NOTHING
    match_labels = sel.get("matchLabels") or {}
    exprs = sel.get("matchExpressions") or []
    if not match_labels and not exprs:
        return EVERYTHING
    reqs = [_new_requirement(k, EQUALS, (match_labels[k],)) for k in sorted(match_labels)]
    for expr in exprs:
        op = _EXPR_OPS.get(expr.get("operator") or "")
        if op is None:
            raise SelectorError(
                f"{go_quote(str(expr.get('operator') or ''))} is not a valid label selector operator")
        reqs.append(_new_requirement(expr.get("key") or "", op, tuple(expr.get("values") or ())))
    return LabelSelector(reqs)


# --- field selectors ------------------------------------------------------------------------


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
                raise _ParseError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            slash = False
        elif ch == "\\":
            slash = True
        elif ch in ",=":  # Go prints the rune with %v: its code point
            raise _ParseError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if slash:
        raise _ParseError("invalid field selector: invalid escape sequence: \\")
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
        return f"field label {go_quote(label)} not supported for batchv1.Job"
    if key in _REGISTERED:
        return f"field label not supported: {label}"
    return f'{go_quote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"'


def _convert_label(key: str, field_labels: tuple[str, ...], label: str) -> str:
    """Scheme.ConvertFieldLabel for the resource ``key``: the canonical label."""
    aliases = _ALIASES.get(key, _EMPTY)
    if label in aliases:
        return aliases[label]
    if label == "metadata.name" or label in field_labels:
        return label
    if label == "metadata.namespace" and key not in _NO_NAMESPACE_LABEL:
        return label
    raise _ParseError(_unsupported(key, label))


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
        shape.append((isinstance(g, _Nested), op == EQUALS))
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
        t = tuple((f, EQUALS if op in (EQUALS, DOUBLE_EQUALS) else NOT_EQUALS, v) for f, op, v in terms)
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
            if op == EQUALS:
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
            raise _ParseError(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        terms.append((lhs, op, _unescape_field_value(rhs)))
    # the handler converts labels only once the whole string has parsed
    return FieldSelector([(_convert_label(key, field_labels, f), op, v) for f, op, v in terms],
                         group, kind)


def parse_field_selector(text: str, res: resources.Resource) -> FieldSelector:
    """fields.ParseSelector then the kind's label conversion; BadRequest with the server's text."""
    try:
        return _parse_fields_cached(text, res.key, res.group, res.kind, res.field_labels)
    except _ParseError as e:
        raise errors.BadRequest(str(e)) from None
