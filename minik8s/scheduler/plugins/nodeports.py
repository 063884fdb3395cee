"""NodePorts: a pod's hostPorts must be free on the node (0.0.0.0 clashes with any address).

Neighbours: ``NodeInfo.port_conflict``; kube-scheduler ``plugins/nodeports``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.status import SKIP, CycleState, Status, unschedulable

NAME = "NodePorts"
ERR_REASON = "node(s) didn't have free ports for the requested pod ports"
_REJECT = unschedulable(ERR_REASON, plugin=NAME)


class NodePorts:
    NAME = NAME

    def __init__(self, args: Mapping[str, Any], cache: Any) -> None:
        pass

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        return None if pod.host_ports else SKIP

    def filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
               ) -> list[Status | None] | None:
        ports = pod.host_ports
        return [_REJECT if ni.ports and any(ni.port_conflict(*hp) for hp in ports) else None
                for ni in nodes]
