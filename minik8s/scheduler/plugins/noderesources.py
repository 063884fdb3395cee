"""NodeResourcesFit: the pod's requests must fit in what the node has left; score by allocation.

Filter checks the pod count (``Too many pods``), then cpu, memory, ephemeral-storage
and every requested scalar resource (extended resources, hugepages) against
allocatable minus requested, reporting every shortage (``Insufficient cpu``,
``Insufficient nvidia.com/gpu``...) as Unschedulable, so preemption may help.

Score uses ``scoringStrategy`` (default LeastAllocated over cpu and memory, weight 1
each; MostAllocated also supported) on the *non-zero* requests: a container without
a cpu (memory) request counts as 100m (200Mi), so best-effort pods still spread.

Neighbours: ``NodeInfo`` keeps the sums; ``balancedallocation`` scores the same numbers
for balance; kube-scheduler ``plugins/noderesources/fit.go``, ``least_allocated.go``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.scheduler import quantity
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.plugins.helper import MAX_NODE_SCORE
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.status import CycleState, Status, unschedulable

NAME = "NodeResourcesFit"
ERR_REASON_TOO_MANY_PODS = "Too many pods"
LEAST_ALLOCATED, MOST_ALLOCATED = "LeastAllocated", "MostAllocated"
DEFAULT_RESOURCES = (("cpu", 1), ("memory", 1))


def insufficient(resource: str) -> str:
    return f"Insufficient {resource}"


def is_extended(name: str) -> bool:
    """``IsExtendedResourceName``: domain-prefixed, not kubernetes.io, not a hugepage."""
    return "/" in name and "kubernetes.io/" not in name and not name.startswith("hugepages-")


def node_amount(ni: NodeInfo, name: str, nonzero: bool) -> tuple[int, int]:
    """(allocatable, requested) of one resource on the node."""
    if name == "cpu":
        return ni.alloc_cpu, ni.nz_cpu if nonzero else ni.req_cpu
    if name == "memory":
        return ni.alloc_mem, ni.nz_mem if nonzero else ni.req_mem
    if name == "ephemeral-storage":
        return ni.alloc_eph, ni.req_eph
    return ni.alloc_scalars.get(name, 0), ni.req_scalars.get(name, 0)


def pod_amount(p: PodInfo, name: str, nonzero: bool) -> int:
    if name == "cpu":
        return p.nz_cpu if nonzero else p.cpu
    if name == "memory":
        return p.nz_mem if nonzero else p.mem
    if name == "ephemeral-storage":
        return p.eph
    return p.scalars.get(name, 0)


def resource_score(p: PodInfo, ni: NodeInfo, resources: tuple[tuple[str, int], ...],
                   most: bool) -> int:
    """Weighted mean of per-resource scores; resources the node lacks (or the pod does not
    request, for scalars) are left out."""
    total = weights = 0
    for name, weight in resources:
        req = pod_amount(p, name, True)
        if req == 0 and quantity.is_scalar_resource(name):
            continue
        alloc, used = node_amount(ni, name, True)
        if alloc == 0:
            continue
        used += req
        if most:
            s = min(used, alloc) * MAX_NODE_SCORE // alloc
        else:
            s = 0 if used > alloc else (alloc - used) * MAX_NODE_SCORE // alloc
        total += s * weight
        weights += weight
    return total // weights if weights else 0


class NodeResourcesFit:
    """Args: ``scoringStrategy: {type, resources: [{name, weight}]}``, ``ignoredResources``,
    ``ignoredResourceGroups`` (extended resources the filter does not check)."""

    NAME = NAME

    def __init__(self, args: Mapping[str, Any], cache: Any) -> None:
        strategy = args.get("scoringStrategy") or {}
        self.strategy = str(strategy.get("type") or LEAST_ALLOCATED)
        if self.strategy not in (LEAST_ALLOCATED, MOST_ALLOCATED):
            raise ValueError(f"scoring strategy {self.strategy} is not supported")
        self.resources = tuple((str(r["name"]), int(r.get("weight") or 1))
                               for r in strategy.get("resources") or ()) or DEFAULT_RESOURCES
        self.ignored = frozenset(args.get("ignoredResources") or ())
        self.ignored_groups = frozenset(args.get("ignoredResourceGroups") or ())
        self._statuses: dict[tuple[str, ...], Status] = {}
        self.cache = cache

    def _scalars(self, pod: PodInfo) -> tuple[tuple[str, int], ...]:
        out = []
        for name, v in sorted(pod.scalars.items()):
            if is_extended(name) and (name in self.ignored
                                      or name.split("/", 1)[0] in self.ignored_groups):
                continue
            out.append((name, v))
        return tuple(out)

    def filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
               ) -> list[Status | None] | None:
        cpu, mem, eph = pod.cpu, pod.mem, pod.eph
        check = self._check
        if pod.scalars or eph:
            return [check(pod, ni) for ni in nodes]
        # the common shape inlined: pod count, cpu and memory (a zero request always fits)
        if cpu and mem:
            return [None if ni.free_pods > 0 and cpu <= ni.free_cpu and mem <= ni.free_mem
                    else check(pod, ni) for ni in nodes]
        return [None if (ni.free_pods > 0 and (not cpu or cpu <= ni.free_cpu)
                         and (not mem or mem <= ni.free_mem)) else check(pod, ni)
                for ni in nodes]

    def _check(self, pod: PodInfo, node: NodeInfo) -> Status | None:
        """``fitsRequest``: every shortage on one node."""
        cpu, mem, eph = pod.cpu, pod.mem, pod.eph
        reasons: list[str] = []
        if len(node.pods) + 1 > node.alloc_pods:
            reasons.append(ERR_REASON_TOO_MANY_PODS)
        if cpu and cpu > node.alloc_cpu - node.req_cpu:
            reasons.append("Insufficient cpu")
        if mem and mem > node.alloc_mem - node.req_mem:
            reasons.append("Insufficient memory")
        if eph and eph > node.alloc_eph - node.req_eph:
            reasons.append("Insufficient ephemeral-storage")
        for name, v in self._scalars(pod):
            if v > node.alloc_scalars.get(name, 0) - node.req_scalars.get(name, 0):
                reasons.append(insufficient(name))
        if not reasons:
            return None
        key = tuple(reasons)
        st = self._statuses.get(key)
        if st is None:
            st = self._statuses[key] = unschedulable(*reasons, plugin=NAME)
        return st

    def score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        if self.strategy == LEAST_ALLOCATED and self.resources == DEFAULT_RESOURCES:
            node_scores = getattr(self.cache, "node_scores", None)
            if node_scores is None:
                return self._least_cpu_memory(pod, nodes)
            # a node's score follows its own sums: the cache rescores only the changed nodes
            least = self._least_cpu_memory
            return node_scores(nodes, (NAME, pod.nz_cpu, pod.nz_mem),  # type: ignore[no-any-return]
                               lambda ns: least(pod, ns), lambda ni: least(pod, [ni])[0])
        most = self.strategy == MOST_ALLOCATED
        return [resource_score(pod, ni, self.resources, most) for ni in nodes]

    @staticmethod
    def _least_cpu_memory(pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        """LeastAllocated over cpu and memory with weight 1 each: the default, inlined."""
        pc, pm = pod.nz_cpu, pod.nz_mem
        try:
            return [((0 if (rc := ni.nz_cpu + pc) > (ac := ni.alloc_cpu)
                      else (ac - rc) * 100 // ac)
                     + (0 if (rm := ni.nz_mem + pm) > (am := ni.alloc_mem)
                        else (am - rm) * 100 // am)) // 2 for ni in nodes]
        except ZeroDivisionError:  # a node without cpu or memory: score what it has
            return [resource_score(pod, ni, DEFAULT_RESOURCES, False) for ni in nodes]
