"""``ClusterCache.node_scores``: NodeResourcesFit and BalancedAllocation scores kept between
cycles must equal scoring every node afresh, whatever pods and nodes did in between."""

from __future__ import annotations

import random
from typing import Any

from minik8s.scheduler.cache import ClusterCache
from minik8s.scheduler.plugins.balancedallocation import NodeResourcesBalancedAllocation
from minik8s.scheduler.plugins.noderesources import NodeResourcesFit
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.status import CycleState


def node(name: str, cpu: str, memory: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"}}}


def pod(i: int, cpu: str | None, memory: str | None, node_name: str = "") -> dict[str, Any]:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    spec: dict[str, Any] = {"containers": [{"name": "c", "resources": {"requests": requests}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {"metadata": {"name": f"p{i}", "namespace": "default", "uid": f"u{i}"}, "spec": spec}


SHAPES = [("100m", "200Mi"), ("1", None), (None, "1Gi"), (None, None), ("250m", "64Mi")]


def test_kept_scores_match_fresh_ones() -> None:
    rng = random.Random(3)
    cache = ClusterCache()
    names = [f"n{i}" for i in range(12)]
    for name in names:
        cache.add_node(node(name, rng.choice(["2", "4", "0"]), rng.choice(["4Gi", "8Gi"])))
    cached = [NodeResourcesFit({}, cache), NodeResourcesBalancedAllocation({}, cache)]
    fresh = [NodeResourcesFit({}, None), NodeResourcesBalancedAllocation({}, None)]
    bound: list[dict[str, Any]] = []
    for i in range(400):
        action = rng.random()
        if action < 0.4:
            p = pod(i, *rng.choice(SHAPES), node_name=rng.choice(names))
            cache.add_pod(p)
            bound.append(p)
        elif action < 0.55 and bound:
            cache.remove_pod(bound.pop(rng.randrange(len(bound))))
        elif action < 0.65:
            cache.assume(pod(i, *rng.choice(SHAPES)), rng.choice(names))
        elif action < 0.7:
            name = rng.choice(names)
            cache.update_node(node(name, rng.choice(["2", "4", "8"]), rng.choice(["4Gi", "16Gi"])))
        nodes = list(cache.node_list())
        k = rng.randrange(len(nodes))
        nodes = nodes[k:] + nodes[:k] if rng.random() < 0.7 else rng.sample(nodes, len(nodes) // 2)
        p = PodInfo.of(pod(10_000 + i, *rng.choice(SHAPES)))
        for c, f in zip(cached, fresh, strict=True):
            assert c.score(CycleState(), p, nodes) == f.score(CycleState(), p, nodes), (i, c.NAME)
