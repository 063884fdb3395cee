"""The disruption controller: PodDisruptionBudget status, on the virtual clock.

Workload controllers do not run: ReplicaSets and Deployments are written directly (their
``spec.replicas`` is the scale the PDB reads) and pods are made Ready by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.api import errors
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.registry.registry import WriteOptions

Obj = dict[str, Any]
NS = "default"
NODE = "minik8s-worker"
CONTROLLERS = ["namespace", "serviceaccount", "disruption"]


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(ClusterConfig(controllers=CONTROLLERS), clock="virtual", serve=False) as c:
        yield c


def ref(owner: Obj) -> Obj:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"], "controller": True}


def make_pod(c: Cluster, name: str, owner: Obj | None = None, ready: bool = True) -> None:
    md: Obj = {"name": name, "namespace": NS, "labels": {"app": "web"}}
    if owner is not None:
        md["ownerReferences"] = [ref(owner)]
    c.client.create({"apiVersion": "v1", "kind": "Pod", "metadata": md,
                     "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    c.client.bind(NS, name, NODE)
    p = c.client.get("v1", "Pod", name, NS)
    p["status"] = {"phase": "Running", "podIP": "10.244.1.7", "conditions": [
        {"type": "Ready", "status": "True" if ready else "False",
         "lastTransitionTime": c.clock.rfc3339()}]}
    c.client.update_status(p)


def template() -> Obj:
    return {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def make_rs(c: Cluster, replicas: int, owner: Obj | None = None) -> Obj:
    md: Obj = {"name": "web-rs", "namespace": NS}
    if owner is not None:
        md["ownerReferences"] = [ref(owner)]
    return c.client.create({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": md, "spec": {
        "replicas": replicas, "selector": {"matchLabels": {"app": "web"}}, "template": template()}})


def make_pdb(c: Cluster, **spec: Any) -> None:
    s: Obj = {"selector": {"matchLabels": {"app": "web"}}}
    s.update(spec)
    c.client.create({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                     "metadata": {"name": "web-pdb", "namespace": NS}, "spec": s})


def status(c: Cluster) -> Obj:
    return c.client.get("policy/v1", "PodDisruptionBudget", "web-pdb", NS)["status"]


def summary(st: Obj) -> tuple[int, int, int, int]:
    return (st["expectedPods"], st["desiredHealthy"], st["currentHealthy"], st["disruptionsAllowed"])


async def test_min_available_as_a_number_counts_matching_pods(cluster: Cluster) -> None:
    for i in range(3):
        make_pod(cluster, f"web-{i}")
    make_pdb(cluster, minAvailable=2)
    await cluster.settle()
    st = status(cluster)
    assert summary(st) == (3, 2, 3, 1)
    assert st["observedGeneration"] == 1
    [cond] = st["conditions"]
    assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
        "DisruptionAllowed", "True", "SufficientPods", "")


async def test_min_available_as_a_percentage_uses_the_controllers_scale(cluster: Cluster) -> None:
    rs = make_rs(cluster, replicas=4)
    for i in range(3):
        make_pod(cluster, f"web-{i}", rs)
    make_pdb(cluster, minAvailable="50%")
    await cluster.settle()
    assert summary(status(cluster)) == (4, 2, 3, 1)


async def test_max_unavailable_reads_the_deployment_above_the_replicaset(cluster: Cluster) -> None:
    dep = cluster.client.create({"apiVersion": "apps/v1", "kind": "Deployment",
                                 "metadata": {"name": "web", "namespace": NS}, "spec": {
                                     "replicas": 5, "selector": {"matchLabels": {"app": "web"}},
                                     "template": template()}})
    rs = make_rs(cluster, replicas=2, owner=dep)
    for i in range(5):
        make_pod(cluster, f"web-{i}", rs, ready=i != 0)
    make_pdb(cluster, maxUnavailable="25%")
    await cluster.settle()
    assert summary(status(cluster)) == (5, 3, 4, 1)       # 25% of 5 rounds up to 2


async def test_a_scale_change_updates_the_budget(cluster: Cluster) -> None:
    rs = make_rs(cluster, replicas=3)
    for i in range(3):
        make_pod(cluster, f"web-{i}", rs)
    make_pdb(cluster, maxUnavailable=1)
    await cluster.settle()
    assert summary(status(cluster)) == (3, 2, 3, 1)
    cluster.client.patch("apps/v1", "ReplicaSet", "web-rs", {"spec": {"replicas": 6}}, NS)
    await cluster.settle()
    assert summary(status(cluster)) == (6, 5, 3, 0)


async def test_unready_and_deleting_pods_are_not_healthy(cluster: Cluster) -> None:
    for i in range(3):
        make_pod(cluster, f"web-{i}", ready=i != 2)
    make_pdb(cluster, minAvailable=2)
    await cluster.settle()
    assert summary(status(cluster)) == (3, 2, 2, 0)
    cluster.client.delete("v1", "Pod", "web-0", NS)      # bound: terminating for 30 s
    await cluster.settle()
    st = status(cluster)
    assert summary(st) == (3, 2, 1, 0)
    assert (st["conditions"][0]["status"], st["conditions"][0]["reason"]) == ("False", "InsufficientPods")


async def test_no_matching_pods_is_reported(cluster: Cluster) -> None:
    make_pdb(cluster, minAvailable=1)
    await cluster.settle()
    assert summary(status(cluster)) == (0, 1, 0, 0)
    evs = [e["message"] for e in cluster.client.list("v1", "Event", NS).items if e["reason"] == "NoPods"]
    assert evs == ["No matching pods found"]


async def test_pods_without_a_known_controller_count_one_each(cluster: Cluster) -> None:
    for i in range(2):
        make_pod(cluster, f"web-{i}")
    make_pdb(cluster, maxUnavailable="50%")
    await cluster.settle()
    assert summary(status(cluster)) == (2, 1, 2, 1)


async def test_eviction_is_refused_once_the_budget_is_spent(cluster: Cluster) -> None:
    for i in range(2):
        make_pod(cluster, f"web-{i}")
    make_pdb(cluster, minAvailable=1)
    await cluster.settle()
    evict = {"apiVersion": "policy/v1", "kind": "Eviction",
             "metadata": {"name": "web-0", "namespace": NS}}
    cluster.client.reg.sub.evict(NS, "web-0", evict, WriteOptions())
    await cluster.settle()
    assert summary(status(cluster)) == (2, 1, 1, 0)
    with pytest.raises(errors.TooManyRequests):
        cluster.client.reg.sub.evict(NS, "web-1", dict(evict, metadata={"name": "web-1"}),
                                     WriteOptions())
