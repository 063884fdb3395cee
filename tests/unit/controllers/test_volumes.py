"""Volumes: claims bind to volumes, dynamically or statically; reclaim and protection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    cfg = ClusterConfig(controllers=["namespace", "serviceaccount", "garbagecollector", "volumes"])
    async with Cluster(cfg, clock="virtual", serve=False) as c:
        yield c


def storage_class(name: str, *, mode: str = "Immediate", reclaim: str = "Delete",
                  expand: bool = False) -> dict[str, Any]:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": "example.com/fast", "reclaimPolicy": reclaim, "volumeBindingMode": mode,
            "allowVolumeExpansion": expand}


def claim(name: str, size: str = "1Gi", cls: str | None = None, **spec: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}, **spec}
    if cls is not None:
        s["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "default"}, "spec": s}


def volume(name: str, size: str, cls: str = "manual") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"],
                     "storageClassName": cls, "hostPath": {"path": f"/data/{name}"}}}


async def test_a_claim_of_an_immediate_class_gets_a_provisioned_volume(cluster: Cluster) -> None:
    c = cluster.client
    c.create(storage_class("fast", reclaim="Retain"))
    pvc = c.create(claim("data", "8Gi", "fast"))
    await cluster.settle()
    pvc = c.get("v1", "PersistentVolumeClaim", "data", "default")
    pv_name = f"pvc-{pvc['metadata']['uid']}"
    assert pvc["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "8Gi"}}
    assert pvc["spec"]["volumeName"] == pv_name
    pv = c.get("v1", "PersistentVolume", pv_name)
    assert pv["status"]["phase"] == "Bound"
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "example.com/fast"
    reasons = [e["reason"] for e in c.list("v1", "Event", "default").items]
    assert "ProvisioningSucceeded" in reasons


async def test_claims_without_a_class_get_the_default_standard_class(cluster: Cluster) -> None:
    pvc = cluster.client.create(claim("data"))
    assert pvc["spec"]["storageClassName"] == "standard"
    assert "kubernetes.io/pvc-protection" in pvc["metadata"]["finalizers"]


async def test_wait_for_first_consumer_waits_for_a_selected_node(cluster: Cluster) -> None:
    c = cluster.client
    c.create(claim("data"))
    await cluster.settle()
    assert c.get("v1", "PersistentVolumeClaim", "data", "default")["status"]["phase"] == "Pending"
    c.patch("v1", "PersistentVolumeClaim", "data", {"metadata": {"annotations": {
        "volume.kubernetes.io/selected-node": "minik8s-worker"}}}, "default")
    await cluster.settle()
    pvc = c.get("v1", "PersistentVolumeClaim", "data", "default")
    assert pvc["status"]["phase"] == "Bound"
    pv = c.get("v1", "PersistentVolume", pvc["spec"]["volumeName"])
    term = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert term["values"] == ["minik8s-worker"]


async def test_static_binding_picks_the_smallest_volume_that_fits(cluster: Cluster) -> None:
    c = cluster.client
    for name, size in (("big", "100Gi"), ("small", "1Gi"), ("medium", "10Gi")):
        c.create(volume(name, size))
    c.create(claim("data", "5Gi", "manual"))
    await cluster.settle()
    assert c.get("v1", "PersistentVolumeClaim", "data", "default")["spec"]["volumeName"] == "medium"
    assert c.get("v1", "PersistentVolume", "small")["status"]["phase"] == "Available"


async def test_deleting_a_claim_releases_a_retained_volume(cluster: Cluster) -> None:
    c = cluster.client
    c.create(storage_class("keep", reclaim="Retain"))
    c.create(claim("data", "1Gi", "keep"))
    await cluster.settle()
    pv_name = c.get("v1", "PersistentVolumeClaim", "data", "default")["spec"]["volumeName"]
    c.delete("v1", "PersistentVolumeClaim", "data", "default")
    await cluster.settle()
    assert c.get_or_none("v1", "PersistentVolumeClaim", "data", "default") is None
    assert c.get("v1", "PersistentVolume", pv_name)["status"]["phase"] == "Released"


async def test_deleting_a_claim_deletes_a_volume_with_the_delete_policy(cluster: Cluster) -> None:
    c = cluster.client
    c.create(storage_class("scratch", reclaim="Delete"))
    c.create(claim("data", "1Gi", "scratch"))
    await cluster.settle()
    pv_name = c.get("v1", "PersistentVolumeClaim", "data", "default")["spec"]["volumeName"]
    c.delete("v1", "PersistentVolumeClaim", "data", "default")
    await cluster.settle()
    assert c.get_or_none("v1", "PersistentVolume", pv_name) is None


async def test_a_claim_in_use_by_a_pod_is_kept_until_the_pod_goes(cluster: Cluster) -> None:
    c = cluster.client
    c.create(storage_class("fast"))
    c.create(claim("data", "1Gi", "fast"))
    c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "user", "namespace": "default"},
              "spec": {"containers": [{"name": "c", "image": "busybox"}],
                       "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}})
    await cluster.settle()
    c.delete("v1", "PersistentVolumeClaim", "data", "default")
    await cluster.settle()
    assert c.get("v1", "PersistentVolumeClaim", "data", "default")["metadata"]["deletionTimestamp"]
    c.delete("v1", "Pod", "user", "default")
    await cluster.settle()
    assert c.get_or_none("v1", "PersistentVolumeClaim", "data", "default") is None


async def test_a_claim_grows_when_its_class_allows_expansion(cluster: Cluster) -> None:
    c = cluster.client
    c.create(storage_class("grow", expand=True))
    c.create(claim("data", "1Gi", "grow"))
    await cluster.settle()
    c.patch("v1", "PersistentVolumeClaim", "data", {"spec": {"resources": {"requests": {"storage": "2Gi"}}}},
            "default")
    await cluster.settle()
    pvc = c.get("v1", "PersistentVolumeClaim", "data", "default")
    assert pvc["status"]["capacity"]["storage"] == "2Gi"
    assert c.get("v1", "PersistentVolume", pvc["spec"]["volumeName"])["spec"]["capacity"]["storage"] == "2Gi"
