"""The write path, through the in-process client: what a user of the API observes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.api import errors
from minik8s.cluster import Cluster


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(clock="virtual", serve=False) as c:
        yield c


def cm(name: str, ns: str = "default", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
            "data": dict(data)}


def deployment(name: str, replicas: int = 1) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


async def test_generate_name_appends_five_random_characters(cluster: Cluster) -> None:
    obj = cluster.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"generateName": "web-", "namespace": "default"}})
    name = obj["metadata"]["name"]
    assert name.startswith("web-") and len(name) == 9


async def test_a_stale_resource_version_is_a_conflict(cluster: Cluster) -> None:
    c = cluster.client
    first = c.create(cm("a", x="1"))
    fresh = c.get("v1", "ConfigMap", "a", "default")
    fresh["data"]["x"] = "2"
    c.update(fresh)
    first["data"]["x"] = "3"
    with pytest.raises(errors.Conflict) as e:
        c.update(first)
    assert 'Operation cannot be fulfilled on configmaps "a": the object has been modified' in str(e.value)


async def test_a_no_op_update_keeps_the_resource_version(cluster: Cluster) -> None:
    c = cluster.client
    obj = c.create(cm("a", x="1"))
    again = c.update(obj)
    assert again["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


async def test_spec_changes_bump_generation_but_status_writes_do_not(cluster: Cluster) -> None:
    c = cluster.client
    d = c.create(deployment("web"))
    assert d["metadata"]["generation"] == 1
    d["spec"]["replicas"] = 3
    d = c.update(d)
    assert d["metadata"]["generation"] == 2
    d["status"] = {"replicas": 3, "observedGeneration": 2}
    d["spec"]["replicas"] = 9  # ignored by the status subresource
    s = c.update_status(d)
    assert s["metadata"]["generation"] == 2 and s["spec"]["replicas"] == 3
    assert s["status"]["replicas"] == 3


async def test_main_resource_updates_ignore_status(cluster: Cluster) -> None:
    c = cluster.client
    d = c.create(deployment("web"))
    d["status"] = {"replicas": 7}
    d = c.update(d)
    assert "replicas" not in d.get("status", {})


async def test_finalizers_keep_a_deleted_object_until_they_are_removed(cluster: Cluster) -> None:
    c = cluster.client
    obj = cm("held")
    obj["metadata"]["finalizers"] = ["example.com/hold"]
    c.create(obj)
    out = c.delete("v1", "ConfigMap", "held", "default")
    assert out["metadata"]["deletionTimestamp"]
    held = c.get("v1", "ConfigMap", "held", "default")
    held["metadata"]["finalizers"] = []
    c.update(held)
    assert c.get_or_none("v1", "ConfigMap", "held", "default") is None


async def test_dry_run_validates_but_stores_nothing(cluster: Cluster) -> None:
    c = cluster.client
    before = cluster.store.revision
    out = c.create(cm("dry"), dry_run=True)
    assert out["metadata"]["uid"]
    assert c.get_or_none("v1", "ConfigMap", "dry", "default") is None
    assert cluster.store.revision == before


async def test_creating_in_a_missing_namespace_is_not_found(cluster: Cluster) -> None:
    with pytest.raises(errors.NotFound) as e:
        cluster.client.create(cm("a", ns="nope"))
    assert e.value.message == 'namespaces "nope" not found'


async def test_deleting_a_namespace_deletes_its_contents_then_itself(cluster: Cluster) -> None:
    c = cluster.client
    c.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    await cluster.settle()
    c.create(cm("a", ns="team"))
    c.delete("v1", "Namespace", "team")
    with pytest.raises(errors.Forbidden) as e:
        c.create(cm("b", ns="team"))
    assert "because it is being terminated" in e.value.message
    await cluster.settle()
    assert c.get("v1", "ConfigMap", "a", "team")  # the 5 s namespaceDeletionGracePeriod first
    await cluster.advance(5)
    assert c.get_or_none("v1", "Namespace", "team") is None
    assert c.list("v1", "ConfigMap", "team").items == []


async def test_the_default_namespace_may_not_be_deleted(cluster: Cluster) -> None:
    with pytest.raises(errors.Forbidden):
        cluster.client.delete("v1", "Namespace", "default")


async def test_every_namespace_gets_a_default_service_account(cluster: Cluster) -> None:
    c = cluster.client
    c.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    await cluster.settle()
    assert c.get("v1", "ServiceAccount", "default", "team")
    assert c.get("v1", "ConfigMap", "kube-root-ca.crt", "team")


async def test_invalid_names_are_rejected_with_the_real_message(cluster: Cluster) -> None:
    with pytest.raises(errors.Invalid) as e:
        cluster.client.create(cm("Bad_Name"))
    assert e.value.message.startswith(
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
        "a lowercase RFC 1123 subdomain must consist of")
    assert e.value.to_status()["details"]["causes"][0]["reason"] == "FieldValueInvalid"


async def test_services_get_cluster_ips_and_node_ports_without_collisions(cluster: Cluster) -> None:
    c = cluster.client

    def svc(name: str, **spec: Any) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
                "spec": {"selector": {"app": name}, "ports": [{"port": 80}], **spec}}

    a = c.create(svc("a", type="NodePort"))
    ip, port = a["spec"]["clusterIP"], a["spec"]["ports"][0]["nodePort"]
    assert ip.startswith("10.") and 30000 <= port <= 32767
    with pytest.raises(errors.Invalid) as e:
        c.create(svc("b", clusterIP=ip))
    assert "provided IP is already allocated" in e.value.message
    with pytest.raises(errors.Invalid):
        c.create(svc("c", type="NodePort", ports=[{"port": 80, "nodePort": port}]))
    c.delete("v1", "Service", "a", "default")
    b = c.create(svc("b", clusterIP=ip))  # released on delete
    assert b["spec"]["clusterIP"] == ip


async def test_list_pages_with_continue_tokens(cluster: Cluster) -> None:
    c = cluster.client
    for i in range(5):
        c.create(cm(f"p{i}"))
    names, token = [], None
    while True:
        page = c.list("v1", "ConfigMap", "default", limit=2, continue_token=token,
                      label_selector=None)
        names += [o["metadata"]["name"] for o in page.items]
        token = page.continue_token
        if not token:
            break
    assert names == ["kube-root-ca.crt", "p0", "p1", "p2", "p3", "p4"]


async def test_an_hpa_is_one_object_seen_through_v1_and_v2(cluster: Cluster) -> None:
    c = cluster.client
    c.create({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
              "metadata": {"name": "web", "namespace": "default"},
              "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                       "minReplicas": 1, "maxReplicas": 10, "targetCPUUtilizationPercentage": 50}})
    v2 = c.get("autoscaling/v2", "HorizontalPodAutoscaler", "web", "default")
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]
    v1 = c.get("autoscaling/v1", "HorizontalPodAutoscaler", "web", "default")
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 50 and "metrics" not in v1["spec"]


@pytest.mark.parametrize("policy,dependent_survives", [
    ("Background", False), ("Foreground", False), ("Orphan", True),
], ids=["background deletion removes dependents",
        "foreground deletion removes dependents before the owner",
        "orphan deletion keeps dependents and strips their owner reference"])
async def test_deletion_cascades_by_propagation_policy(cluster: Cluster, policy: str,
                                                        dependent_survives: bool) -> None:
    c = cluster.client
    owner = c.create(cm("owner"))
    dep = cm("dep")
    dep["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                                           "uid": owner["metadata"]["uid"],
                                           "blockOwnerDeletion": True, "controller": True}]
    c.create(dep)
    c.delete("v1", "ConfigMap", "owner", "default", propagation_policy=policy)
    await cluster.settle()
    assert c.get_or_none("v1", "ConfigMap", "owner", "default") is None
    left = c.get_or_none("v1", "ConfigMap", "dep", "default")
    assert (left is not None) == dependent_survives
    if left is not None:
        assert "ownerReferences" not in left["metadata"]


async def test_binding_sets_the_node_and_refuses_a_second_binding(cluster: Cluster) -> None:
    c = cluster.client
    c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
              "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    c.bind("default", "p", "minik8s-worker")
    pod = c.get("v1", "Pod", "p", "default")
    assert pod["spec"]["nodeName"] == "minik8s-worker"
    assert {"type": "PodScheduled", "status": "True"}.items() <= pod["status"]["conditions"][0].items()
    with pytest.raises(errors.Conflict):
        c.bind("default", "p", "minik8s-worker2")


async def test_a_bound_pod_terminates_gracefully(cluster: Cluster) -> None:
    c = cluster.client
    c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
              "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    c.bind("default", "p", "minik8s-worker")
    out = c.delete("v1", "Pod", "p", "default")
    assert out["metadata"]["deletionGracePeriodSeconds"] == 30
    c.delete("v1", "Pod", "p", "default", grace_period_seconds=0)
    assert c.get_or_none("v1", "Pod", "p", "default") is None
