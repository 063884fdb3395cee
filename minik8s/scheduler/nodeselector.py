"""Node selectors: ``spec.nodeSelector`` and node affinity terms, compiled to matchers.

Follows ``k8s.io/component-helpers/scheduling/corev1/nodeaffinity``: terms are ORed,
requirements within a term ANDed, an empty term matches nothing, and a term that
does not parse (bad key, Gt with a non-integer...) is skipped rather than failing
the pod ("ignore parsing errors for backwards compatibility"). ``matchFields``
supports only ``metadata.name`` with In / NotIn.

Neighbours: the NodeAffinity plugin filters and scores with these; PodTopologySpread
uses ``RequiredNodeAffinity`` for ``nodeAffinityPolicy: Honor``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from minik8s.api import selectors

_OPS = {"In": selectors.IN, "NotIn": selectors.NOT_IN, "Exists": selectors.EXISTS,
        "DoesNotExist": selectors.DOES_NOT_EXIST, "Gt": selectors.GT, "Lt": selectors.LT}

TermMatcher = Callable[[str, Mapping[str, str]], bool]  # (node name, node labels) -> bool


def _never(name: str, labels: Mapping[str, str]) -> bool:
    return False


def compile_term(term: Mapping[str, Any] | None) -> TermMatcher:
    """One NodeSelectorTerm; an empty or unparsable term never matches."""
    if not term:
        return _never
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return _never
    try:
        reqs = []
        for e in exprs:
            op = _OPS.get(e.get("operator") or "")
            if op is None:
                return _never
            reqs.append((str(e.get("key") or ""), op, tuple(e.get("values") or ())))
        label_sel = selectors.LabelSelector.from_requirements(reqs) if reqs else None
    except selectors.SelectorError:
        return _never
    name_in: list[str] = []
    name_not_in: list[str] = []
    for f in fields:
        values: list[Any] = list(f.get("values") or ())
        if f.get("key") != "metadata.name" or len(values) != 1:
            return _never  # a field requirement takes exactly one node name
        if f.get("operator") == "In":
            name_in.append(str(values[0]))
        elif f.get("operator") == "NotIn":
            name_not_in.append(str(values[0]))
        else:
            return _never
    if label_sel is not None and not name_in and not name_not_in:
        return lambda name, labels: label_sel.matches(labels)

    def match(name: str, labels: Mapping[str, str]) -> bool:
        if label_sel is not None and not label_sel.matches(labels):
            return False
        return all(name == n for n in name_in) and not any(name == n for n in name_not_in)
    return match


def _label_requirements(term: Mapping[str, Any] | None) -> list[selectors.Requirement] | None:
    """A term's requirements when it only looks at labels; None if it has matchFields."""
    if term and term.get("matchFields"):
        return None
    return [(str(e.get("key") or ""), _OPS.get(e.get("operator") or "", "?"),
             tuple(e.get("values") or ())) for e in (term or {}).get("matchExpressions") or ()]


class RequiredNodeAffinity:
    """``nodeaffinity.GetRequiredNodeAffinity(pod)``: nodeSelector AND (required terms ORed)."""

    __slots__ = ("_by_labels", "_labels", "_terms", "empty")

    def __init__(self, spec: Mapping[str, Any]) -> None:
        node_selector = spec.get("nodeSelector") or {}
        self._labels = tuple(node_selector.items())
        required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                    .get("requiredDuringSchedulingIgnoredDuringExecution"))
        self._terms: tuple[TermMatcher, ...] | None = None
        raw_terms = None
        if required is not None:
            raw_terms = required.get("nodeSelectorTerms") or []
            self._terms = tuple(compile_term(t) for t in raw_terms)
        self.empty = not self._labels and self._terms is None
        self._by_labels = self._compile_by_labels(raw_terms)

    def _compile_by_labels(self, raw_terms: list[Any] | None
                           ) -> Callable[[Mapping[str, str]], bool] | None:
        """The whole affinity as one label matcher, when no term looks at node names."""
        base: list[selectors.Requirement] = [(k, selectors.EQUALS, (v,)) for k, v in self._labels]
        sels = []
        for t in raw_terms if raw_terms is not None else [None]:
            reqs = _label_requirements(t)
            if reqs is None:
                return None
            if t is not None and not reqs:
                continue  # an empty term matches nothing
            try:
                sels.append(selectors.LabelSelector.from_requirements(base + reqs))
            except selectors.SelectorError:
                if not base:
                    continue  # an unparsable term is skipped
                return None
        if not sels:
            return lambda labels: False
        if len(sels) == 1:
            return sels[0].matches
        return lambda labels: any(s.matches(labels) for s in sels)

    def label_matcher(self) -> Callable[[Mapping[str, str]], bool] | None:
        """``matches`` as a function of the node labels only (None when names matter)."""
        return self._by_labels

    def matches(self, name: str, labels: Mapping[str, str]) -> bool:
        for k, v in self._labels:
            if labels.get(k) != v:
                return False
        if self._terms is None:
            return True
        for t in self._terms:
            if t(name, labels):
                return True
        return False


def required_node_names(spec: Mapping[str, Any]) -> set[str] | None:
    """Node names the pod's required terms pin it to (``metadata.name In``), or None for any.

    Every term must name nodes for the result to narrow anything (terms are ORed);
    within a term the In lists intersect.
    """
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if not required:
        return None
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return None
    names: set[str] = set()
    for t in terms:
        term_names: set[str] | None = None
        for f in t.get("matchFields") or ():
            if f.get("key") == "metadata.name" and f.get("operator") == "In":
                vals = set(f.get("values") or ())
                term_names = vals if term_names is None else term_names & vals
        if term_names is None:
            return None
        names |= term_names
    return names


class PreferredTerms:
    """``nodeaffinity.PreferredSchedulingTerms``: the summed weight of matching terms."""

    __slots__ = ("terms",)

    def __init__(self, raw: Any) -> None:
        self.terms = tuple((int(t.get("weight") or 0), compile_term(t.get("preference")))
                           for t in raw or () if t.get("weight"))

    def score(self, name: str, labels: Mapping[str, str]) -> int:
        return sum(w for w, m in self.terms if m(name, labels))
