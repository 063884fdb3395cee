"""One scheduling cycle: PreFilter -> Filter -> PreScore -> Score -> NormalizeScore -> pick.

``Framework(profile, cache, rng)`` instantiates the profile's plugins by name and
runs them like kube-scheduler's ``schedulePod``:

* PreFilter on every plugin that has it; ``Skip`` turns the plugin's Filter off for
  this cycle, a rejection ends the cycle (every node gets that status), a
  ``PreFilterResult`` narrows the nodes ("node(s) didn't satisfy plugin(s) [X]").
* A pod with ``status.nominatedNodeName`` tries that node first.
* Filter walks the nodes starting where the last cycle stopped and stops once
  ``num_feasible_nodes_to_find`` nodes passed (percentageOfNodesToScore: adaptive
  ``50 - nodes/125`` %, at least 5 %, at least 100 nodes). When no node fits,
  each node's status is the first rejecting plugin's, in profile order. Pods
  nominated to a node with at least the same priority are counted on it
  (``RunFilterPluginsWithNominatedPods``).
* One feasible node: chosen without scoring. Otherwise PreScore (``Skip`` drops the
  plugin's Score), Score, NormalizeScore, weighted sum, highest total wins; ties
  are broken uniformly with the seeded ``rng`` (kube-scheduler's selectHost does a
  reservoir sample over the same set).

Plugin protocol (all methods optional except ``NAME``; see ``plugins/``)::

    NAME: str
    pre_filter(state, pod) -> Status | PreFilterResult | None
    filter(state, pod, nodes) -> list[Status | None] | None   # None: every node fits
                                                      # (an internal error raises)
    add_pod(state, pod, other, node) / remove_pod(...)    # PreFilterExtensions
    pre_score(state, pod, nodes) -> Status | None
    score(state, pod, nodes) -> list[int]                 # one call for all feasible nodes
    normalize_score(state, pod, nodes, scores) -> list[int]

Filter and Score take a list of nodes (kube-scheduler calls them per node, in
parallel goroutines); in Python one call with a list comprehension per plugin is
what makes 5,000-node clusters affordable. A Filter result holds, per node, None
(fits) or the rejecting Status.

Neighbours: ``cache`` (the snapshot), ``plugins`` (the rules), ``preemption``
(PostFilter, uses ``run_filters`` and the returned cycle state), ``messages``.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
import random
from collections.abc import Callable, Mapping
from typing import Any

from minik8s.scheduler import messages, plugins
from minik8s.scheduler.cache import ClusterCache
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.profile import DEFAULT_PROFILE, Profile
from minik8s.scheduler.status import Code, CycleState, PreFilterResult, Status, unresolvable

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5

FilterFn = Callable[[CycleState, PodInfo, "list[NodeInfo]"], "list[Status | None] | None"]


@dataclasses.dataclass
class ScheduleResult:
    """The outcome of one cycle. ``node`` is None when the pod fits nowhere (or on error).

    When the pod fits nowhere, ``statuses`` holds every node's rejecting Status (the
    first rejecting plugin in profile order; preemption reads the codes) and
    ``diagnosis`` the same as reason lists; a successful cycle leaves them empty
    (``evaluated`` still counts the nodes walked). ``state`` and ``pod_info`` are
    what ``preemption.preempt`` continues from.
    """

    node: str | None
    feasible: int = 0
    evaluated: int = 0
    num_nodes: int = 0
    statuses: dict[str, Status] = dataclasses.field(default_factory=dict)
    unschedulable_plugins: set[str] = dataclasses.field(default_factory=set)
    pre_filter_msg: str = ""
    error: str = ""
    pod_info: PodInfo | None = None
    state: CycleState | None = None

    @property
    def diagnosis(self) -> dict[str, list[str]]:
        return {name: list(st.reasons) for name, st in self.statuses.items()}

    def message(self, preemption_msg: str = "") -> str:
        """The FailedScheduling event text (add the ``preemption: ...`` part if there is one)."""
        if self.error:
            return self.error
        return messages.fit_error_message(self.num_nodes, self.statuses, preemption_msg,
                                          self.pre_filter_msg)


def num_feasible_nodes_to_find(percentage: int, num_all_nodes: int) -> int:
    """``numFeasibleNodesToFind``: how many fitting nodes end the Filter walk."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if percentage <= 0:
        percentage = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    n = num_all_nodes * percentage // 100
    return max(n, MIN_FEASIBLE_NODES_TO_FIND)


class Framework:
    """The profile's plugins over one ``ClusterCache``; ``schedule(pod)`` runs a cycle."""

    def __init__(self, profile: Profile = DEFAULT_PROFILE, cache: ClusterCache | None = None,
                 rng: random.Random | None = None,
                 registry: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.profile = profile
        self.cache = cache if cache is not None else ClusterCache()
        self.rng = rng if rng is not None else random.Random(0)
        self.next_start_node_index = 0
        registry = registry if registry is not None else plugins.REGISTRY
        self.plugins: dict[str, Any] = {}
        self._pre_filter: list[tuple[str, Any]] = []
        self._filter: list[tuple[str, FilterFn]] = []
        self._extensions: list[Any] = []
        self._pre_score: list[tuple[str, Any]] = []
        self._score: list[tuple[str, Any, int]] = []
        for spec in profile.plugins:
            factory = registry.get(spec.name)
            if factory is None:
                raise ValueError(f"plugin {spec.name!r} is not registered")
            pl = factory(profile.plugin_args.get(spec.name) or {}, self.cache)
            self.plugins[spec.name] = pl
            off = spec.disabled
            if hasattr(pl, "pre_filter") and "preFilter" not in off and "filter" not in off:
                self._pre_filter.append((spec.name, pl.pre_filter))
            if hasattr(pl, "filter") and "filter" not in off:
                self._filter.append((spec.name, pl.filter))
                if hasattr(pl, "add_pod"):
                    self._extensions.append(pl)
            if hasattr(pl, "score") and "score" not in off and spec.weight:
                if hasattr(pl, "pre_score") and "preScore" not in off:
                    self._pre_score.append((spec.name, pl.pre_score))
                self._score.append((spec.name, pl, spec.weight))

    # --- the cycle -----------------------------------------------------------------------------

    def schedule(self, pod: Mapping[str, Any] | PodInfo) -> ScheduleResult:
        p = PodInfo.of(pod)
        cache = self.cache
        all_nodes = cache.node_list()
        num_all = len(all_nodes)
        if not num_all:
            return ScheduleResult(None, error=messages.NO_NODES_AVAILABLE, pod_info=p)
        state = CycleState()
        result = ScheduleResult(None, num_nodes=num_all, pod_info=p, state=state)

        status, names, narrowed_by = self.run_pre_filter(state, p)
        if status is not None:
            if status.code == Code.ERROR:
                result.error = status.message
                return result
            result.pre_filter_msg = status.message
            result.statuses = {ni.name: status for ni in all_nodes}
            if status.plugin:
                result.unschedulable_plugins.add(status.plugin)
            return result

        if p.nominated_node_name:
            ni = cache.get_node(p.nominated_node_name)
            if ni is not None and self.run_filters(state, p, ni) is None:
                result.node, result.feasible, result.evaluated = ni.name, 1, 1
                return result

        nodes = all_nodes
        if names is not None:
            nodes = [ni for n in sorted(names) if (ni := cache.get_node(n)) is not None]
        feasible, walked, statuses_of, reordered = self._find_feasible(state, p, nodes, num_all)
        result.evaluated = walked
        result.feasible = len(feasible)
        if not feasible:
            statuses = statuses_of()
            if reordered:
                statuses = self._exact_statuses(state, p, statuses)
            errors = [st for st in statuses.values() if st.code == Code.ERROR]
            if errors:
                result.error = errors[0].message
                return result
            result.statuses = statuses
            result.unschedulable_plugins = {st.plugin for st in statuses.values()}
            if names is not None and len(nodes) < num_all:
                absent = unresolvable(f"node(s) didn't satisfy plugin(s) [{' '.join(narrowed_by)}]")
                for ni in all_nodes:
                    statuses.setdefault(ni.name, absent)
            return result
        if len(feasible) == 1:
            result.node = feasible[0].name
            return result
        totals = self._prioritize(state, p, feasible)
        if isinstance(totals, Status):
            result.error = totals.message
            return result
        best = max(totals)
        ties = [i for i, t in enumerate(totals) if t == best]
        pick = ties[0] if len(ties) == 1 else ties[self.rng.randrange(len(ties))]
        result.node = feasible[pick].name
        return result

    def run_pre_filter(self, state: CycleState, p: PodInfo
                       ) -> tuple[Status | None, set[str] | None, list[str]]:
        """(rejection or error, node names to narrow to or None, plugins that narrowed)."""
        names: set[str] | None = None
        narrowed_by: list[str] = []
        for name, fn in self._pre_filter:
            r = fn(state, p)
            if r is None:
                continue
            if isinstance(r, PreFilterResult):
                if r.node_names is not None:
                    narrowed_by.append(name)
                    names = set(r.node_names) if names is None else names & r.node_names
                    if not names:
                        msg = (f"node(s) didn't satisfy plugin {narrowed_by[0]}"
                               if len(narrowed_by) == 1 else
                               f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(narrowed_by))}]"
                               " simultaneously")
                        return Status(Code.UNSCHEDULABLE, msg, plugin=name), None, narrowed_by
                continue
            if r.code == Code.SKIP:
                state.skip_filter.add(name)
            elif r.code != Code.SUCCESS:
                if not r.plugin:
                    r.plugin = name
                return r, None, narrowed_by
        return None, names, sorted(narrowed_by)

    def _find_feasible(self, state: CycleState, p: PodInfo, nodes: list[NodeInfo], num_all: int
                       ) -> tuple[list[NodeInfo], int, Callable[[], dict[str, Status]], bool]:
        """Walk ``nodes`` from the rotating start until enough fit (``findNodesThatPassFilters``).

        Returns (feasible nodes, nodes walked, a function building the rejected nodes'
        statuses, reordered).

        Nodes go through the filters a chunk at a time (each plugin sees the chunk's
        survivors in one call); the walk is cut exactly where a node-by-node walk
        would have stopped, so the feasible nodes and the next start index are the
        same. Whether a node fits does not depend on the order of the filters, so
        the most selective ones for this pod run first; a rejecting status is then
        not necessarily the first plugin's in profile order (``reordered``), and
        ``schedule`` recomputes the statuses when no node fits. Statuses are only
        built when asked for: a successful cycle never needs them.
        """
        n = len(nodes)
        if not n:
            return [], 0, dict, False
        to_find = num_feasible_nodes_to_find(self.profile.percentage_of_nodes_to_score, n)
        start = self.next_start_node_index % n
        order = nodes[start:] + nodes[:start] if start else nodes
        skip = state.skip_filter
        filters = [(name, f) for name, f in self._filter if name not in skip]
        rejects = dict.fromkeys((name for name, _ in filters), 0)
        reordered = False
        special = self.cache.nominated_node_names() if self.cache.has_nominated else None
        feasible: list[NodeInfo] = []
        verdicts: list[tuple[list[NodeInfo], list[Status | None]]] = []  # rejections, lazily read
        overrides: dict[str, Status | None] = {}  # nodes with nominated pods, judged one by one
        pos = 0
        rate = 1.0  # share of nodes that passed so far, sizes the next chunk
        while pos < n and len(feasible) < to_find:
            need = to_find - len(feasible)
            size = min(n - pos, max(int(need / rate * 1.1) + 1, 64))
            chunk = order[pos:pos + size]
            alive = chunk
            for name, f in filters:
                res = f(state, p, alive)
                if res is None or not any(res):  # every node passed
                    continue
                survivors = [ni for ni, st in zip(alive, res, strict=True) if st is None]
                rejects[name] += len(alive) - len(survivors)
                verdicts.append((alive, res))
                alive = survivors
                if not alive:
                    break
            if special and any(ni.name in special for ni in chunk):
                for ni in chunk:
                    if ni.name in special:
                        overrides[ni.name] = self.run_filters(state, p, ni)
                ok = {id(ni) for ni in alive}
                alive = [ni for ni in chunk if (overrides[ni.name] is None if ni.name in special
                                                else id(ni) in ok)]
            if len(alive) >= need:  # stop right after the node that completes the set
                cut = chunk.index(alive[need - 1]) + 1
                feasible.extend(alive[:need])
                pos += cut
                break
            feasible.extend(alive)
            pos += len(chunk)
            rate = max(len(feasible) / pos, 0.02)
            if len(alive) < len(chunk):  # most selective filters first for the rest of the walk
                by_rejects = sorted(filters, key=lambda nf: -rejects[nf[0]])
                reordered = reordered or by_rejects != filters
                filters = by_rejects
        self.next_start_node_index = (self.next_start_node_index + pos) % num_all

        def statuses() -> dict[str, Status]:
            """Every walked node that did not fit -> its status (complete when none fit)."""
            out: dict[str, Status] = {}
            for group, res in verdicts:
                for ni, st in zip(group, res, strict=True):
                    if st is not None:
                        out[ni.name] = st
            for name, st in overrides.items():
                out.pop(name, None)
                if st is not None:
                    out[name] = st
            return out
        return feasible, pos, statuses, reordered

    def _exact_statuses(self, state: CycleState, p: PodInfo, statuses: dict[str, Status]
                        ) -> dict[str, Status]:
        """Each rejected node's status from the first rejecting filter in profile order."""
        cache = self.cache
        special = cache.nominated_node_names() if cache.has_nominated else set()
        out = {name: st for name, st in statuses.items() if name in special}
        alive = [ni for name in statuses if name not in special
                 and (ni := cache.get_node(name)) is not None]
        for name, f in self._filter:
            if name in state.skip_filter or not alive:
                continue
            res = f(state, p, alive)
            if res is None or not any(res):
                continue
            survivors = []
            for ni, st in zip(alive, res, strict=True):
                if st is None:
                    survivors.append(ni)
                else:
                    out[ni.name] = st
            alive = survivors
        return out

    def _prioritize(self, state: CycleState, p: PodInfo, nodes: list[NodeInfo]
                    ) -> list[int] | Status:
        skip = state.skip_score
        for name, fn in self._pre_score:
            st: Status | None = fn(state, p, nodes)
            if st is None:
                continue
            if st.code == Code.SKIP:
                skip.add(name)
            elif st.code != Code.SUCCESS:
                return st
        n = len(nodes)
        totals = [0] * n
        for name, pl, weight in self._score:
            if name in skip:
                continue
            scores: list[int] = pl.score(state, p, nodes)
            normalize = getattr(pl, "normalize_score", None)
            if normalize is not None:
                scores = normalize(state, p, nodes, scores)
            if len(scores) != n:
                raise ValueError(f"{name}: {len(scores)} scores for {n} nodes")
            # the weighted sum node by node, in C (integers: the order of additions is moot)
            if weight != 1:
                scores = list(map(operator.mul, scores, itertools.repeat(weight, n)))
            totals = list(map(operator.add, totals, scores))
        return totals

    def evaluate(self, pod: Mapping[str, Any] | PodInfo) -> dict[str, Status | None]:
        """PreFilter, then every Filter on every node in profile order (no sampling, no
        rotation): node name -> None (fits) or the rejecting Status. For tests and
        ``kubectl``-style explanations."""
        p = PodInfo.of(pod)
        state = CycleState()
        status, names, narrowed_by = self.run_pre_filter(state, p)
        out: dict[str, Status | None] = {}
        for ni in self.cache.node_list():
            if status is not None:
                out[ni.name] = status
            elif names is not None and ni.name not in names:
                out[ni.name] = unresolvable(
                    f"node(s) didn't satisfy plugin(s) [{' '.join(narrowed_by)}]")
            else:
                out[ni.name] = self.run_filters(state, p, ni)
        return out

    def score_nodes(self, pod: Mapping[str, Any] | PodInfo, nodes: list[NodeInfo]
                    ) -> dict[str, dict[str, int]]:
        """Per plugin, per node, the normalized (unweighted) score: for tests and debugging."""
        p = PodInfo.of(pod)
        state = CycleState()
        self.run_pre_filter(state, p)
        for name, fn in self._pre_score:
            st = fn(state, p, nodes)
            if st is not None and st.code == Code.SKIP:
                state.skip_score.add(name)
        out: dict[str, dict[str, int]] = {}
        for name, pl, _ in self._score:
            if name in state.skip_score:
                continue
            scores = pl.score(state, p, nodes)
            normalize = getattr(pl, "normalize_score", None)
            if normalize is not None:
                scores = normalize(state, p, nodes, scores)
            out[name] = {ni.name: s for ni, s in zip(nodes, scores, strict=True)}
        return out

    # --- helpers for preemption and nominated pods ---------------------------------------------

    def run_filter_plugins(self, state: CycleState, p: PodInfo, ni: NodeInfo) -> Status | None:
        """Every enabled, non-skipped Filter on one node; the first rejection."""
        skip = state.skip_filter
        one = [ni]
        for name, f in self._filter:
            if name in skip:
                continue
            res = f(state, p, one)
            if res is not None and res[0] is not None:
                st: Status = res[0]
                if not st.plugin:
                    st.plugin = name
                return st
        return None

    def run_filters(self, state: CycleState, p: PodInfo, ni: NodeInfo) -> Status | None:
        """``RunFilterPluginsWithNominatedPods``: first with the node's nominated pods of at
        least the pod's priority counted on it, then (if that passed) without them."""
        nominated = [q for q in self.cache.nominated_pods(ni.name)
                     if q.priority >= p.priority and q.key != p.key]
        if not nominated:
            return self.run_filter_plugins(state, p, ni)
        state2 = state.clone()
        ni2 = ni.clone()
        for q in nominated:
            q = q.on_node(ni.name)
            ni2.add_pod(q)
            self.add_pod(state2, p, q, ni2)
        st = self.run_filter_plugins(state2, p, ni2)
        if st is not None:
            return st
        return self.run_filter_plugins(state, p, ni)

    def add_pod(self, state: CycleState, p: PodInfo, other: PodInfo, ni: NodeInfo) -> None:
        """PreFilterExtensions.AddPod on every plugin that precomputed cluster-wide state."""
        for pl in self._extensions:
            if pl.NAME not in state.skip_filter:
                pl.add_pod(state, p, other, ni)

    def remove_pod(self, state: CycleState, p: PodInfo, other: PodInfo, ni: NodeInfo) -> None:
        for pl in self._extensions:
            if pl.NAME not in state.skip_filter:
                pl.remove_pod(state, p, other, ni)
