"""Controller throughput under the virtual clock (wall time; the cluster's own time does not pass).

- a Deployment of 1,000 replicas from create to all pods Running (target ≤ 2 s)
- 1,000 Deployments of 10 replicas (10k pods) converged (target ≤ 10 s; KWOK's CI allows 60 s)
- one hour of HPA behaviour: 240 syncs through metrics, HPA, scale, Deployment, ReplicaSet, pods
  (target ≤ 50 ms)
- reconciles per controller in each run

    python -m bench.controllers_bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from typing import Any

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig, NodeConfig


def deployment(name: str, replicas: int, cpu: str = "1m") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{
                         "name": "c", "image": "nginx:1.27", "resources": {"requests": {"cpu": cpu}}}]}}}}


def big_cluster(workers: int) -> ClusterConfig:
    nodes = [NodeConfig("minik8s-control-plane", role="control-plane")]
    nodes += [NodeConfig(f"worker-{i}", capacity={"pods": "1000", "cpu": "1000"}) for i in range(workers)]
    cfg = ClusterConfig(nodes=nodes)
    cfg.components = {"kubelet": {"events": False}}
    return cfg


async def running(c: Cluster) -> int:
    return sum(1 for p in c.store.resource("pods").objects.values()
               if (p.get("status") or {}).get("phase") == "Running")


async def one_big_deployment(n: int) -> dict[str, Any]:
    async with Cluster(big_cluster(10), clock="virtual", serve=False) as c:
        gc.collect()
        t = time.perf_counter()
        c.client.create(deployment("web", n))
        await c.settle(timeout=600)
        wall = time.perf_counter() - t
        ok = await running(c)
        return {"bench": f"Deployment of {n} replicas → all Running", "wall_s": round(wall, 3),
                "running": ok, "target_s": 2.0 if n == 1000 else None,
                "reconciles": {k: v["reconciles"] for k, v in c.manager.stats().items() if v["reconciles"]}}


async def many_deployments(n: int, replicas: int) -> dict[str, Any]:
    async with Cluster(big_cluster(20), clock="virtual", serve=False) as c:
        gc.collect()
        t = time.perf_counter()
        for i in range(n):
            c.client.create(deployment(f"d{i}", replicas))
        await c.settle(timeout=1200)
        wall = time.perf_counter() - t
        return {"bench": f"{n} Deployments × {replicas} replicas → all Running", "wall_s": round(wall, 3),
                "running": await running(c), "target_s": 10.0 if n * replicas == 10_000 else None}


async def hpa_hour() -> dict[str, Any]:
    async with Cluster(clock="virtual", serve=False) as c:
        c.client.create(deployment("web", 1, cpu="200m"))
        c.client.create({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                         "metadata": {"name": "web", "namespace": "default"},
                         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                                  "minReplicas": 1, "maxReplicas": 10, "metrics": [{"type": "Resource", "resource": {
                                      "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}})
        await c.advance(60)
        t = time.perf_counter()
        await c.advance(3600)
        wall = time.perf_counter() - t
        hpa = c.manager.stats()["horizontal-pod-autoscaler"]["reconciles"]
        return {"bench": "one hour of HPA behaviour (virtual clock, 3 nodes)", "wall_s": round(wall, 3),
                "hpa_syncs": hpa, "target_s": 0.05}


async def main(quick: bool) -> list[dict[str, Any]]:
    out = [await one_big_deployment(200 if quick else 1000)]
    out.append(await many_deployments(100 if quick else 1000, 10))
    out.append(await hpa_hour())
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    for r in asyncio.run(main(ap.parse_args().quick)):
        print(json.dumps(r))
