"""InterPodAffinity: required and preferred pod affinity / anti-affinity, both directions.

Filter, in kube-scheduler's order:

1. the pod's required affinity: every term's topology key must be on the node and
   some pod matching *all* terms must run in the node's domain of each term —
   unless no such pod exists anywhere and the pod matches its own terms (the
   first replica of a self-affine Deployment); else ``node(s) didn't match pod
   affinity rules`` (UnschedulableAndUnresolvable);
2. the pod's required anti-affinity: no matching pod in the node's domain, else
   ``node(s) didn't match pod anti-affinity rules`` (Unschedulable);
3. existing pods' required anti-affinity that the pod matches: not in their
   domain, else ``node(s) didn't satisfy existing pods anti-affinity rules``.

Score adds, per topology domain, the weights of the pod's preferred terms matched
by pods there (anti: minus), plus existing pods' preferred terms and required
affinity terms (``hardPodAffinityWeight``, default 1) that the pod matches;
normalized to 0..100 between the lowest and highest node.

Terms of the pod name namespaces or select them (``namespaceSelector``, resolved
through the cache's namespace labels); counts come from the cache's incremental
aggregates, so a cycle costs O(terms + domains), not O(pods).

Neighbours: ``aggregates`` (counts), ``podinfo.AffinityTerm``; kube-scheduler
``plugins/interpodaffinity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.scheduler import aggregates
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.plugins.helper import MAX_NODE_SCORE
from minik8s.scheduler.podinfo import AffinityTerm, PodInfo
from minik8s.scheduler.status import SKIP, CycleState, Status, unresolvable, unschedulable

NAME = "InterPodAffinity"
ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
PRE_FILTER_KEY = "PreFilter" + NAME
PRE_SCORE_KEY = "PreScore" + NAME
_REJECT_AFFINITY = unresolvable(ERR_REASON_AFFINITY, plugin=NAME)
_REJECT_ANTI = unschedulable(ERR_REASON_ANTI_AFFINITY, plugin=NAME)
_REJECT_EXISTING = unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY, plugin=NAME)

Counts = list[tuple[str, dict[str, int]]]  # (topology key, value -> matching pods)


def merged_namespaces(term: AffinityTerm, cache: Any, own: str) -> frozenset[str] | None:
    """The term's namespaces with its namespaceSelector resolved (None: every namespace).

    Only namespaces that hold pods (and the pod's own, for matching itself) can matter.
    """
    sel = term.ns_selector
    if sel.empty:
        return None
    if sel.is_nothing:
        return term.namespaces
    return term.namespaces | {ns for ns in (*cache.namespaces(), own)
                              if sel.matches(cache.namespace_labels(ns) or {})}


def _bump(counts: dict[str, int], value: str | None, sign: int) -> None:
    if value is None:
        return
    n = counts.get(value, 0) + sign
    if n:
        counts[value] = n
    else:
        counts.pop(value, None)


class _FilterState:
    """Counts for the three checks; shared with the cache until ``clone()`` copies them."""

    __slots__ = ("affinity", "affinity_query", "anti", "anti_queries", "existing", "ns_labels",
                 "self_match")

    def __init__(self) -> None:
        self.existing: Counts = []
        self.affinity: Counts = []
        self.anti: Counts = []
        self.affinity_query: aggregates.QueryTerms = ()
        self.anti_queries: list[aggregates.QueryTerms] = []
        self.self_match = False
        self.ns_labels: Any = None

    def clone(self) -> _FilterState:
        c = _FilterState()
        merged: dict[str, dict[str, int]] = {}
        for tk, counts in self.existing:
            into = merged.setdefault(tk, {})
            for v, n in counts.items():
                into[v] = into.get(v, 0) + n
        c.existing = list(merged.items())
        c.affinity = [(tk, dict(counts)) for tk, counts in self.affinity]
        c.anti = [(tk, dict(counts)) for tk, counts in self.anti]
        c.affinity_query, c.anti_queries = self.affinity_query, self.anti_queries
        c.self_match, c.ns_labels = self.self_match, self.ns_labels
        return c

    def update(self, pod: PodInfo, other: PodInfo, node: NodeInfo, sign: int) -> None:
        """``preFilterState.updateWithPod`` (only ever called on a clone)."""
        labels = node.labels
        for t in other.required_anti_affinity:
            if t.matches(pod, self.ns_labels):
                for tk, counts in self.existing:
                    if tk == t.topology_key:
                        break
                else:
                    counts = {}
                    self.existing.append((t.topology_key, counts))
                _bump(counts, labels.get(t.topology_key), sign)
        if self.affinity and aggregates.matches_all(self.affinity_query, other):
            for tk, counts in self.affinity:
                _bump(counts, labels.get(tk), sign)
        for (tk, counts), query in zip(self.anti, self.anti_queries, strict=True):
            if aggregates.matches_all(query, other):
                _bump(counts, labels.get(tk), sign)


class InterPodAffinity:
    """Args: ``hardPodAffinityWeight`` (default 1), ``ignorePreferredTermsOfExistingPods``."""

    NAME = NAME

    def __init__(self, args: Mapping[str, Any], cache: Any) -> None:
        self.cache = cache
        weight = args.get("hardPodAffinityWeight")
        self.hard_weight = 1 if weight is None else int(weight)
        self.ignore_existing_preferred = bool(args.get("ignorePreferredTermsOfExistingPods"))

    # --- filter ---------------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        cache = self.cache
        anti_groups = cache.term_groups.groups[aggregates.ANTI]
        if not pod.required_affinity and not pod.required_anti_affinity and not anti_groups:
            return SKIP
        s = _FilterState()
        ns_labels_cache: dict[str, Any] = {}

        def ns_labels(ns: str) -> Any:
            if ns not in ns_labels_cache:
                ns_labels_cache[ns] = cache.namespace_labels(ns)
            return ns_labels_cache[ns]
        s.ns_labels = ns_labels
        for (term, _), counts in anti_groups.items():
            if term.matches(pod, ns_labels):
                s.existing.append((term.topology_key, counts))
        if pod.required_affinity:
            query = tuple((merged_namespaces(t, cache, pod.namespace), t.selector)
                          for t in pod.required_affinity)
            s.affinity_query = query
            s.affinity = [(t.topology_key, cache.pod_counts(query, t.topology_key))
                          for t in pod.required_affinity]
            s.self_match = aggregates.matches_all(query, pod)
        for t in pod.required_anti_affinity:
            query = ((merged_namespaces(t, cache, pod.namespace), t.selector),)
            s.anti_queries.append(query)
            s.anti.append((t.topology_key, cache.pod_counts(query, t.topology_key)))
        if not s.existing and not s.affinity and not s.anti:
            return SKIP
        state.write(PRE_FILTER_KEY, s)
        return None

    def filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
               ) -> list[Status | None] | None:
        s: _FilterState = state.data[PRE_FILTER_KEY]
        if not s.affinity and len(s.anti) + len(s.existing) == 1:
            # one topology check (e.g. anti-affinity by hostname): domains with pods are banned
            tk, counts = (s.anti or s.existing)[0]
            reject = _REJECT_ANTI if s.anti else _REJECT_EXISTING
            banned = {v for v, n in counts.items() if n > 0}
            if not banned:
                return None
            return [reject if ni.labels.get(tk) in banned else None for ni in nodes]
        if len(s.affinity) == 1 and not s.anti and not s.existing:
            tk, counts = s.affinity[0]
            allowed = {v for v, n in counts.items() if n > 0}
            if not allowed and s.self_match:  # the first pod of a self-affine group
                return [None if tk in ni.labels else _REJECT_AFFINITY for ni in nodes]
            return [None if ni.labels.get(tk) in allowed else _REJECT_AFFINITY for ni in nodes]
        return [self._check(s, ni.labels) for ni in nodes]

    @staticmethod
    def _check(s: _FilterState, labels: Mapping[str, str]) -> Status | None:
        if s.affinity:
            pods_exist = True
            for tk, counts in s.affinity:
                v = labels.get(tk)
                if v is None:
                    return _REJECT_AFFINITY  # every topology key must be on the node
                if counts.get(v, 0) <= 0:
                    pods_exist = False
            if not pods_exist and not (s.self_match and not any(c for _, c in s.affinity)):
                return _REJECT_AFFINITY
        for tk, counts in s.anti:
            if counts:
                v = labels.get(tk)
                if v is not None and counts.get(v, 0) > 0:
                    return _REJECT_ANTI
        for tk, counts in s.existing:
            v = labels.get(tk)
            if v is not None and counts.get(v, 0) > 0:
                return _REJECT_EXISTING
        return None

    def add_pod(self, state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo) -> None:
        s = state.data.get(PRE_FILTER_KEY)
        if s is not None:
            s.update(pod, other, node, 1)

    def remove_pod(self, state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo) -> None:
        s = state.data.get(PRE_FILTER_KEY)
        if s is not None:
            s.update(pod, other, node, -1)

    # --- score ----------------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        has_preferred = bool(pod.preferred_affinity or pod.preferred_anti_affinity)
        if self.ignore_existing_preferred and not has_preferred:
            return SKIP
        cache = self.cache
        scores: dict[str, dict[str, int]] = {}

        def add(tk: str, counts: dict[str, int], weight: int) -> None:
            if not counts or not weight:
                return
            into = scores.setdefault(tk, {})
            for v, n in counts.items():
                into[v] = into.get(v, 0) + weight * n

        for sign, weighted in ((1, pod.preferred_affinity), (-1, pod.preferred_anti_affinity)):
            for w, t in weighted:
                query = ((merged_namespaces(t, cache, pod.namespace), t.selector),)
                add(t.topology_key, cache.pod_counts(query, t.topology_key), sign * w)
        if not self.ignore_existing_preferred or has_preferred:
            groups = cache.term_groups.groups
            nsl = cache.namespace_labels
            if self.hard_weight > 0:
                for (t, _), counts in groups[aggregates.AFFINITY].items():
                    if t.matches(pod, nsl):
                        add(t.topology_key, counts, self.hard_weight)
            for kind, sign in ((aggregates.PREF_AFFINITY, 1), (aggregates.PREF_ANTI, -1)):
                for (t, w), counts in groups[kind].items():
                    if t.matches(pod, nsl):
                        add(t.topology_key, counts, sign * w)
        if not scores:
            return SKIP
        state.write(PRE_SCORE_KEY, scores)
        return None

    def score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        scores: dict[str, dict[str, int]] = state.read(PRE_SCORE_KEY)
        items = list(scores.items())
        if len(items) == 1:
            tk, values = items[0]
            return [values.get(ni.labels.get(tk, ""), 0) for ni in nodes]
        return [sum(values.get(ni.labels.get(tk, ""), 0) for tk, values in items) for ni in nodes]

    def normalize_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo],
                        scores: list[int]) -> list[int]:
        lo, hi = min(scores, default=0), max(scores, default=0)
        diff = hi - lo
        if diff <= 0:
            return [0] * len(scores)
        return [int(float(MAX_NODE_SCORE) * ((s - lo) / diff)) for s in scores]
