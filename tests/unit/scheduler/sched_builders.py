"""Small builders for scheduler tests: ``make_node(name, labels=…, taints=…, cpu=…)``,
``make_pod(name, …)``, and ``cluster(nodes, pods)`` returning a ready Framework."""

from __future__ import annotations

import random
from typing import Any

from minik8s.scheduler.cache import ClusterCache
from minik8s.scheduler.framework import Framework
from minik8s.scheduler.profile import DEFAULT_PROFILE, Profile

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def make_node(name: str, *, labels: dict[str, str] | None = None,
              taints: list[dict[str, Any]] | None = None, cpu: str = "4", memory: str = "8Gi",
              pods: str = "110", unschedulable: bool = False,
              extra: dict[str, str] | None = None) -> dict[str, Any]:
    alloc = {"cpu": cpu, "memory": memory, "pods": pods, "ephemeral-storage": "100Gi",
             **(extra or {})}
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {HOSTNAME: name, **(labels or {})}},
            "spec": spec, "status": {"capacity": dict(alloc), "allocatable": alloc}}


def make_pod(name: str, *, namespace: str = "default", labels: dict[str, str] | None = None,
             cpu: str | None = None, memory: str | None = None, node: str | None = None,
             priority: int | None = None, requests: dict[str, str] | None = None,
             host_port: int | None = None, **spec: Any) -> dict[str, Any]:
    reqs = dict(requests or {})
    if cpu is not None:
        reqs["cpu"] = cpu
    if memory is not None:
        reqs["memory"] = memory
    container: dict[str, Any] = {"name": "c", "image": "nginx"}
    if reqs:
        container["resources"] = {"requests": reqs}
    if host_port:
        container["ports"] = [{"containerPort": 80, "hostPort": host_port}]
    body: dict[str, Any] = {"containers": [container], **spec}
    if node:
        body["nodeName"] = node
    if priority is not None:
        body["priority"] = priority
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}",
                         "labels": labels or {}},
            "spec": body, "status": {}}


def cluster(nodes: list[dict[str, Any]], pods: list[dict[str, Any]] = (),  # type: ignore[assignment]
            profile: Profile = DEFAULT_PROFILE, seed: int = 0, **cache_kw: Any) -> Framework:
    cache = ClusterCache(**cache_kw)
    for n in nodes:
        cache.add_node(n)
    for p in pods:
        cache.add_pod(p)
    return Framework(profile, cache, random.Random(seed))


def reasons(fw: Framework, pod: dict[str, Any]) -> dict[str, list[str]]:
    """Node name -> reasons it was rejected ([] when the pod fits)."""
    return {name: list(st.reasons) if st else [] for name, st in fw.evaluate(pod).items()}


def node_affinity(*terms: list[dict[str, Any]]) -> dict[str, Any]:
    """Required node affinity: each term is a list of matchExpressions."""
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": t} for t in terms]}}}


def pod_term(labels: dict[str, str], key: str = HOSTNAME, **extra: Any) -> dict[str, Any]:
    return {"labelSelector": {"matchLabels": labels}, "topologyKey": key, **extra}


def pod_affinity(*terms: dict[str, Any], anti: bool = False) -> dict[str, Any]:
    kind = "podAntiAffinity" if anti else "podAffinity"
    return {kind: {"requiredDuringSchedulingIgnoredDuringExecution": list(terms)}}
