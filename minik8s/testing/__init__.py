"""minik8s.testing: the pytest plugin, cluster handles, hypothesis strategies, state machines.

``TestCluster``/``AsyncTestCluster`` and ``load_manifests`` import eagerly. The hypothesis
parts (``strategies``, ``invariants``, ``ClusterMachine``, ``convergence_check``) load on first use,
so the pytest plugin works where hypothesis is not installed.
"""

from __future__ import annotations

import importlib
from typing import Any

from minik8s.testing.cluster import AsyncTestCluster, TestCluster, load_manifests

__all__ = [
    "AsyncTestCluster",
    "ClusterMachine",
    "TestCluster",
    "convergence_check",
    "invariants",
    "load_manifests",
    "strategies",
]

_LAZY = {"strategies": ("minik8s.testing.strategies", None),
         "invariants": ("minik8s.testing.invariants", None),
         "ClusterMachine": ("minik8s.testing.stateful", "ClusterMachine"),
         "convergence_check": ("minik8s.testing.stateful", "convergence_check")}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'minik8s.testing' has no attribute {name!r}")
    module, attr = _LAZY[name]
    mod = importlib.import_module(module)
    return mod if attr is None else getattr(mod, attr)
