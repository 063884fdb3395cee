"""VolumeBinding: a hook for the storage work.

Pods without PersistentVolumeClaims skip it. Otherwise PreFilter asks the cache's
``claims_checker(pod)`` (e.g. ``pod has unbound immediate PersistentVolumeClaims``,
``persistentvolumeclaim "x" not found``: UnschedulableAndUnresolvable for the
whole cycle) and Filter asks ``volume_checker(pod, node)`` for per-node reasons
(e.g. ``node(s) didn't find available persistent volumes to bind``,
``node(s) had volume node affinity conflict``). Both default to "all fine".

Neighbours: ``cache.ClusterCache`` holds the checkers; kube-scheduler ``plugins/volumebinding``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.status import SKIP, CycleState, Status, unresolvable

NAME = "VolumeBinding"
ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
ERR_REASON_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_REASON_NOT_ENOUGH_SPACE = "node(s) did not have enough free storage"
ERR_REASON_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"


def claim_not_found(name: str) -> str:
    return f'persistentvolumeclaim "{name}" not found'


class VolumeBinding:
    NAME = NAME

    def __init__(self, args: Mapping[str, Any], cache: Any) -> None:
        self.cache = cache

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        if not pod.pvc_names:
            return SKIP
        check = self.cache.claims_checker
        reason = check(pod) if check is not None else None
        if reason:
            return unresolvable(reason, plugin=NAME)
        if self.cache.volume_checker is None:
            return SKIP
        return None

    def filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
               ) -> list[Status | None] | None:
        check = self.cache.volume_checker
        return [unresolvable(*reasons, plugin=NAME) if (reasons := check(pod, ni)) else None
                for ni in nodes]
