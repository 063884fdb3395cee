"""NodeAffinity: ``spec.nodeSelector`` and required node affinity filter; preferred terms score.

PreFilter skips pods with neither; pods pinned by ``matchFields metadata.name In``
(DaemonSet pods) narrow the walk to those nodes. Filter rejects with ``node(s) didn't
match Pod's node affinity/selector`` (UnschedulableAndUnresolvable). Score sums the
weights of matching preferred terms, normalized so the best node gets 100.

Neighbours: ``nodeselector`` (matching); kube-scheduler ``plugins/nodeaffinity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.scheduler import nodeselector
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.plugins.helper import default_normalize_score
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.status import SKIP, CycleState, PreFilterResult, Status, unresolvable

NAME = "NodeAffinity"
ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity"
ERR_REASON_CONFLICT = "pod affinity terms conflict"
PRE_FILTER_KEY = "PreFilter" + NAME
PRE_SCORE_KEY = "PreScore" + NAME
_REJECT = unresolvable(ERR_REASON_POD, plugin=NAME)
_REJECT_ENFORCED = unresolvable(ERR_REASON_ENFORCED, plugin=NAME)


class NodeAffinity:
    """Args: ``addedAffinity`` (a NodeAffinity applied to every pod of the profile)."""

    NAME = NAME

    def __init__(self, args: Mapping[str, Any], cache: Any) -> None:
        added = args.get("addedAffinity") or {}
        req = added.get("requiredDuringSchedulingIgnoredDuringExecution")
        self._added = (nodeselector.RequiredNodeAffinity({"affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": req}}}) if req else None)
        pref = added.get("preferredDuringSchedulingIgnoredDuringExecution")
        self._added_pref = nodeselector.PreferredTerms(pref) if pref else None

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | PreFilterResult | None:
        required = nodeselector.RequiredNodeAffinity(pod.spec)
        if required.empty and self._added is None:
            return SKIP
        state.write(PRE_FILTER_KEY, required)
        names = nodeselector.required_node_names(pod.spec)
        if names is None:
            return None
        if not names:
            return unresolvable(ERR_REASON_CONFLICT, plugin=NAME)
        return PreFilterResult(names)

    def filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
               ) -> list[Status | None] | None:
        required: nodeselector.RequiredNodeAffinity = state.data[PRE_FILTER_KEY]
        added = self._added
        if added is None:
            by_labels = required.label_matcher()
            if by_labels is not None:
                return [None if by_labels(ni.labels) else _REJECT for ni in nodes]
        return [_REJECT_ENFORCED if added is not None and not added.matches(ni.name, ni.labels)
                else None if required.matches(ni.name, ni.labels) else _REJECT for ni in nodes]

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        raw = (((pod.spec.get("affinity") or {}).get("nodeAffinity") or {})
               .get("preferredDuringSchedulingIgnoredDuringExecution"))
        if not raw and self._added_pref is None:
            return SKIP
        state.write(PRE_SCORE_KEY, nodeselector.PreferredTerms(raw))
        return None

    def score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        terms: nodeselector.PreferredTerms = state.read(PRE_SCORE_KEY)
        added = self._added_pref
        scores = [terms.score(ni.name, ni.labels) for ni in nodes]
        if added is not None:
            scores = [s + added.score(ni.name, ni.labels)
                      for s, ni in zip(scores, nodes, strict=True)]
        return scores

    def normalize_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo],
                        scores: list[int]) -> list[int]:
        return default_normalize_score(scores)
