"""ReplicaSet and ReplicationController controllers, against the in-memory cluster (virtual clock).

Only the controllers under test run; ``make_running`` stands in for the scheduler and kubelet
by binding pods and writing a Running/Ready status.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.api import errors
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.controllers import podcontrol
from minik8s.registry import names

Obj = dict[str, Any]
CONTROLLERS = ["namespace", "serviceaccount", "garbagecollector", "replicaset",
               "replicationcontroller"]
NS = "default"
NODE = "minik8s-worker"


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(ClusterConfig(controllers=CONTROLLERS), clock="virtual", serve=False) as c:
        yield c


def make_rs(name: str = "web", replicas: int = 3, labels: dict[str, str] | None = None,
            min_ready: int = 0) -> Obj:
    labels = labels or {"app": name}
    spec: Obj = {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels, "annotations": {"team": "a"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


def make_pod(name: str, labels: dict[str, str]) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS,
                                                            "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def pods(c: Cluster, **labels: str) -> list[Obj]:
    sel = ",".join(f"{k}={v}" for k, v in labels.items()) or None
    return c.client.list("v1", "Pod", NS, label_selector=sel).items


def live(c: Cluster) -> set[str]:
    return {p["metadata"]["name"] for p in pods(c) if not p["metadata"].get("deletionTimestamp")}


def set_state(c: Cluster, name: str, *, node: str | None = NODE, phase: str = "Running",
              ready: bool | None = True, ready_ago: float = 0, restarts: int = 0) -> None:
    """Bind a pod and write the status a kubelet would."""
    if node and not c.client.get("v1", "Pod", name, NS)["spec"].get("nodeName"):
        c.client.bind(NS, name, node)
    p = c.client.get("v1", "Pod", name, NS)
    status: Obj = {"phase": phase, "containerStatuses": [
        {"name": "c", "ready": bool(ready), "restartCount": restarts, "image": "nginx",
         "imageID": "", "started": phase == "Running", "state": {}}]}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False",
                                 "lastTransitionTime": c.clock.rfc3339(c.clock.now() - ready_ago)}]
    p["status"] = status
    c.client.update_status(p)


def make_running(c: Cluster) -> int:
    """The stand-in kubelet: every pending pod bound and Ready; terminating pods removed."""
    n = 0
    for p in pods(c):
        md = p["metadata"]
        if md.get("deletionTimestamp"):
            c.client.delete("v1", "Pod", md["name"], NS, grace_period_seconds=0)
            n += 1
        elif (p.get("status") or {}).get("phase") != "Running":
            set_state(c, md["name"])
            n += 1
    return n


def events(c: Cluster, reason: str) -> list[str]:
    return sorted(e["message"] for e in c.client.list("v1", "Event", NS).items
                  if e["reason"] == reason)


# --- creation and naming ------------------------------------------------------------------------


async def test_a_replicaset_creates_exactly_replicas_pods_with_deterministic_names() -> None:
    seen = []
    for _ in range(2):
        async with Cluster(ClusterConfig(controllers=CONTROLLERS), clock="virtual",
                           serve=False) as c:
            c.client.create(make_rs(replicas=3))
            await c.settle()
            rs = c.client.get("apps/v1", "ReplicaSet", "web", NS)
            got = pods(c)
            assert len(got) == 3
            for p in got:
                assert re.fullmatch(f"web-[{names.ALPHANUMS}]{{5}}", p["metadata"]["name"])
                assert p["metadata"]["generateName"] == "web-"
                assert p["metadata"]["labels"] == {"app": "web"}
                assert p["metadata"]["annotations"] == {"team": "a"}
                assert p["metadata"]["ownerReferences"] == [{
                    "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                    "uid": rs["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
            assert events(c, "SuccessfulCreate") == sorted(
                f"Created pod: {p['metadata']['name']}" for p in got)
            assert rs["status"] == {"replicas": 3, "fullyLabeledReplicas": 3,
                                    "observedGeneration": 1}
            seen.append(sorted(p["metadata"]["name"] for p in got))
    assert seen[0] == seen[1]


async def test_status_counts_ready_and_available_after_min_ready_seconds(cluster: Cluster) -> None:
    c = cluster
    c.client.create(make_rs(replicas=2, min_ready=10))
    await c.settle()
    make_running(c)
    await c.settle()
    st = c.client.get("apps/v1", "ReplicaSet", "web", NS)["status"]
    assert (st["readyReplicas"], st.get("availableReplicas", 0)) == (2, 0)
    await c.advance(9)
    st = c.client.get("apps/v1", "ReplicaSet", "web", NS)["status"]
    assert st.get("availableReplicas", 0) == 0
    await c.advance(1)
    assert c.client.get("apps/v1", "ReplicaSet", "web", NS)["status"]["availableReplicas"] == 2


async def test_a_deleted_pod_is_replaced(cluster: Cluster) -> None:
    c = cluster
    c.client.create(make_rs(replicas=2))
    await c.settle()
    before = live(c)
    gone = min(before)
    c.client.delete("v1", "Pod", gone, NS)
    await c.settle()
    after = live(c)
    assert len(after) == 2 and gone not in after and len(after & before) == 1


async def test_a_failed_create_sets_replica_failure_and_a_failed_create_event(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    c = cluster
    create = c.client.create
    quota = ('pods "x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, '
             "limited: pods=1")

    def limited(obj: Obj, namespace: str = "", **kw: Any) -> Obj:  # a ResourceQuota of 1 pod
        if obj["kind"] == "Pod" and len(pods(c)) >= 1:
            raise errors.Forbidden(quota)
        return create(obj, namespace, **kw)

    monkeypatch.setattr(c.client, "create", limited)
    c.client.create(make_rs(replicas=3))
    await c.settle()
    assert len(pods(c)) == 1
    cond = c.client.get("apps/v1", "ReplicaSet", "web", NS)["status"]["conditions"]
    assert [(x["type"], x["status"], x["reason"], x["message"]) for x in cond] == [
        ("ReplicaFailure", "True", "FailedCreate", quota)]
    assert events(c, "FailedCreate") == [f"Error creating: {quota}"]  # the 2nd is aggregated
    monkeypatch.setattr(c.client, "create", create)
    await c.advance(60)  # rate-limited retries
    st = c.client.get("apps/v1", "ReplicaSet", "web", NS)["status"]
    assert st["replicas"] == 3 and "conditions" not in st


# --- scale down: who goes first ------------------------------------------------------------------


async def test_scale_down_deletes_the_cheapest_pods_first(cluster: Cluster) -> None:
    c = cluster
    labels = {"app": "web"}
    # ready for less time beats restart count, which only breaks ties of equal ready times
    order = ["unscheduled", "pending", "unknown", "not-ready", "ready-recent", "restarted",
             "ready-long"]
    for name in order:
        c.client.create(make_pod(name, labels))
    set_state(c, "unscheduled", node=None, phase="Pending", ready=None)
    set_state(c, "pending", phase="Pending", ready=None)
    set_state(c, "unknown", phase="Unknown", ready=None)
    set_state(c, "not-ready", ready=False)
    set_state(c, "restarted", ready_ago=100_000, restarts=3)
    set_state(c, "ready-recent", ready_ago=10)
    set_state(c, "ready-long", ready_ago=100_000)
    c.client.create(make_rs(replicas=len(order)))
    await c.settle()
    assert live(c) == set(order)  # all adopted, none created
    deleted = []
    for n in range(len(order) - 1, 0, -1):
        before = live(c)
        c.client.patch("apps/v1", "ReplicaSet", "web", {"spec": {"replicas": n}}, NS)
        await c.settle()
        deleted += sorted(before - live(c))
    assert deleted == order[:-1]
    assert events(c, "SuccessfulDelete")[0].startswith("Deleted pod: ")


def test_newer_pods_go_first_among_equals_by_log_scale_age() -> None:
    def pod(name: str, created: float) -> Obj:
        from minik8s.aio.clock import format_rfc3339
        return {"metadata": {"name": name, "uid": name,
                             "creationTimestamp": format_rfc3339(created)},
                "spec": {}, "status": {"phase": "Pending"}}
    now = 1_000_000.0
    ranked = podcontrol.deletion_order(
        [pod("old", now - 5000), pod("new", now - 10), pod("mid", now - 300)], [], now)
    assert [p["metadata"]["name"] for p in ranked] == ["new", "mid", "old"]


# --- adoption and release -------------------------------------------------------------------


async def test_a_matching_orphan_pod_is_adopted_and_counted(cluster: Cluster) -> None:
    c = cluster
    c.client.create(make_pod("stray", {"app": "web"}))
    c.client.create(make_pod("other", {"app": "db"}))
    c.client.create(make_rs(replicas=2))
    await c.settle()
    rs = c.client.get("apps/v1", "ReplicaSet", "web", NS)
    stray = c.client.get("v1", "Pod", "stray", NS)
    assert (podcontrol.controller_ref(stray) or {}).get("uid") == rs["metadata"]["uid"]
    assert "ownerReferences" not in c.client.get("v1", "Pod", "other", NS)["metadata"]
    assert len(pods(c, app="web")) == 2 and len(events(c, "SuccessfulCreate")) == 1


async def test_a_pod_that_stops_matching_is_released_and_replaced(cluster: Cluster) -> None:
    c = cluster
    c.client.create(make_rs(replicas=2))
    await c.settle()
    victim = min(live(c))
    c.client.patch("v1", "Pod", victim, {"metadata": {"labels": {"app": "debug"}}}, NS)
    await c.settle()
    assert "ownerReferences" not in c.client.get("v1", "Pod", victim, NS)["metadata"]
    assert len(pods(c, app="web")) == 2


async def test_a_pod_owned_by_another_controller_is_left_alone(cluster: Cluster) -> None:
    c = cluster
    c.client.create(make_rs("a", replicas=1, labels={"app": "x"}))
    await c.settle()
    c.client.create(make_rs("b", replicas=1, labels={"app": "x"}))
    await c.settle()
    owners = sorted((podcontrol.controller_ref(p) or {}).get("name", "") for p in pods(c))
    assert owners == ["a", "b"]


# --- ReplicationController ------------------------------------------------------------------


async def test_a_replication_controller_keeps_its_pods_like_a_replicaset(cluster: Cluster) -> None:
    c = cluster
    c.client.create({"apiVersion": "v1", "kind": "ReplicationController",
                     "metadata": {"name": "rc", "namespace": NS},
                     "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "rc"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    await c.settle()
    got = pods(c, app="rc")
    assert len(got) == 2 and all(p["metadata"]["name"].startswith("rc-") for p in got)
    assert (podcontrol.controller_ref(got[0]) or {}).get("kind") == "ReplicationController"
    c.client.patch("v1", "ReplicationController", "rc", {"spec": {"replicas": 1}}, NS)
    await c.settle()
    assert len(live(c)) == 1
    assert c.client.get("v1", "ReplicationController", "rc", NS)["status"] == {
        "replicas": 1, "fullyLabeledReplicas": 1, "observedGeneration": 2}


async def test_a_thousand_replicas_are_created_within_one_settle(cluster: Cluster) -> None:
    c = cluster
    c.client.create(make_rs(replicas=1000))
    await c.settle()
    assert c.client.get("apps/v1", "ReplicaSet", "web", NS)["status"]["replicas"] == 1000
    assert len({p["metadata"]["name"] for p in pods(c)}) == 1000
