"""NodeName: a pod that names its node (``spec.nodeName``) fits only there.

Neighbours: framework (Filter); kube-scheduler ``plugins/nodename``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.status import SKIP, CycleState, Status, unresolvable

NAME = "NodeName"
ERR_REASON = "node(s) didn't match the requested node name"
_REJECT = unresolvable(ERR_REASON, plugin=NAME)


class NodeName:
    NAME = NAME

    def __init__(self, args: Mapping[str, Any], cache: Any) -> None:
        pass

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        return None if pod.node_name else SKIP

    def filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
               ) -> list[Status | None] | None:
        want = pod.node_name
        if not want:
            return None
        return [None if ni.name == want else _REJECT for ni in nodes]
