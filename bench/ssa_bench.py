"""Server-side apply and managedFields: CPU cost per operation, in microseconds.

In-process, no HTTP: a ``Cluster`` without controllers (only the benchmark
writes). Two groups:

* field-manager bookkeeping alone (``fieldmanager.update_managed_fields``): a pod
  create, a Deployment status update by a controller, an unchanged write; with
  ``copy.deepcopy`` of the pod as a yardstick;
* whole writes through ``Registry``: an apply of a Deployment (create, unchanged,
  changed replicas/image, another manager forcing), a pod create, a status update.

CPU time (``time.process_time``), best of several rounds, so a busy machine
skews less than wall time would.

    python -m bench.ssa_bench [--quick]
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Callable
from typing import Any

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.registry import fieldmanager as fm
from minik8s.registry import fieldschema

Obj = dict[str, Any]
NOW = "2026-01-01T00:00:00Z"


def _deployment(name: str, replicas: int = 2, image: str = "nginx:1.27") -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {
                         "containers": [{"name": "nginx", "image": image,
                                         "ports": [{"containerPort": 80}],
                                         "env": [{"name": "MODE", "value": "prod"}]}]}}}}


def _pod(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                                     "env": [{"name": "A", "value": "1"}]}]}}


def _status(n: int) -> Obj:
    return {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
            "availableReplicas": n, "readyReplicas": n,
            "conditions": [{"type": "Available", "status": "True" if n else "False",
                            "lastUpdateTime": NOW, "lastTransitionTime": NOW,
                            "reason": "MinimumReplicasAvailable", "message": "ok"},
                           {"type": "Progressing", "status": "True", "lastUpdateTime": NOW,
                            "lastTransitionTime": NOW, "reason": "NewReplicaSetAvailable",
                            "message": "ok"}]}


def _best(fn: Callable[[int], Any], n: int, rounds: int = 5) -> float:
    """µs of CPU per call of ``fn(i)``, the best of ``rounds`` rounds of ``n`` calls."""
    fn(-1)
    best = float("inf")
    for r in range(rounds):
        t = time.process_time()
        for i in range(n):
            fn(r * n + i)
        best = min(best, (time.process_time() - t) / n * 1e6)
    return best


def run(quick: bool = False) -> list[Obj]:
    n = 300 if quick else 2000
    c = Cluster(ClusterConfig(controllers=[]), clock="virtual", serve=False)
    c.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    cl = c.client
    out: list[Obj] = []

    def add(name: str, us: float) -> None:
        out.append({"bench": name, "us": round(us, 1)})

    # -- bookkeeping alone
    tpod, tdep = fieldschema.type_for("", "v1", "Pod"), fieldschema.type_for("apps", "v1", "Deployment")
    pod = cl.create(_pod("p"))
    pod["metadata"].pop("managedFields")
    add("copy.deepcopy(pod) (yardstick)", _best(lambda i: copy.deepcopy(pod), n))
    add("update_managed_fields: pod create", _best(lambda i: fm.update_managed_fields(
        None, {**pod, "metadata": dict(pod["metadata"])}, manager="kubectl-create",
        api_version="v1", now=NOW, meta=tpod, has_status=True), n))
    dep = cl.create(_deployment("d"))
    old = copy.deepcopy(dep)
    old["status"] = _status(2)
    fm.update_managed_fields(dep, old, manager="kube-controller-manager", api_version="apps/v1",
                             now=NOW, meta=tdep, subresource="status", has_status=True)
    new = copy.deepcopy(old)
    new["status"] = _status(1)

    def status_update(i: int) -> None:
        fm.update_managed_fields(old, {**new, "metadata": dict(new["metadata"])},
                                 manager="kube-controller-manager", api_version="apps/v1",
                                 now=NOW, meta=tdep, subresource="status", has_status=True)
    add("update_managed_fields: deployment status update", _best(status_update, n))
    add("update_managed_fields: unchanged write", _best(lambda i: fm.update_managed_fields(
        old, {**old, "metadata": dict(old["metadata"])}, manager="kube-controller-manager",
        api_version="apps/v1", now=NOW, meta=tdep, subresource="status", has_status=True), n))

    # -- whole writes
    m = max(n // 4, 50)
    add("registry: pod create", _best(lambda i: cl.create(_pod(f"p{i + 10}")), m))
    live = cl.get("apps/v1", "Deployment", "d", "default")

    def status_write(i: int) -> None:
        live["status"] = _status(i % 2 + 1)
        live["metadata"].pop("resourceVersion", None)
        cl.update_status(live, manager="kube-controller-manager")
    add("registry: deployment status update", _best(status_write, m))
    add("apply: create a Deployment",
        _best(lambda i: cl.apply(_deployment(f"a{i + 10}"), manager="kubectl"), m))
    cl.apply(_deployment("web"), manager="kubectl")
    add("apply: unchanged Deployment", _best(lambda i: cl.apply(_deployment("web"),
                                                                 manager="kubectl"), m))
    add("apply: Deployment, replicas and image changed", _best(lambda i: cl.apply(
        _deployment("web", replicas=i % 3 + 1, image=f"nginx:1.{i % 2}"), manager="kubectl"), m))
    add("apply: second manager forcing replicas", _best(lambda i: cl.apply(
        _deployment("web", replicas=i % 3 + 4), manager=f"other{i % 2}", force=True), m))
    cl.apply(_deployment("web"), manager="kubectl", force=True)
    add("apply: Deployment dropping a field (prune)", _best(lambda i: cl.apply(
        _deployment("web") if i % 2 else {**_deployment("web"), "metadata": {
            "name": "web", "namespace": "default"}}, manager="kubectl"), m))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    for r in run(args.quick):
        print(json.dumps(r))


if __name__ == "__main__":
    main()
