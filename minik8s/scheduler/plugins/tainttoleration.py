"""TaintToleration: NoSchedule/NoExecute taints need a toleration; PreferNoSchedule ones
cost score.

Filter rejects with the first untolerated hard taint, ``node(s) had untolerated taint
{key: value}`` (UnschedulableAndUnresolvable). Score counts the PreferNoSchedule taints
the pod does not tolerate (only tolerations with effect PreferNoSchedule or empty
count), normalized in reverse: the fewest wins.

Neighbours: ``podinfo.Toleration.tolerates``; kube-scheduler ``plugins/tainttoleration``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.memo import remember
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.plugins.helper import default_normalize_score
from minik8s.scheduler.podinfo import PodInfo, Taint, Toleration, tolerated
from minik8s.scheduler.status import CycleState, Status, unresolvable

NAME = "TaintToleration"
ERR_REASON_UNTOLERATED = "node(s) had untolerated taint {%s: %s}"
PRE_SCORE_KEY = "PreScore" + NAME


def untolerated_taint(taints: tuple[Taint, ...], tolerations: tuple[Toleration, ...]
                      ) -> Taint | None:
    """``FindMatchingUntoleratedTaint`` over already-filtered taints."""
    for taint in taints:
        if not tolerated(tolerations, taint):
            return taint
    return None


class TaintToleration:
    NAME = NAME

    def __init__(self, args: Mapping[str, Any], cache: Any) -> None:
        self._rejections: dict[tuple[str, str], Status] = {}

    def filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
               ) -> list[Status | None] | None:
        verdicts: dict[tuple[Taint, ...], Status | None] = {}  # nodes often share their taints

        def verdict(taints: tuple[Taint, ...]) -> Status | None:
            if taints not in verdicts:
                taint = untolerated_taint(taints, pod.tolerations)
                verdicts[taints] = None if taint is None else self._rejection(taint)
            return verdicts[taints]
        return [verdict(ni.hard_taints) if ni.hard_taints else None for ni in nodes]

    def _rejection(self, taint: Taint) -> Status:
        st = self._rejections.get((taint.key, taint.value))
        if st is None:
            st = remember(self._rejections, (taint.key, taint.value), unresolvable(
                ERR_REASON_UNTOLERATED % (taint.key, taint.value), plugin=NAME), 1024)
        return st

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        state.write(PRE_SCORE_KEY, tuple(t for t in pod.tolerations
                                         if t.effect in ("", "PreferNoSchedule")))
        return None

    def score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        tols = state.read(PRE_SCORE_KEY)
        return [sum(1 for t in ni.prefer_taints if not tolerated(tols, t))
                if ni.prefer_taints else 0 for ni in nodes]

    def normalize_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo],
                        scores: list[int]) -> list[int]:
        return default_normalize_score(scores, reverse=True)
