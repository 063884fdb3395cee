"""Label selectors: parse, validate, print and match.

Semantics, canonical strings and error texts follow Kubernetes 1.33
(k8s.io/apimachinery v0.33): ``labels.Parse`` / ``NewRequirement`` and
``metav1.LabelSelectorAsSelector``; label keys and values are validated as
``util/validation`` does, with its messages.

Each selector compiles to one generated function stored in its ``matches``
slot, so matching is a single call (~100 ns) instead of a loop over
requirement objects. Only identifiers are generated; keys and values are
passed in as constants, never spliced into source.

Neighbours: ``api.selectors`` re-exports the public names (import that);
``api.fieldselector`` shares the operators, ``go_quote`` and ``ParseError``;
``api.errors`` supplies ``BadRequest`` for query-string selectors; the store
narrows candidates with ``exact_pairs()`` and filters with ``matches``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from minik8s.api import errors

# Operators, spelled as apimachinery's selection.Operator.
EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "=", "==", "!="
IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GT, LT = "in", "notin", "exists", "!", "gt", "lt"

Labels = Mapping[str, str]
Requirement = tuple[str, str, tuple[str, ...]]  # (key, operator, values)

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
        key = tuple((k, op, tuple(vs)) for k, op, vs in reqs)
        try:
            return _from_requirements(key)
        except TypeError:  # an unhashable value: build it uncached (and fail as it fails)
            return cls(_new_requirement(k, op, vs) for k, op, vs in key)

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


class ParseError(Exception):
    """A label or field selector string that does not parse; ``str()`` is the server's text."""


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
                raise ParseError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(self.requirement())
            except (ParseError, SelectorError) as e:
                raise ParseError(f"unable to parse requirement: {e}") from None
            tok, lit = self.take()
            if tok == _END:
                return reqs
            if tok != ",":
                raise ParseError(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self.peek()
            if tok not in (_IDENT, "!"):
                raise ParseError(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        op = ""
        tok, key = self.take()
        if tok == "!":
            op = DOES_NOT_EXIST
            tok, key = self.take()
        if tok != _IDENT:
            raise ParseError(f"found '{key}', expected: identifier")
        if kerrs := _label_key_errors(key):
            # the parser validates with a nil field path, which Go prints as "<nil>"
            raise ParseError(f"<nil>: Invalid value: {go_quote(key)}: {'; '.join(kerrs)}")
        if self.peek()[0] in (_END, ","):
            op = op or EXISTS
        if op:
            return _new_requirement(key, op, ())
        tok, lit = self.take(values=False)
        binary = _BINARY.get(tok) if tok != _IDENT else None
        if binary is None:
            raise ParseError(f"found '{lit}', expected: in, notin, =, ==, !=, gt, lt")
        values = self.value_set() if binary in (IN, NOT_IN) else self.exact_value()
        return _new_requirement(key, binary, tuple(sorted(values)))

    def value_set(self) -> set[str]:
        tok, lit = self.take()
        if tok != "(":
            raise ParseError(f"found '{lit}' expected: '('")
        tok, lit = self.peek()
        if tok == ")":
            self.take()
            return {""}
        if tok not in (_IDENT, ","):
            raise ParseError(f"found '{lit}', expected: ',', ')' or identifier")
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
                    raise ParseError(f"found '{lit2}', expected: ',' or ')'")
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
                raise ParseError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        if self.peek()[0] in (_END, ","):
            return {""}
        tok, lit = self.take()
        if tok != _IDENT:
            raise ParseError(f"found '{lit}', expected: identifier")
        return {lit}


@functools.lru_cache(maxsize=1024)
def _parse_labels_cached(text: str) -> LabelSelector:
    return LabelSelector(_Parser(text).parse())


def parse_label_selector(text: str) -> LabelSelector:
    """labels.Parse of a ``labelSelector`` query; BadRequest with the server's text."""
    try:
        return _parse_labels_cached(text)
    except ParseError as e:
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
    reqs: list[tuple[str, str, tuple[Any, ...]]] = [
        (k, EQUALS, (match_labels[k],)) for k in sorted(match_labels)]
    for expr in exprs:
        op = _EXPR_OPS.get(expr.get("operator") or "")
        if op is None:
            for k, o, vs in reqs:  # what comes before the bad operator is checked first
                _new_requirement(k, o, vs)
            raise SelectorError(
                f"{go_quote(str(expr.get('operator') or ''))} is not a valid label selector operator")
        reqs.append((expr.get("key") or "", op, tuple(expr.get("values") or ())))
    return LabelSelector.from_requirements(reqs)


@functools.lru_cache(maxsize=4096)
def _from_requirements(key: tuple[tuple[str, str, tuple[Any, ...]], ...]) -> LabelSelector:
    """Selectors are immutable; controllers and the scheduler build the same few per object."""
    return LabelSelector(_new_requirement(k, op, vs) for k, op, vs in key)
