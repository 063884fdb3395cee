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
import statistics
import time
from typing import Any

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig, NodeConfig


def deployment(name: str, replicas: int, cpu: str = "1m") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{
                         "name": "c", "image": "nginx:1.27", "resources": {"requests": {"cpu": cpu}}}]}}}}


def big_cluster(workers: int, pods_per_node: int = 110) -> ClusterConfig:
    """Workers with room for ``pods_per_node`` pods each (at most 250: a node's pod CIDR is a /24,
    as kube-controller-manager's --node-cidr-mask-size gives, so more could not get addresses)."""
    nodes = [NodeConfig("minik8s-control-plane", role="control-plane")]
    nodes += [NodeConfig(f"worker-{i}", capacity={"pods": str(pods_per_node), "cpu": "1000"})
              for i in range(workers)]
    cfg = ClusterConfig(nodes=nodes)
    cfg.components = {"kubelet": {"events": False}}
    return cfg


async def running(c: Cluster) -> int:
    return sum(1 for p in c.store.resource("pods").objects.values()
               if (p.get("status") or {}).get("phase") == "Running")


async def one_big_deployment(n: int) -> dict[str, Any]:
    async with Cluster(big_cluster(10, pods_per_node=250), clock="virtual", serve=False) as c:
        gc.collect()
        t = time.perf_counter()
        c.client.create(deployment("web", n))
        await c.settle(timeout=600)
        wall = time.perf_counter() - t
        ok = await running(c)
        return {"bench": f"Deployment of {n} replicas → all Running", "wall_s": round(wall, 3),
                "running": ok, "target_s": 2.0 if n == 1000 else None, "controllers": _busy(c)}


async def many_deployments(n: int, replicas: int) -> dict[str, Any]:
    # 100 nodes of the default 110 pods: room for 11,000
    async with Cluster(big_cluster(max(1, n * replicas // 100)), clock="virtual", serve=False) as c:
        gc.collect()
        t = time.perf_counter()
        for i in range(n):
            c.client.create(deployment(f"d{i}", replicas))
        await c.settle(timeout=1200)
        wall = time.perf_counter() - t
        return {"bench": f"{n} Deployments × {replicas} replicas → all Running", "wall_s": round(wall, 3),
                "running": await running(c), "target_s": 10.0 if n * replicas == 10_000 else None,
                "controllers": _busy(c)}


async def hpa_hour(runs: int = 5) -> dict[str, Any]:
    """The median of ``runs`` fresh clusters' hours: one hour is ~50 ms of wall time, which
    a single sample reports give or take a few ms on a shared machine."""
    walls = []
    for _ in range(runs):
        async with Cluster(clock="virtual", serve=False) as c:
            c.client.create(deployment("web", 1, cpu="200m"))
            c.client.create({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                             "metadata": {"name": "web", "namespace": "default"},
                             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                                         "name": "web"},
                                      "minReplicas": 1, "maxReplicas": 10, "metrics": [{
                                          "type": "Resource", "resource": {"name": "cpu", "target": {
                                              "type": "Utilization", "averageUtilization": 50}}}]}})
            await c.advance(60)
            rev = c.store.revision
            t = time.perf_counter()
            await c.advance(3600)
            walls.append(time.perf_counter() - t)
            hpa = c.manager.stats()["horizontal-pod-autoscaler"]["reconciles"]
            writes = c.store.revision - rev
    return {"bench": "one hour of HPA behaviour (virtual clock, 3 nodes)",
            "wall_s": round(statistics.median(walls), 4), "runs": runs,
            "wall_min_s": round(min(walls), 4), "wall_max_s": round(max(walls), 4),
            "hpa_syncs": hpa, "writes": writes, "target_s": 0.05}


def _busy(c: Cluster) -> dict[str, dict[str, float]]:
    """Per controller: reconciles and the wall time inside them (their writes included)."""
    return {k: {"reconciles": v["reconciles"], "busy_s": round(v["busy_s"], 4)}
            for k, v in c.manager.stats().items() if v["reconciles"]}


def section(quick: bool) -> Any:
    """The figures as a ``bench.report`` section (``python -m bench.run`` embeds it), measured in
    a fresh process so earlier benchmarks' heaps do not weigh on it."""
    import subprocess
    import sys

    from bench import procs, report

    cmd = [sys.executable, "-m", "bench.controllers_bench"] + (["--quick"] if quick else [])
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=procs.ROOT, env=procs._env(),
                       timeout=1200, check=True)
    rows = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    sec = report.Section("controllers", "Controllers under the virtual clock (component benchmark)")
    sec.text("In process, `Cluster(clock=\"virtual\", serve=False)`: wall time from the first write "
             "until `settle()` returns with every pod Running (the cluster's own time does not pass "
             "while it works). Nodes have the default 110-pod room (a node's pod CIDR is a /24); "
             "kubelet Events are off in these runs (`components: {kubelet: {events: false}}`), the "
             "controllers' and scheduler's Events are on. They run before the 50k/100k-pod benchmarks: "
             "for about a minute after those free several GB, a fresh process allocating its "
             "first GB runs slower (10k pods: 10.4 s right after them, 9.0 s 45 s later). "
             f"`{' '.join(['python -m bench.controllers_bench'] + cmd[3:])}`.")
    for r in rows:
        target = r.get("target_s")
        ok = None if target is None else r["wall_s"] <= target
        measured = report.ms(r["wall_s"])
        if r.get("runs"):
            measured += (f" (median of {r['runs']}; {report.ms(r['wall_min_s'])}–"
                         f"{report.ms(r['wall_max_s'])})")
        sec.check(r["bench"], measured, "—" if target is None else f"≤ {report.ms(target)}",
                  ok, "", "KWOK CI: 10k pods Running ≤ 60 s" if "Deployments" in r["bench"] else "")
    for r in rows:
        if r.get("controllers"):
            busy = sorted(r["controllers"].items(), key=lambda kv: -kv[1]["busy_s"])
            sec.text(f"Reconcile throughput in *{r['bench']}* (wall time inside each reconcile, its "
                     "writes included):")
            sec.table(["controller", "reconciles", "busy", "reconciles/s of busy time"], [
                [k, f"{v['reconciles']:,}", report.ms(v["busy_s"]),
                 f"{v['reconciles'] / v['busy_s']:,.0f}" if v["busy_s"] else "—"] for k, v in busy])
    sec.raw = rows
    return sec


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
