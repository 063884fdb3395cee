"""The scheduler's plugins, one module per rule, looked up by name from the profile.

Neighbours: ``framework.Framework`` instantiates ``REGISTRY[name](args, cache)``;
``profile`` lists the names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minik8s.scheduler.plugins import (
    balancedallocation,
    interpodaffinity,
    nodeaffinity,
    nodename,
    nodeports,
    noderesources,
    nodeunschedulable,
    podtopologyspread,
    queuesort,
    tainttoleration,
    volumebinding,
)

REGISTRY: dict[str, Callable[..., Any]] = {
    nodeunschedulable.NAME: nodeunschedulable.NodeUnschedulable,
    nodename.NAME: nodename.NodeName,
    tainttoleration.NAME: tainttoleration.TaintToleration,
    nodeaffinity.NAME: nodeaffinity.NodeAffinity,
    nodeports.NAME: nodeports.NodePorts,
    noderesources.NAME: noderesources.NodeResourcesFit,
    volumebinding.NAME: volumebinding.VolumeBinding,
    podtopologyspread.NAME: podtopologyspread.PodTopologySpread,
    interpodaffinity.NAME: interpodaffinity.InterPodAffinity,
    balancedallocation.NAME: balancedallocation.NodeResourcesBalancedAllocation,
}

__all__ = ["REGISTRY", "balancedallocation", "interpodaffinity", "nodeaffinity", "nodename",
           "nodeports", "noderesources", "nodeunschedulable", "podtopologyspread", "queuesort",
           "tainttoleration", "volumebinding"]
