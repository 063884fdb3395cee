"""Work the workload controllers share or skip: the shared controller-uid and orphan indexes,
the garbage collector's owner index when owners do not change, the Deployment controller's
template comparison, and pod name prefixes."""

from __future__ import annotations

import types
from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.controllers import deployment_util as du
from minik8s.controllers import garbagecollector, podcontrol
from minik8s.registry import names

Obj = dict[str, Any]
NS = "default"
CONTROLLERS = ["namespace", "serviceaccount", "garbagecollector", "replicaset",
               "replicationcontroller", "deployment", "statefulset", "daemonset", "job"]


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(ClusterConfig(controllers=CONTROLLERS), clock="virtual",
                       serve=False) as c:
        yield c


class _Informer:
    """Records the indexes asked for."""

    def __init__(self) -> None:
        self.added: list[str] = []

    def add_indexer(self, name: str, fn: Any) -> None:
        self.added.append(name)

    def has_index(self, name: str) -> bool:
        return name in self.added


def test_index_by_controller_adds_each_index_once() -> None:
    inf = _Informer()
    podcontrol.index_by_controller(inf, orphans=False)  # type: ignore[arg-type]
    podcontrol.index_by_controller(inf)  # type: ignore[arg-type]
    podcontrol.index_by_controller(inf)  # type: ignore[arg-type]
    assert inf.added == [podcontrol.BY_CONTROLLER, podcontrol.ORPHANS]


async def test_controllers_read_one_shared_index(cluster: Cluster) -> None:
    cluster.client.create({
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web", "namespace": NS},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    await cluster.settle()
    rs = cluster.client.get("apps/v1", "ReplicaSet", "web", NS)
    pods = cluster.informers.informer("v1", "pods")
    owned = pods.by_index(podcontrol.BY_CONTROLLER, rs["metadata"]["uid"])
    assert len(owned) == 2 and pods.by_index(podcontrol.ORPHANS, NS) == []
    assert rs["status"]["replicas"] == 2


async def test_job_ignores_a_pod_whose_controller_has_its_uid_but_another_kind(
        cluster: Cluster) -> None:
    """The shared index holds every controller's pods by uid; only Job references are the
    Job's (a pod claiming the Job's uid as a ReplicaSet is neither owned nor released)."""
    job = cluster.client.create({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi", "namespace": NS},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "pi", "image": "perl"}]}}}})
    labels = job["spec"]["template"]["metadata"]["labels"]
    ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "pi",
           "uid": job["metadata"]["uid"], "controller": True}
    cluster.client.create({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "foreign", "namespace": NS, "labels": labels,
                     "ownerReferences": [ref]},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}})
    await cluster.settle()
    foreign = cluster.client.get("v1", "Pod", "foreign", NS)
    assert foreign["metadata"]["ownerReferences"] == [ref]
    others = [p for p in cluster.client.list("v1", "Pod", NS).items
              if p["metadata"]["name"] != "foreign"]
    assert len(others) == 1
    assert podcontrol.controller_ref(others[0])["kind"] == "Job"  # type: ignore[index]
    assert cluster.client.get("batch/v1", "Job", "pi", NS)["status"]["active"] == 1


# -- the garbage collector's owner index --------------------------------------------------------
PODS: Any = types.SimpleNamespace(key="pods")  # all the index reads of a Resource


def _obj(uid: str, *owners: str) -> Obj:
    md: Obj = {"name": "p", "namespace": NS, "uid": uid}
    if owners:
        md["ownerReferences"] = [{"kind": "ReplicaSet", "name": o, "uid": o} for o in owners]
    return {"metadata": md}


def test_owner_index_follows_owner_changes() -> None:
    index = garbagecollector.OwnerIndex()
    key = ("pods", NS, "p")
    index.update(PODS, "ADDED", _obj("u", "a"), None)
    assert index.dependents == {"a": {key}} and index.owners == {"u": key}
    index.update(PODS, "MODIFIED", _obj("u", "a"), _obj("u", "a"))  # owners unchanged
    assert index.dependents == {"a": {key}} and index.owners == {"u": key}
    index.update(PODS, "MODIFIED", _obj("u", "a", "b"), _obj("u", "a"))
    assert index.dependents == {"a": {key}, "b": {key}}
    index.update(PODS, "MODIFIED", _obj("u", "b"), _obj("u", "a", "b"))
    assert index.dependents == {"b": {key}}
    index.update(PODS, "MODIFIED", _obj("u"), _obj("u", "b"))
    assert index.dependents == {}
    index.update(PODS, "MODIFIED", _obj("u", "c"), _obj("u"))
    index.update(PODS, "DELETED", _obj("u", "c"), _obj("u", "c"))
    assert index.dependents == {} and index.owners == {}


def test_owner_index_learns_objects_written_before_it_started() -> None:
    """An object the index never saw (written before the collector was set up) is indexed on
    its first update, even one that keeps its owners."""
    index = garbagecollector.OwnerIndex()
    index.update(PODS, "MODIFIED", _obj("u", "a"), _obj("u", "a"))
    assert index.dependents == {"a": {("pods", NS, "p")}} and index.owners == {"u": ("pods", NS, "p")}


# -- the Deployment controller's template comparison ---------------------------------------------
def _template(image: str, hashed: bool, containers: Any = None) -> Obj:
    labels = {"app": "web", **({du.HASH_LABEL: "abc"} if hashed else {})}
    return {"metadata": {"labels": labels},
            "spec": {"containers": containers or [{"name": "c", "image": image}]}}


def test_equal_ignore_hash() -> None:
    assert du.equal_ignore_hash(_template("nginx", True), _template("nginx", False))
    assert not du.equal_ignore_hash(_template("nginx", True), _template("httpd", False))
    # compared as JSON, as the deep copies it used to compare were: a tuple equals a list
    as_tuple = _template("", False, ({"name": "c", "image": "nginx"},))
    assert du.equal_ignore_hash(as_tuple, _template("nginx", True))
    only_hash = {"metadata": {"labels": {du.HASH_LABEL: "abc"}}, "spec": {}}
    assert du.equal_ignore_hash(only_hash, {"metadata": {}, "spec": {}})
    template = _template("nginx", True)
    du.equal_ignore_hash(template, _template("nginx", False))
    assert template["metadata"]["labels"][du.HASH_LABEL] == "abc"  # inputs left alone


# -- pod names -----------------------------------------------------------------------------------
def test_pod_prefix() -> None:
    assert podcontrol._pod_prefix("web") == ("web-", "web-")
    long = "a" * 70
    prefix, base = podcontrol._pod_prefix(long)
    assert prefix == long + "-"
    assert len(base) == names.MAX_GENERATED_NAME - names.GENERATE_SUFFIX
    assert podcontrol._pod_prefix("Bad_Name")[0] == "Bad_Name"
