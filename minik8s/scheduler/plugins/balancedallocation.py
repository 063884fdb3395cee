"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory fill up evenly.

Score is ``(1 - std) * 100`` of the requested/allocatable fractions (each capped at 1)
after adding the pod's actual requests (not the non-zero defaults). A pod that
requests none of the resources skips scoring.

Neighbours: ``noderesources`` (same sums); kube-scheduler
``plugins/noderesources/balanced_allocation.go``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from minik8s.scheduler import quantity
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.plugins.helper import MAX_NODE_SCORE
from minik8s.scheduler.plugins.noderesources import node_amount, pod_amount
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.status import SKIP, CycleState, Status

NAME = "NodeResourcesBalancedAllocation"
DEFAULT_RESOURCES = ("cpu", "memory")


def balanced_score(fractions: list[float]) -> int:
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) * (f - mean) for f in fractions) / len(fractions))
    else:
        std = 0.0
    return int((1 - std) * MAX_NODE_SCORE)


class NodeResourcesBalancedAllocation:
    """Args: ``resources: [{name, weight}]`` (weights are accepted and unused, as upstream)."""

    NAME = NAME

    def __init__(self, args: Mapping[str, Any], cache: Any) -> None:
        self.resources = tuple(str(r["name"]) for r in args.get("resources") or ()) \
            or DEFAULT_RESOURCES
        self.cache = cache

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        if not any(pod_amount(pod, r, False) for r in self.resources):
            return SKIP  # a best-effort pod has nothing to balance
        return None

    def score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        node_scores = getattr(self.cache, "node_scores", None)
        if node_scores is None:
            return self._scores(pod, nodes)
        # a node's score follows its own sums: the cache rescores only the changed nodes
        return node_scores(nodes, (NAME, self.resources, pod.cpu, pod.mem,  # type: ignore[no-any-return]
                                   tuple(sorted(pod.scalars.items())), pod.eph),
                           lambda ns: self._scores(pod, ns), lambda ni: self._scores(pod, [ni])[0])

    def _scores(self, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        if self.resources == DEFAULT_RESOURCES:
            pc, pm = pod.cpu, pod.mem
            try:  # cpu and memory fractions, each capped at 1; std of two = half their gap
                return [int((1 - abs(((fc if (fc := (ni.req_cpu + pc) / ni.alloc_cpu) < 1.0
                                       else 1.0)
                                      - (fm if (fm := (ni.req_mem + pm) / ni.alloc_mem) < 1.0
                                         else 1.0)) / 2)) * MAX_NODE_SCORE) for ni in nodes]
            except ZeroDivisionError:
                pass
        return [self._score(pod, ni) for ni in nodes]

    def _score(self, pod: PodInfo, ni: NodeInfo) -> int:
        fractions = []
        for name in self.resources:
            req = pod_amount(pod, name, False)
            if req == 0 and quantity.is_scalar_resource(name):
                continue
            alloc, used = node_amount(ni, name, False)
            if alloc == 0:
                continue
            fractions.append(min((used + req) / alloc, 1.0))
        return balanced_score(fractions)
