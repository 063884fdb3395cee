"""DefaultPreemption (PostFilter): make room for a pod that fits nowhere by evicting lower
priorities.

``preempt(framework, result)`` continues from a failed ``ScheduleResult``:

1. the pod must be eligible (``preemptionPolicy: Never`` is not; nor is a pod whose
   nominated node still has a victim terminating);
2. candidate nodes are those whose Filter status was Unschedulable (not
   UnschedulableAndUnresolvable), tried from a random offset until enough
   candidates are found (10% of them, at least 100);
3. per node (``select_victims_on_node``): remove every lower-priority pod, check
   the pod fits, then reprieve victims from the most important down (PDB-violating
   ones first) as long as the pod still fits;
4. the node is picked by: fewest PDB violations, lowest highest-victim priority,
   lowest priority sum, fewest victims, latest start of the highest-priority
   victims, first found.

The result names the node and the victims (the controller deletes them and sets
``status.nominatedNodeName``), or carries the ``preemption: 0/3 nodes are available:
...`` text for the FailedScheduling event.

Neighbours: ``framework`` (``run_filters``, PreFilter extensions), ``messages``;
kube-scheduler ``framework/preemption`` and ``plugins/defaultpreemption``.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from minik8s.api import selectors
from minik8s.scheduler.framework import Framework, ScheduleResult
from minik8s.scheduler.messages import fit_error_message
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.status import Code, CycleState, Status, unresolvable

MIN_CANDIDATE_NODES_PERCENTAGE = 10
MIN_CANDIDATE_NODES_ABSOLUTE = 100
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_ELIGIBLE_NEVER = "not eligible due to preemptionPolicy=Never."
NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."
_MAX_INT32 = 2**31 - 1


@dataclasses.dataclass
class PreemptionResult:
    """``node`` and ``victims`` (PodInfos; ``.pod`` is the dict) when preemption helps;
    otherwise ``message`` is the "preemption: ..." text. ``nominated_to_clear`` are
    lower-priority pods nominated to ``node`` whose nomination should be cleared."""

    node: str | None = None
    victims: list[PodInfo] = dataclasses.field(default_factory=list)
    message: str = ""
    nominated_to_clear: list[PodInfo] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Candidate:
    node: str
    victims: list[PodInfo]
    pdb_violations: int


def more_important(a: PodInfo, b: PodInfo) -> bool:
    """``util.MoreImportantPod``: higher priority, then the one that started earlier."""
    if a.priority != b.priority:
        return a.priority > b.priority
    return (a.start_time or "~") < (b.start_time or "~")


def _importance_key(p: PodInfo) -> tuple[int, str]:
    return (-p.priority, p.start_time or "~")


def _terminating_by_preemption(p: PodInfo) -> bool:
    if not p.terminating:
        return False
    for c in (p.pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "DisruptionTarget":
            return bool(c.get("status") == "True" and c.get("reason") == "PreemptionByScheduler")
    return False


@dataclasses.dataclass
class _Budget:
    namespace: str
    selector: selectors.LabelSelector
    allowed: int
    disrupted: Mapping[str, Any]


def split_by_pdb(pods: list[PodInfo], pdbs: Iterable[Mapping[str, Any]]
                 ) -> tuple[list[PodInfo], list[PodInfo]]:
    """``filterPodsWithPDBViolation``: (violating, non-violating), order kept."""
    budgets: list[_Budget] = []
    for pdb in pdbs:
        meta, spec = pdb.get("metadata") or {}, pdb.get("spec") or {}
        status = pdb.get("status") or {}
        try:
            sel = selectors.label_selector_from_dict(spec.get("selector"))
        except selectors.SelectorError:
            continue
        budgets.append(_Budget(str(meta.get("namespace") or "default"), sel,
                               int(status.get("disruptionsAllowed") or 0),
                               status.get("disruptedPods") or {}))
    violating: list[PodInfo] = []
    ok: list[PodInfo] = []
    for p in pods:
        bad = False
        if p.labels:
            for b in budgets:
                sel = b.selector
                if b.namespace != p.namespace or sel.empty or sel.is_nothing \
                        or not sel.matches(p.labels):
                    continue
                if p.name in b.disrupted:
                    continue  # already being disrupted: the budget counted it
                b.allowed -= 1
                if b.allowed < 0:
                    bad = True
        (violating if bad else ok).append(p)
    return violating, ok


def select_victims_on_node(fw: Framework, state: CycleState, pod: PodInfo, node: NodeInfo,
                           pdbs: Iterable[Mapping[str, Any]] = ()
                           ) -> tuple[list[PodInfo], int, Status | None]:
    """``SelectVictimsOnNode`` on copies of the node and the cycle state."""
    ni = node.clone()
    st = state.clone()
    potential = [q for q in ni.pods.values() if q.priority < pod.priority]
    for q in potential:
        ni.remove_pod(q)
        fw.remove_pod(st, pod, q, ni)
    if not potential:
        return [], 0, unresolvable(NO_VICTIMS)
    status = fw.run_filters(st, pod, ni)
    if status is not None:
        return [], 0, status
    potential.sort(key=_importance_key)
    violating, non_violating = split_by_pdb(potential, pdbs)
    victims: list[PodInfo] = []

    def reprieve(q: PodInfo) -> bool:
        ni.add_pod(q)
        fw.add_pod(st, pod, q, ni)
        if fw.run_filters(st, pod, ni) is None:
            return True
        ni.remove_pod(q)
        fw.remove_pod(st, pod, q, ni)
        victims.append(q)
        return False

    num_violating = sum(1 for q in violating if not reprieve(q))
    for q in non_violating:
        reprieve(q)
    if violating and non_violating:
        victims.sort(key=_importance_key)
    return victims, num_violating, None


def pick_one_node(candidates: list[_Candidate]) -> _Candidate:
    """``pickOneNodeForPreemption``."""
    def highest(c: _Candidate) -> int:
        return c.victims[0].priority

    def earliest_start_of_highest(c: _Candidate) -> str:
        top = highest(c)
        return min((v.start_time or "~") for v in c.victims if v.priority == top)

    rules: list[Callable[[_Candidate], int]] = [
        lambda c: -c.pdb_violations,
        lambda c: -highest(c),
        lambda c: -sum(v.priority + _MAX_INT32 + 1 for v in c.victims),
        lambda c: -len(c.victims),
    ]
    left = candidates
    for rule in rules:
        best = max(rule(c) for c in left)
        left = [c for c in left if rule(c) == best]
        if len(left) == 1:
            return left[0]
    latest = max(earliest_start_of_highest(c) for c in left)
    return next(c for c in left if earliest_start_of_highest(c) == latest)


def _not_helpful(num_nodes: int, statuses: Mapping[str, Status]) -> str:
    diagnosis: dict[str, Any] = dict(statuses)
    for i in range(num_nodes - len(statuses)):
        diagnosis[f"\x00absent-{i}"] = (NOT_HELPFUL,)
    return "preemption: " + fit_error_message(num_nodes, diagnosis)


def preempt(fw: Framework, result: ScheduleResult, pdbs: Iterable[Mapping[str, Any]] = (),
            rng: random.Random | None = None) -> PreemptionResult:
    """Try to make room for ``result.pod_info`` (a cycle that found no node)."""
    pod, state = result.pod_info, result.state
    if pod is None or state is None:
        return PreemptionResult(message="")
    if pod.preemption_policy == "Never":
        return PreemptionResult(message="preemption: " + NOT_ELIGIBLE_NEVER)
    cache = fw.cache
    nominated = pod.nominated_node_name
    if nominated:
        nst = result.statuses.get(nominated)
        ni = cache.get_node(nominated)
        if (nst is None or nst.code != Code.UNSCHEDULABLE_AND_UNRESOLVABLE) and ni is not None:
            for q in ni.pods.values():
                if q.priority < pod.priority and _terminating_by_preemption(q):
                    return PreemptionResult(message="preemption: " + NOT_ELIGIBLE_TERMINATING)
    all_nodes = cache.node_list()
    num_nodes = len(all_nodes)
    potential = [] if result.pre_filter_msg else [
        ni for ni in all_nodes
        if (st := result.statuses.get(ni.name)) is not None and st.code == Code.UNSCHEDULABLE]
    if not potential:
        return PreemptionResult(message=_not_helpful(num_nodes, {}))
    pdbs = list(pdbs)
    rng = rng if rng is not None else fw.rng
    offset = rng.randrange(len(potential))
    wanted = min(max(len(potential) * MIN_CANDIDATE_NODES_PERCENTAGE // 100,
                     MIN_CANDIDATE_NODES_ABSOLUTE), len(potential))
    non_violating: list[_Candidate] = []
    violating: list[_Candidate] = []
    statuses: dict[str, Status] = {}
    for i in range(len(potential)):
        ni = potential[(offset + i) % len(potential)]
        victims, n_bad, status = select_victims_on_node(fw, state, pod, ni, pdbs)
        if status is None and victims:
            (non_violating if n_bad == 0 else violating).append(_Candidate(ni.name, victims, n_bad))
            if non_violating and len(non_violating) + len(violating) >= wanted:
                break
            continue
        if status is None:
            status = Status(Code.ERROR, f'expected at least one victim pod on node "{ni.name}"')
        statuses[ni.name] = status
    candidates = non_violating + violating
    if not candidates:
        return PreemptionResult(message=_not_helpful(num_nodes, statuses))
    best = pick_one_node(candidates)
    clear = [q for q in cache.nominated_pods(best.node) if q.priority < pod.priority]
    return PreemptionResult(node=best.node, victims=best.victims, nominated_to_clear=clear)
