"""PodTopologySpread: keep matching pods spread across topology domains within ``maxSkew``.

Constraints come from ``spec.topologySpreadConstraints``; a pod without any gets the
cluster defaults (system defaulting: hostname maxSkew 3 and zone maxSkew 5, both
ScheduleAnyway) with the selector of the Services/RCs/RSs/StatefulSets that select
it (the cache's ``spread_selector``), and none if nothing selects it.

Filter (DoNotSchedule constraints): a node missing a topology key fails with
``node(s) didn't match pod topology spread constraints (missing required label)``;
otherwise ``matching pods in the node's domain + (1 if the pod matches itself) -
global minimum`` must not exceed maxSkew, else ``node(s) didn't match pod topology
spread constraints`` (Unschedulable). Domains are the values of nodes that have
every key and pass ``nodeAffinityPolicy`` (Honor: the pod's nodeSelector/affinity)
and ``nodeTaintsPolicy`` (Ignore by default); with fewer than ``minDomains``
domains the global minimum is 0. ``matchLabelKeys`` add the pod's own label values
to the selector. Only pods in the pod's namespace, not terminating, count.

Score (ScheduleAnyway constraints): per node the sum over constraints of
``count * log(domains + 2) + maxSkew - 1`` (hostname: pods on that node), lower
is better, normalized to ``100 * (max + min - score) / max``.

Neighbours: ``cache.pod_counts``/``domains`` (fast path when every node is
eligible), ``nodeselector``; kube-scheduler ``plugins/podtopologyspread``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from minik8s.api import selectors
from minik8s.scheduler import nodeselector
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.plugins.helper import MAX_NODE_SCORE
from minik8s.scheduler.plugins.tainttoleration import untolerated_taint
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.status import SKIP, CycleState, Status, unresolvable, unschedulable

NAME = "PodTopologySpread"
ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
LABEL_HOSTNAME = "kubernetes.io/hostname"
DO_NOT_SCHEDULE, SCHEDULE_ANYWAY = "DoNotSchedule", "ScheduleAnyway"
SYSTEM_DEFAULT_CONSTRAINTS = (
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": SCHEDULE_ANYWAY,
     "maxSkew": 5},
)
PRE_FILTER_KEY = "PreFilter" + NAME
PRE_SCORE_KEY = "PreScore" + NAME
MAX_INT32 = 2**31 - 1
_REJECT = unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH, plugin=NAME)
_REJECT_LABEL = unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH, plugin=NAME)


class Constraint(NamedTuple):
    max_skew: int
    topology_key: str
    selector: selectors.LabelSelector
    min_domains: int
    honor_affinity: bool  # nodeAffinityPolicy: Honor (default)
    honor_taints: bool  # nodeTaintsPolicy: Honor (default Ignore)


def _selector(raw: Mapping[str, Any] | None, match_label_keys: Any,
              pod_labels: Mapping[str, str]) -> selectors.LabelSelector:
    try:
        sel = selectors.label_selector_from_dict(raw)
    except selectors.SelectorError:
        return selectors.NOTHING
    extra: list[selectors.Requirement] = [(k, selectors.EQUALS, (pod_labels[k],))
                                          for k in match_label_keys or () if k in pod_labels]
    if not extra:
        return sel
    base = [] if sel.is_nothing else sel.requirements
    return selectors.LabelSelector(base + extra)


def constraints_for(raw: Any, pod_labels: Mapping[str, str], action: str,
                    selector: selectors.LabelSelector | None = None) -> list[Constraint]:
    """``filterTopologySpreadConstraints``: the constraints with ``whenUnsatisfiable == action``."""
    out = []
    for c in raw or ():
        if (c.get("whenUnsatisfiable") or DO_NOT_SCHEDULE) != action:
            continue
        sel = selector if selector is not None else _selector(
            c.get("labelSelector"), c.get("matchLabelKeys"), pod_labels)
        min_domains = c.get("minDomains")
        out.append(Constraint(int(c.get("maxSkew") or 1), str(c.get("topologyKey") or ""), sel,
                              1 if min_domains is None else int(min_domains),
                              (c.get("nodeAffinityPolicy") or "Honor") == "Honor",
                              (c.get("nodeTaintsPolicy") or "Ignore") == "Honor"))
    return out


class _Spread:
    """Per constraint: matching pods per domain, the domains, and the global minimum."""

    __slots__ = ("constraints", "counts", "domains", "minimum", "owned", "required", "self_match")

    def __init__(self, constraints: list[Constraint], required: nodeselector.RequiredNodeAffinity
                 ) -> None:
        self.constraints = constraints
        self.required = required
        self.counts: list[dict[str, int]] = []
        self.domains: list[Mapping[str, int]] = []
        self.minimum: list[int] = []
        self.self_match: list[int] = []
        self.owned = False

    def compute_minimum(self, i: int) -> None:
        counts, domains = self.counts[i], self.domains[i]
        if not domains:
            m = MAX_INT32
        elif len(counts) < len(domains):  # counts' keys are a subset of the domains
            m = min(0, min(counts.values(), default=0))  # some domain has no matching pod
        else:
            m = min(counts.values())
        if len(domains) < self.constraints[i].min_domains:
            m = 0
        self.minimum[i] = m

    def clone(self) -> _Spread:
        c = _Spread(self.constraints, self.required)
        c.counts = [dict(x) for x in self.counts]
        c.domains = [dict(x) for x in self.domains]
        c.minimum, c.self_match, c.owned = list(self.minimum), self.self_match, True
        return c

    def update(self, pod: PodInfo, other: PodInfo, node: NodeInfo, sign: int) -> None:
        """``updateWithPod``: a pod added to / removed from ``node`` (on a clone only)."""
        labels = node.labels
        if other.namespace != pod.namespace or not all(c.topology_key in labels
                                                       for c in self.constraints):
            return
        for i, c in enumerate(self.constraints):
            if not c.selector.matches(other.labels) or not eligible(c, pod, node, self.required):
                continue
            v = labels[c.topology_key]
            self.counts[i][v] = self.counts[i].get(v, 0) + sign
            self.domains[i][v] = self.domains[i].get(v, 0) or 1  # type: ignore[index]
            self.compute_minimum(i)


def eligible(c: Constraint, pod: PodInfo, node: NodeInfo,
             required: nodeselector.RequiredNodeAffinity) -> bool:
    """``matchNodeInclusionPolicies``."""
    if c.honor_affinity and not required.matches(node.name, node.labels):
        return False
    return not (c.honor_taints and untolerated_taint(node.hard_taints, pod.tolerations) is not None)


class PodTopologySpread:
    """Args: ``defaultConstraints`` and ``defaultingType`` ("System" or "List")."""

    NAME = NAME

    def __init__(self, args: Mapping[str, Any], cache: Any) -> None:
        self.cache = cache
        self.system_defaulted = (args.get("defaultingType") or "System") == "System"
        self.defaults = (SYSTEM_DEFAULT_CONSTRAINTS if self.system_defaulted
                         else tuple(args.get("defaultConstraints") or ()))

    def constraints(self, pod: PodInfo, action: str) -> list[Constraint]:
        raw = pod.spec.get("topologySpreadConstraints")
        if raw:
            return constraints_for(raw, pod.labels, action)
        if not self.defaults or not constraints_for(self.defaults, pod.labels, action,
                                                    selectors.EVERYTHING):
            return []
        sel = self.cache.spread_selector(pod.pod)
        if sel is None or sel.empty or sel.is_nothing:
            return []
        return constraints_for(self.defaults, pod.labels, action, sel)

    def _fast(self, constraints: list[Constraint], pod: PodInfo,
              required: nodeselector.RequiredNodeAffinity, all_keys: bool) -> bool:
        """True when every node with the keys is eligible, so the cache's per-domain counts
        can be used as they are."""
        for c in constraints:
            if c.honor_taints or (c.honor_affinity and not required.empty):
                return False
        if all_keys and len({c.topology_key for c in constraints}) > 1:
            n = self.cache.num_nodes
            return all(sum(self.cache.domains(c.topology_key).values()) == n for c in constraints)
        return True

    def _counts(self, pod: PodInfo, c: Constraint, key: str | None) -> dict[str, int]:
        counts: dict[str, int] = self.cache.pod_counts(
            ((frozenset((pod.namespace,)), c.selector),), key, True)
        return counts

    # --- filter ---------------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        constraints = self.constraints(pod, DO_NOT_SCHEDULE)
        if not constraints:
            return SKIP
        required = nodeselector.RequiredNodeAffinity(pod.spec)
        s = _Spread(constraints, required)
        n = len(constraints)
        s.minimum = [0] * n
        s.self_match = [1 if c.selector.matches(pod.labels) else 0 for c in constraints]
        if self._fast(constraints, pod, required, True):
            s.counts = [self._counts(pod, c, c.topology_key) for c in constraints]
            s.domains = [self.cache.domains(c.topology_key) for c in constraints]
        else:
            per_node = [self._counts(pod, c, None) for c in constraints]
            s.counts = [{} for _ in constraints]
            s.domains = [{} for _ in constraints]
            keys = [c.topology_key for c in constraints]
            for ni in self.cache.node_list():
                labels = ni.labels
                if not all(k in labels for k in keys):
                    continue
                for i, c in enumerate(constraints):
                    if not eligible(c, pod, ni, required):
                        continue
                    v = labels[c.topology_key]
                    s.counts[i][v] = s.counts[i].get(v, 0) + per_node[i].get(ni.name, 0)
                    s.domains[i][v] = 1  # type: ignore[index]
            s.owned = True
        for i in range(n):
            s.compute_minimum(i)
        state.write(PRE_FILTER_KEY, s)
        return None

    def filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
               ) -> list[Status | None] | None:
        s: _Spread = state.data[PRE_FILTER_KEY]
        checks = []
        for i, c in enumerate(s.constraints):
            # a domain is full when its count + self - global minimum would exceed maxSkew
            limit = c.max_skew + s.minimum[i] - s.self_match[i]
            full = {v for v, n in s.counts[i].items() if n > limit}
            checks.append((c.topology_key, full, limit < 0))
        if len(checks) == 1:
            tk, full, all_full = checks[0]
            if not all_full:
                return [None if (v := ni.labels.get(tk)) is not None and v not in full
                        else _REJECT_LABEL if v is None else _REJECT for ni in nodes]
        out: list[Status | None] = []
        for ni in nodes:
            labels = ni.labels
            st = None
            for tk, full, all_full in checks:
                v = labels.get(tk)
                if v is None:
                    st = _REJECT_LABEL
                    break
                if all_full or v in full:
                    st = _REJECT
                    break
            out.append(st)
        return out

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
        if not self.cache.num_nodes:
            return SKIP
        constraints = self.constraints(pod, SCHEDULE_ANYWAY)
        if not constraints:
            return SKIP
        require_all = bool(pod.spec.get("topologySpreadConstraints")) or not self.system_defaulted
        keys = [c.topology_key for c in constraints]
        ignored = ({ni.name for ni in nodes if not all(k in ni.labels for k in keys)}
                   if require_all else set())
        scored = [ni for ni in nodes if ni.name not in ignored] if ignored else nodes
        weights = []
        for c in constraints:
            if c.topology_key == LABEL_HOSTNAME:
                size = len(scored)
            elif not ignored:  # the distinct values (a node without the key: "") of all nodes
                size = self.cache.columns(nodes).values(c.topology_key)[2]
            else:
                size = len({ni.labels.get(c.topology_key, "") for ni in scored})
            weights.append(math.log(size + 2))
        required = nodeselector.RequiredNodeAffinity(pod.spec)
        counts: list[Mapping[str, int]] = []
        if self._fast(constraints, pod, required, require_all):
            counts = [self._counts(pod, c, None if c.topology_key == LABEL_HOSTNAME
                                   else c.topology_key) for c in constraints]
        else:
            per_node = [self._counts(pod, c, None) for c in constraints]
            for i, c in enumerate(constraints):
                if c.topology_key == LABEL_HOSTNAME:
                    counts.append(per_node[i])
                    continue
                acc: dict[str, int] = {}
                for ni in self.cache.node_list():
                    labels = ni.labels
                    if require_all and not all(k in labels for k in keys):
                        continue
                    if not eligible(c, pod, ni, required):
                        continue
                    v = labels.get(c.topology_key, "")
                    acc[v] = acc.get(v, 0) + per_node[i].get(ni.name, 0)
                counts.append(acc)
        state.write(PRE_SCORE_KEY, (constraints, ignored, weights, counts))
        return None

    def score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        """Per node ``round(sum over constraints of count * weight + maxSkew - 1)`` over the
        constraints whose key the node has (ignored nodes: 0).

        Worked out a constraint at a time over all nodes, from the cache's label columns: a
        node's term depends only on its domain (its name for hostname), and most nodes have no
        matching pod in theirs, so they share one running sum and only the nodes whose domain
        has matching pods get their own. Float sums are taken in constraint order, exactly as
        node by node.
        """
        constraints, ignored, weights, counts = state.read(PRE_SCORE_KEY)
        cols = self.cache.columns(nodes)
        n = len(nodes)
        total = 0.0  # the sum of every node not in ``own`` (while ``totals`` is None)
        own: dict[int, float] = {}  # position -> sum, for nodes whose domain has matching pods
        totals: list[float] | None = None  # every node's sum, once sharing stops paying
        for c, w, cnt in zip(constraints, weights, counts, strict=True):
            tk, skew = c.topology_key, float(c.max_skew - 1)
            base = 0 * w + skew  # the term of a domain without matching pods
            values, missing, distinct = cols.values(tk)
            if missing == n:
                continue  # no node has the key: nothing to add
            by_domain = {v: k * w + skew for v, k in cnt.items()}
            keys = cols.names if tk == LABEL_HOSTNAME else values
            if not missing and distinct == 1 and keys is values:
                base = by_domain.get(values[0], base)  # one domain: every node's term
                by_domain = {}
            if totals is None and not missing and (not by_domain or (
                    keys is cols.names and cols.unique and len(by_domain) * 4 < n)):
                for i in list(own):  # nodes that already have their own sum
                    own[i] += by_domain.get(keys[i], base)
                for name, term in by_domain.items():  # nodes that get one now
                    i = cols.position(name)
                    if i is not None and i not in own:
                        own[i] = total + term
                total += base
                continue
            if totals is None:
                totals = [own.get(i, total) for i in range(n)] if own else [total] * n
            if missing:  # nodes without the key add nothing (+ 0.0 is exact: sums are >= 0)
                terms = [0.0 if v is None else by_domain.get(k, base) for v, k in zip(values, keys)]
            else:
                terms = [by_domain.get(k, base) for k in keys]
            totals = [a + b for a, b in zip(totals, terms)]
        if totals is None:
            out = [math.floor(total + 0.5)] * n  # Go's math.Round for non-negative numbers
            for i, t in own.items():
                out[i] = math.floor(t + 0.5)
        else:
            by_total = {t: math.floor(t + 0.5) for t in set(totals)}
            out = [by_total[t] for t in totals]
        if ignored:
            out = [0 if name in ignored else s for name, s in zip(cols.names, out)]
        return out

    def normalize_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo],
                        scores: list[int]) -> list[int]:
        ignored = state.read(PRE_SCORE_KEY)[1]
        valid = [s for ni, s in zip(nodes, scores, strict=True) if ni.name not in ignored] \
            if ignored else scores
        if not valid:
            return [0] * len(scores)
        lo, hi = min(valid), max(0, max(valid))
        if hi == 0:
            normalized = dict.fromkeys(valid, MAX_NODE_SCORE)
        else:
            normalized = {s: MAX_NODE_SCORE * (hi + lo - s) // hi for s in set(valid)}
        if not ignored:
            return [normalized[s] for s in scores]
        return [0 if ni.name in ignored else normalized[s]
                for ni, s in zip(nodes, scores, strict=True)]
