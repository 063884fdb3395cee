"""Cluster-wide pod counts per topology domain, kept incrementally.

kube-scheduler walks every pod of every node in PreFilter to count, per topology
value, the pods that match an affinity term or a spread constraint. In Python that
is too slow at 5,000 nodes x 10,000 pods, so the cache keeps the answers instead:

* ``PodCounters``: for a query "pods matching ALL of these (namespaces, selector)
  pairs" and a topology key (or ``None`` = per node name), a dict value -> count.
  A query is registered on first use (one scan of all pods) and then updated on
  every pod add/remove in O(number of registered queries in that namespace). The
  least recently used queries are dropped past ``max_counters``.
* ``TermGroups``: the existing pods' own affinity terms, grouped by identical term
  (a Deployment's replicas share one), each with a count per topology value. The
  symmetric checks ("existing pods' anti-affinity", hard/preferred terms of
  existing pods in scoring) then cost O(distinct terms), not O(pods).

Counts only include nodes that carry the topology label, as kube-scheduler does.
Neighbours: ``cache`` feeds both on pod and node-label changes; InterPodAffinity and
PodTopologySpread read them.
"""

from __future__ import annotations

from itertools import chain

from minik8s.api import selectors
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.podinfo import AffinityTerm, PodInfo

# (namespaces or None for every namespace, label selector); a pod matches a query
# when it matches every pair.
QueryTerms = tuple[tuple[frozenset[str] | None, selectors.LabelSelector], ...]


def matches_all(terms: QueryTerms, pod: PodInfo) -> bool:
    for namespaces, sel in terms:
        if namespaces is not None and pod.namespace not in namespaces:
            return False
        if not sel.matches(pod.labels):
            return False
    return True


class PodCounter:
    __slots__ = ("counts", "key", "last_used", "skip_terminating", "terms", "topology_key")

    def __init__(self, terms: QueryTerms, topology_key: str | None, skip_terminating: bool) -> None:
        self.terms = terms
        self.topology_key = topology_key
        self.skip_terminating = skip_terminating
        self.counts: dict[str, int] = {}
        self.key = (terms, topology_key, skip_terminating)
        self.last_used = 0

    def update(self, pod: PodInfo, node: NodeInfo, sign: int) -> None:
        if self.skip_terminating and pod.terminating:
            return
        if not matches_all(self.terms, pod):
            return
        tk = self.topology_key
        value = node.name if tk is None else node.labels.get(tk)
        if value is None:
            return
        n = self.counts.get(value, 0) + sign
        if n:
            self.counts[value] = n
        else:
            del self.counts[value]


def _namespaces_of(terms: QueryTerms) -> frozenset[str] | None:
    """The namespaces a matching pod can be in (None: any)."""
    result: frozenset[str] | None = None
    for namespaces, _ in terms:
        if namespaces is not None:
            result = namespaces if result is None else result & namespaces
    return result


def _index_pair(terms: QueryTerms) -> tuple[str, str] | None:
    """A ``key=value`` every matching pod must carry, if the query has one."""
    for _, sel in terms:
        pairs = sel.exact_pairs()
        if pairs:
            return min(pairs.items())
    return None


class PodCounters:
    """Registered count queries, indexed so a pod event touches few of them: by a label pair
    every match must carry (most queries: a controller's or Service's selector), else by
    namespace."""

    def __init__(self, max_counters: int = 512) -> None:
        self.max_counters = max_counters
        self._counters: dict[tuple[object, ...], PodCounter] = {}
        self._by_ns: dict[str, list[PodCounter]] = {}
        self._any_ns: list[PodCounter] = []
        self._by_pair: dict[tuple[str, str], list[PodCounter]] = {}
        # every counted pod by each of its label pairs, so registering a query with an index
        # pair scans only the pods that can match (not every pod: 1,000 Deployments would
        # otherwise make registration quadratic)
        self._pods_by_pair: dict[tuple[str, str], dict[str, tuple[PodInfo, NodeInfo]]] = {}
        self._tick = 0

    def get(self, terms: QueryTerms, topology_key: str | None, skip_terminating: bool,
            nodes: dict[str, NodeInfo]) -> dict[str, int]:
        """value -> number of matching pods (read-only: callers copy before changing it)."""
        key = (terms, topology_key, skip_terminating)
        self._tick += 1
        c = self._counters.get(key)
        if c is None:
            c = self._register(terms, topology_key, skip_terminating, nodes)
        c.last_used = self._tick
        return c.counts

    def _register(self, terms: QueryTerms, topology_key: str | None, skip_terminating: bool,
                  nodes: dict[str, NodeInfo]) -> PodCounter:
        if len(self._counters) >= self.max_counters:
            self._evict()
        c = PodCounter(terms, topology_key, skip_terminating)
        self._counters[c.key] = c
        namespaces = _namespaces_of(terms)
        pair = _index_pair(terms)
        if pair is not None:
            self._by_pair.setdefault(pair, []).append(c)
        elif namespaces is None:
            self._any_ns.append(c)
        else:
            for ns in namespaces:
                self._by_ns.setdefault(ns, []).append(c)
        if pair is not None:
            for p, ni in self._pods_by_pair.get(pair, {}).values():
                if namespaces is None or p.namespace in namespaces:
                    c.update(p, ni, 1)
            return c
        for ni in nodes.values():
            for p in ni.pods.values():
                if namespaces is None or p.namespace in namespaces:
                    c.update(p, ni, 1)
        return c

    def _evict(self) -> None:
        victims = sorted(self._counters.values(), key=lambda c: c.last_used)
        for c in victims[: max(1, len(victims) // 4)]:
            del self._counters[c.key]
        keep = set(self._counters)
        self._any_ns = [c for c in self._any_ns if c.key in keep]
        for pair in list(self._by_pair):
            left_p = [c for c in self._by_pair[pair] if c.key in keep]
            if left_p:
                self._by_pair[pair] = left_p
            else:
                del self._by_pair[pair]
        for ns in list(self._by_ns):
            left = [c for c in self._by_ns[ns] if c.key in keep]
            if left:
                self._by_ns[ns] = left
            else:
                del self._by_ns[ns]

    def on_pod(self, pod: PodInfo, node: NodeInfo, sign: int) -> None:
        for c in chain(self._by_ns.get(pod.namespace, ()), self._any_ns):
            c.update(pod, node, sign)
        by_pair = self._by_pair
        pods_by_pair = self._pods_by_pair
        for pair in (pod.labels or {}).items():
            for c in by_pair.get(pair, ()):
                c.update(pod, node, sign)
            if sign > 0:
                pods_by_pair.setdefault(pair, {})[pod.key] = (pod, node)
            else:
                held = pods_by_pair.get(pair)
                if held is not None:
                    held.pop(pod.key, None)
                    if not held:
                        del pods_by_pair[pair]

    def __len__(self) -> int:
        return len(self._counters)


GroupKey = tuple[AffinityTerm, int]  # (term, weight); weight is 1 for required terms
ANTI, AFFINITY, PREF_AFFINITY, PREF_ANTI = "anti", "affinity", "pref_affinity", "pref_anti"


class TermGroups:
    """Existing pods' affinity terms: kind -> (term, weight) -> topology value -> pods."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[GroupKey, dict[str, int]]] = {
            ANTI: {}, AFFINITY: {}, PREF_AFFINITY: {}, PREF_ANTI: {}}

    def on_pod(self, pod: PodInfo, node: NodeInfo, sign: int) -> None:
        if not pod.has_affinity:
            return
        labels = node.labels
        for kind, entries in ((ANTI, [(t, 1) for t in pod.required_anti_affinity]),
                              (AFFINITY, [(t, 1) for t in pod.required_affinity]),
                              (PREF_AFFINITY, [(t, w) for w, t in pod.preferred_affinity]),
                              (PREF_ANTI, [(t, w) for w, t in pod.preferred_anti_affinity])):
            if not entries:
                continue
            groups = self.groups[kind]
            for term, weight in entries:
                value = labels.get(term.topology_key)
                if value is None:
                    continue
                key = (term, weight)
                counts = groups.get(key)
                if counts is None:
                    counts = groups[key] = {}
                n = counts.get(value, 0) + sign
                if n:
                    counts[value] = n
                else:
                    del counts[value]
                    if not counts:
                        del groups[key]
