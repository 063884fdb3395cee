"""NodeUnschedulable: cordoned nodes (``spec.unschedulable``) take only pods that tolerate
``node.kubernetes.io/unschedulable:NoSchedule``.

Neighbours: framework (Filter); kube-scheduler ``plugins/nodeunschedulable``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.podinfo import PodInfo, Taint, tolerated
from minik8s.scheduler.status import CycleState, Status, unresolvable

NAME = "NodeUnschedulable"
ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
TAINT_UNSCHEDULABLE = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")
_REJECT = unresolvable(ERR_REASON_UNSCHEDULABLE, plugin=NAME)


class NodeUnschedulable:
    NAME = NAME

    def __init__(self, args: Mapping[str, Any], cache: Any) -> None:
        pass

    def filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
               ) -> list[Status | None] | None:
        if tolerated(pod.tolerations, TAINT_UNSCHEDULABLE):
            return None
        return [_REJECT if ni.unschedulable else None for ni in nodes]
