"""The pod garbage collector, on the virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig

Obj = dict[str, Any]
NS = "default"
NODE = "minik8s-worker"
CONTROLLERS = ["namespace", "serviceaccount", "garbagecollector", "podgc"]


def config(**podgc: Any) -> ClusterConfig:
    return ClusterConfig(controllers=CONTROLLERS, components={"podgc": podgc} if podgc else {})


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(config(), clock="virtual", serve=False) as c:
        yield c


def make_pod(name: str, finalizers: list[str] | None = None) -> Obj:
    md: Obj = {"name": name, "namespace": NS}
    if finalizers:
        md["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def set_phase(c: Cluster, name: str, phase: str, node: str = NODE) -> None:
    if not c.client.get("v1", "Pod", name, NS)["spec"].get("nodeName"):
        c.client.bind(NS, name, node)
    p = c.client.get("v1", "Pod", name, NS)
    p["status"] = {"phase": phase, "podIP": "10.244.1.5"}
    c.client.update_status(p)


def pod(c: Cluster, name: str) -> Obj | None:
    return c.client.get_or_none("v1", "Pod", name, NS)


async def test_pods_of_a_deleted_node_go_after_the_quarantine(cluster: Cluster) -> None:
    cluster.client.create(make_pod("a", finalizers=["example.com/hold"]))
    cluster.client.create(make_pod("b"))
    set_phase(cluster, "a", "Running", "minik8s-worker2")
    set_phase(cluster, "b", "Running", "minik8s-worker2")
    cluster.client.delete("v1", "Node", "minik8s-worker2")
    await cluster.settle()
    await cluster.advance(39)
    assert pod(cluster, "b") is not None
    await cluster.advance(1)
    assert pod(cluster, "b") is None
    held = pod(cluster, "a")                             # a finalizer keeps it: look at it
    assert held is not None
    assert held["status"]["phase"] == "Failed"
    assert held["metadata"]["deletionGracePeriodSeconds"] == 0
    [cond] = [x for x in held["status"]["conditions"] if x["type"] == "DisruptionTarget"]
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "True", "DeletionByPodGC", "PodGC: node no longer exists")


async def test_terminated_pods_beyond_the_threshold_go_oldest_first() -> None:
    async with Cluster(config(terminatedPodGCThreshold=2), clock="virtual", serve=False) as c:
        for i in range(4):
            c.client.create(make_pod(f"p{i}"))
            await c.advance(1)
        set_phase(c, "p3", "Succeeded")
        set_phase(c, "p2", "Failed")
        set_phase(c, "p1", "Running")
        await c.settle()
        assert pod(c, "p3") is not None
        set_phase(c, "p0", "Succeeded")
        await c.settle()
        assert [n for n in ("p0", "p1", "p2", "p3") if pod(c, n) is not None] == ["p1", "p2", "p3"]


async def test_evicted_pods_go_before_older_ones() -> None:
    async with Cluster(config(terminatedPodGCThreshold=1), clock="virtual", serve=False) as c:
        for n in ("old", "evicted"):
            c.client.create(make_pod(n))
            await c.advance(1)
        set_phase(c, "old", "Succeeded")
        c.client.bind(NS, "evicted", NODE)
        p = c.client.get("v1", "Pod", "evicted", NS)
        p["status"] = {"phase": "Failed", "reason": "Evicted"}
        c.client.update_status(p)
        await c.settle()
        assert pod(c, "evicted") is None and pod(c, "old") is not None


async def test_unscheduled_terminating_pods_are_failed_and_force_deleted(cluster: Cluster) -> None:
    cluster.client.create(make_pod("stuck", finalizers=["example.com/hold"]))
    cluster.client.delete("v1", "Pod", "stuck", NS)
    await cluster.settle()
    p = pod(cluster, "stuck")
    assert p is not None and p["status"]["phase"] == "Failed"
    assert p["metadata"]["deletionGracePeriodSeconds"] == 0


async def test_terminating_pods_on_an_out_of_service_node_are_force_deleted(cluster: Cluster) -> None:
    cluster.client.create(make_pod("web"))
    set_phase(cluster, "web", "Running")
    cluster.client.delete("v1", "Pod", "web", NS)
    await cluster.settle()
    assert pod(cluster, "web") is not None                # graceful: waits for the kubelet
    node = cluster.client.get("v1", "Node", NODE)
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/out-of-service",
                               "value": "nodeshutdown", "effect": "NoExecute"}]
    cluster.client.update(node)
    node = cluster.client.get("v1", "Node", NODE)
    for cond in node["status"]["conditions"]:
        if cond["type"] == "Ready":
            cond["status"] = "Unknown"
    cluster.client.update_status(node)
    await cluster.settle()
    assert pod(cluster, "web") is None


async def test_running_pods_on_live_nodes_are_left_alone(cluster: Cluster) -> None:
    cluster.client.create(make_pod("web"))
    set_phase(cluster, "web", "Running")
    await cluster.advance(120)
    assert pod(cluster, "web") is not None
