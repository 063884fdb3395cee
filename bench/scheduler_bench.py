"""Scheduler throughput, in process: pods scheduled (and assumed) per second.

Workloads modelled on kube-scheduler's scheduler_perf (``test/integration/scheduler_perf``):
nodes from node-default (4 cpu, 32Gi, 110 pods, hostname + one of 10 zones), pods from
pod-default (100m cpu, 500Mi), 10,000 pods per run, each assumed into the cache
before the next cycle (as the controller does before binding):

  plain          no constraints
  nodeaffinity   required zone affinity (In 5 of 10 zones) + a toleration for the
                 NoSchedule taint one node in five carries
  antiaffinity   required anti-affinity to the pod's own group on kubernetes.io/hostname
                 (groups sized to half the nodes, so every group fits)
  affinity       required affinity to the pod's own group on topology.kubernetes.io/zone
  spread         topologySpreadConstraints: zone, maxSkew 1, DoNotSchedule

plus the curve for ``plain`` at 100 / 1,000 / 5,000 nodes. Targets are kube-scheduler's
scheduler_perf CI floors (Go, 16 workers) at 5,000 nodes, and the brief's at 1,000.
Rates are pods per second of *process CPU time* (one thread), which stays steady
when other work shares the machine; on an idle host wall time is the same.

    python -m bench.scheduler_bench             # everything (~2-3 minutes)
    python -m bench.scheduler_bench --quick     # 1,000 pods per run (< 20 s)
    python -m bench.scheduler_bench --only plain --nodes 5000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import math
import pstats
import random
import time
from collections.abc import Callable
from typing import Any

from minik8s.scheduler.cache import ClusterCache
from minik8s.scheduler.framework import Framework

ZONES = 10
ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"
TARGETS = {  # pods/s: (at 1,000 nodes, at 5,000 nodes)
    "plain": (1000, 680), "nodeaffinity": (400, 220), "antiaffinity": (500, 60),
    "affinity": (300, 35), "spread": (None, 460),
}


def make_node(i: int) -> dict[str, Any]:
    name = f"node-{i}"
    node: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "uid": f"uid-{name}",
                     "labels": {HOSTNAME: name, ZONE: f"zone-{i % ZONES}"}},
        "spec": {},
        "status": {"capacity": {"cpu": "4", "memory": "32Gi", "pods": "110"},
                   "allocatable": {"cpu": "4", "memory": "32Gi", "pods": "110"}},
    }
    return node


def make_pod(i: int, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"pod-{i}", "namespace": "default", "uid": f"pod-uid-{i}",
                     "labels": labels or {}},
        "spec": {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10",
                                 "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}}}],
                 **spec},
    }


def plain(i: int, nodes: int, pods: int) -> dict[str, Any]:
    return make_pod(i)


def nodeaffinity(i: int, nodes: int, pods: int) -> dict[str, Any]:
    required = {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": ZONE, "operator": "In", "values": [f"zone-{z}" for z in range(5)]}]}]}
    return make_pod(i, affinity={"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": required}},
        tolerations=[{"key": "dedicated", "operator": "Equal", "value": "special",
                      "effect": "NoSchedule"}])


def antiaffinity(i: int, nodes: int, pods: int) -> dict[str, Any]:
    groups = max(1, math.ceil(2 * pods / nodes))
    group = f"g{i % groups}"
    return make_pod(i, {"group": group}, affinity={"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"group": group}}, "topologyKey": HOSTNAME}]}})


def affinity(i: int, nodes: int, pods: int) -> dict[str, Any]:
    group = f"g{i % 10}"
    return make_pod(i, {"group": group}, affinity={"podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"group": group}}, "topologyKey": ZONE}]}})


def spread(i: int, nodes: int, pods: int) -> dict[str, Any]:
    group = f"g{i % 10}"
    return make_pod(i, {"group": group}, topologySpreadConstraints=[
        {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {"matchLabels": {"group": group}}}])


WORKLOADS: dict[str, Callable[[int, int, int], dict[str, Any]]] = {
    "plain": plain, "nodeaffinity": nodeaffinity, "antiaffinity": antiaffinity,
    "affinity": affinity, "spread": spread,
}


def build(num_nodes: int, workload: str) -> Framework:
    cache = ClusterCache()
    for i in range(num_nodes):
        node = make_node(i)
        if workload == "nodeaffinity" and i % 5 == 0:
            node["spec"]["taints"] = [
                {"key": "dedicated", "value": "special", "effect": "NoSchedule"}]
        cache.add_node(node)
    return Framework(cache=cache, rng=random.Random(1))


def run(workload: str, num_nodes: int, num_pods: int, profile: bool = False) -> tuple[float, int]:
    """(pods/s, pods scheduled) for one workload."""
    fw = build(num_nodes, workload)
    make = WORKLOADS[workload]
    pods = [make(i, num_nodes, num_pods) for i in range(num_pods)]
    prof = cProfile.Profile() if profile else None
    scheduled = 0
    start = time.process_time()
    if prof:
        prof.enable()
    for pod in pods:
        r = fw.schedule(pod)
        if r.node is not None and r.pod_info is not None:
            fw.cache.assume(r.pod_info, r.node)
            scheduled += 1
    if prof:
        prof.disable()
    elapsed = time.process_time() - start  # CPU time: steadier than wall time on a busy host
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    return num_pods / elapsed, scheduled


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1,000 pods per run")
    ap.add_argument("--pods", type=int, default=None)
    ap.add_argument("--only", choices=sorted(WORKLOADS), action="append")
    ap.add_argument("--nodes", type=int, action="append")
    ap.add_argument("--profile", action="store_true", help="cProfile each run")
    args = ap.parse_args(argv)
    pods = args.pods or (1000 if args.quick else 10_000)
    workloads = args.only or list(WORKLOADS)
    sizes = args.nodes or [1000, 5000]
    run("plain", 200, 500)  # warm up caches (quantities, compiled selectors) before measuring
    print(f"{'workload':<14}{'nodes':>7}{'pods':>8}{'scheduled':>11}{'pods/s':>10}{'target':>9}")
    for name in workloads:
        for n in sizes:
            rate, ok = run(name, n, pods, args.profile)
            t1, t5 = TARGETS[name]
            target = t5 if n >= 5000 else t1 if n >= 1000 else None
            print(f"{name:<14}{n:>7}{pods:>8}{ok:>11}{rate:>10.0f}{target or '':>9}", flush=True)
    if not args.only and not args.nodes:
        for n in (100, 1000, 5000):
            rate, ok = run("plain", n, pods)
            print(f"{'plain curve':<14}{n:>7}{pods:>8}{ok:>11}{rate:>10.0f}", flush=True)


if __name__ == "__main__":
    main()
