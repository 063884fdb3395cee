"""Deployment controller, against the in-memory cluster (virtual clock).

Only namespace, GC, ReplicaSet and Deployment controllers run; ``Kubelet`` stands in for the
scheduler and kubelet by binding pods and writing Running/Ready, as few at a time as a test
wants, so rollouts can be stepped and checked after every step.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.util
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.controllers import deployment_util as du
from minik8s.controllers import podcontrol

Obj = dict[str, Any]
CONTROLLERS = ["namespace", "serviceaccount", "garbagecollector", "replicaset", "deployment"]
NS = "default"


def new_cluster() -> Cluster:
    return Cluster(ClusterConfig(controllers=CONTROLLERS), clock="virtual", serve=False)


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with new_cluster() as c:
        yield c


def make_deployment(name: str = "web", replicas: int = 3, image: str = "nginx",
                    strategy: Obj | None = None, **spec: Any) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NS, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "strategy": strategy or {"type": "RollingUpdate"},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "nginx", "image": image}]}},
                     **spec}}


class Kubelet:
    """Stand-in for scheduler + kubelet: bind, run and make Ready; finish terminating pods."""

    def __init__(self, c: Cluster) -> None:
        self.c = c

    def pods(self) -> list[Obj]:
        return self.c.client.list("v1", "Pod", NS).items

    def step(self, limit: int | None = None) -> int:
        client, clock, n = self.c.client, self.c.clock, 0
        for p in sorted(self.pods(), key=lambda p: p["metadata"]["name"]):
            md = p["metadata"]
            if md.get("deletionTimestamp"):
                client.delete("v1", "Pod", md["name"], NS, grace_period_seconds=0)
                n += 1
                continue
            running = (p.get("status") or {}).get("phase") == "Running"
            if running or (limit is not None and limit <= 0):
                continue
            if not p["spec"].get("nodeName"):
                client.bind(NS, md["name"], "minik8s-worker")
                p = client.get("v1", "Pod", md["name"], NS)
            now = clock.rfc3339()
            p["status"] = {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": now}],
                "containerStatuses": [{"name": "nginx", "ready": True, "restartCount": 0,
                                       "image": "nginx", "imageID": "", "started": True,
                                       "state": {"running": {"startedAt": now}}}]}
            client.update_status(p)
            n += 1
            if limit is not None:
                limit -= 1
        return n

    async def converge(self) -> None:
        await self.c.settle()
        while self.step():
            await self.c.settle()


def owner_uid(obj: Obj) -> str:
    return (podcontrol.controller_ref(obj) or {}).get("uid", "")  # type: ignore[no-any-return]


def get(c: Cluster, name: str = "web") -> Obj:
    return c.client.get("apps/v1", "Deployment", name, NS)


def replicasets(c: Cluster) -> list[Obj]:
    return sorted(c.client.list("apps/v1", "ReplicaSet", NS).items, key=du.revision)


def condition(d: Obj, ctype: str) -> tuple[str, str, str]:
    cond = du.get_condition(d.get("status") or {}, ctype) or {}
    return cond.get("status", ""), cond.get("reason", ""), cond.get("message", "")


def events(c: Cluster, reason: str) -> list[str]:
    evs = sorted(c.client.list("v1", "Event", NS).items,
                 key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e["message"] for e in evs if e["reason"] == reason]


def set_image(c: Cluster, image: str, name: str = "web") -> None:
    d = get(c, name)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    c.client.update(d)


def undo(c: Cluster, to_revision: int = 0, name: str = "web") -> None:
    """kubectl rollout undo, client side: the old ReplicaSet's template back into the Deployment."""
    d = get(c, name)
    rss = [rs for rs in replicasets(c) if owner_uid(rs) == d["metadata"]["uid"]]
    rev = to_revision or du.last_revision(rss)
    rs = next(rs for rs in rss if du.revision(rs) == rev)
    tpl = copy.deepcopy(rs["spec"]["template"])
    del tpl["metadata"]["labels"][du.HASH_LABEL]
    ann = {k: v for k, v in (d["metadata"].get("annotations") or {}).items()
           if k in du.SKIP_ANNOTATIONS}
    ann.update({k: v for k, v in (rs["metadata"].get("annotations") or {}).items()
                if k not in du.SKIP_ANNOTATIONS})
    c.client.patch("apps/v1", "Deployment", name, [
        {"op": "replace", "path": "/spec/template", "value": tpl},
        {"op": "replace", "path": "/metadata/annotations", "value": ann}], NS,
        patch_type="application/json-patch+json")


# --- creation -----------------------------------------------------------------------------------


async def test_a_deployment_creates_a_hash_named_replicaset_and_its_pods(cluster: Cluster) -> None:
    c = cluster
    c.client.create(make_deployment(replicas=3))
    await c.settle()
    d = get(c)
    [rs] = replicasets(c)
    h = du.compute_hash(d["spec"]["template"])
    assert rs["metadata"]["name"] == f"web-{h}"
    assert rs["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
    assert rs["spec"]["selector"] == {"matchLabels": {"app": "web", "pod-template-hash": h}}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
    assert owner_uid(rs) == d["metadata"]["uid"]
    assert rs["metadata"]["annotations"] == {du.REVISION: "1", du.DESIRED_REPLICAS: "3",
                                             du.MAX_REPLICAS: "4"}
    assert d["metadata"]["annotations"] == {du.REVISION: "1"}
    pods = c.client.list("v1", "Pod", NS).items
    assert len(pods) == 3
    assert all(p["metadata"]["labels"]["pod-template-hash"] == h for p in pods)
    assert all(p["metadata"]["name"].startswith(f"web-{h}-") for p in pods)
    assert events(c, "ScalingReplicaSet") == [f"Scaled up replica set web-{h} from 0 to 3"]
    assert condition(d, "Available")[:2] == ("False", "MinimumReplicasUnavailable")
    assert condition(d, "Progressing") == ("True", "ReplicaSetUpdated",
                                           f'ReplicaSet "web-{h}" is progressing.')
    await Kubelet(c).converge()
    d = get(c)
    assert {k: d["status"][k] for k in ("observedGeneration", "replicas", "updatedReplicas",
                                        "readyReplicas", "availableReplicas")} == {
        "observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3,
        "availableReplicas": 3}
    assert "unavailableReplicas" not in d["status"]
    assert [x["type"] for x in d["status"]["conditions"]] == ["Available", "Progressing"]
    assert condition(d, "Available") == ("True", "MinimumReplicasAvailable",
                                         "Deployment has minimum availability.")
    assert condition(d, "Progressing") == ("True", "NewReplicaSetAvailable",
                                           f'ReplicaSet "web-{h}" has successfully progressed.')


def test_the_pod_template_hash_is_fnv32a_safe_encoded_and_deterministic() -> None:
    assert du.fnv32a(b"") == 0x811C9DC5 and du.fnv32a(b"a") == 0xE40C292C
    # digits are runes 48..57: 48 % 27 = 21 → ALPHANUMS[21] = '4', so hashes use "456789bcdf"
    assert du.safe_encode("0123456789") == "456789bcdf"
    tpl = make_deployment()["spec"]["template"]
    h = du.compute_hash(tpl)
    assert h == du.compute_hash(copy.deepcopy(tpl)) and h != du.compute_hash(tpl, 1)
    assert set(h) <= set("456789bcdf") and 1 <= len(h) <= 10


# --- rolling update -----------------------------------------------------------------------------


@pytest.mark.parametrize("replicas,surge,unavailable", [
    pytest.param(10, "25%", "25%", id="default 25% of 10: surge 3, unavailable 2"),
    pytest.param(5, 0, 1, id="no surge: one down at a time"),
    pytest.param(5, 2, 0, id="no unavailability: two extra at a time"),
    pytest.param(3, "50%", "50%", id="percentages round surge up and unavailability down"),
])
async def test_a_rolling_update_respects_max_surge_and_max_unavailable_at_every_step(
        cluster: Cluster, replicas: int, surge: Any, unavailable: Any) -> None:
    c, kubelet = cluster, Kubelet(cluster)
    strategy = {"type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    c.client.create(make_deployment(replicas=replicas, strategy=strategy))
    await kubelet.converge()
    max_surge, max_unavailable = du.fenceposts(get(c))
    old_hash = replicasets(c)[0]["metadata"]["labels"]["pod-template-hash"]
    set_image(c, "nginx:1.27")
    for _ in range(100):
        await c.settle()
        live = [p for p in kubelet.pods() if not p["metadata"].get("deletionTimestamp")]
        ready = [p for p in live if podcontrol.is_ready(p)]
        assert len(live) <= replicas + max_surge
        assert len(ready) >= replicas - max_unavailable
        assert sum(du.replicas(rs) for rs in replicasets(c)) <= replicas + max_surge
        if not kubelet.step(limit=1):
            break
    assert all(p["metadata"]["labels"]["pod-template-hash"] != old_hash for p in kubelet.pods())
    assert [du.replicas(rs) for rs in replicasets(c)] == [0, replicas]
    d = get(c)
    assert d["status"]["updatedReplicas"] == replicas
    assert d["metadata"]["annotations"][du.REVISION] == "2"


async def test_recreate_deletes_every_old_pod_before_creating_new_ones(cluster: Cluster) -> None:
    c, kubelet = cluster, Kubelet(cluster)
    c.client.create(make_deployment(replicas=3, strategy={"type": "Recreate"}))
    await kubelet.converge()
    old_hash = replicasets(c)[0]["metadata"]["labels"]["pod-template-hash"]
    set_image(c, "nginx:1.27")
    for _ in range(20):
        await c.settle()
        hashes = {p["metadata"]["labels"]["pod-template-hash"] for p in kubelet.pods()}
        assert not (old_hash in hashes and len(hashes) > 1), "old and new pods coexist"
        if not kubelet.step():
            break
    pods = kubelet.pods()
    assert len(pods) == 3 and old_hash not in {p["metadata"]["labels"]["pod-template-hash"]
                                               for p in pods}
    msgs = events(c, "ScalingReplicaSet")
    assert msgs[-2].startswith(f"Scaled down replica set web-{old_hash} from 3 to 0")
    assert msgs[-1].endswith("from 0 to 3")


async def test_scaling_mid_rollout_is_proportional(cluster: Cluster) -> None:
    """The documented example: 10 replicas, maxSurge 3, maxUnavailable 2, a stuck rollout
    scaled to 15 gives 3 more to the old ReplicaSet and 2 more to the new one."""
    c, kubelet = cluster, Kubelet(cluster)
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    c.client.create(make_deployment(replicas=10, strategy=strategy))
    await kubelet.converge()
    set_image(c, "nginx:does-not-exist")  # the new pods never become ready
    await c.settle()
    assert [du.replicas(rs) for rs in replicasets(c)] == [8, 5]
    c.client.patch("apps/v1", "Deployment", "web", {"spec": {"replicas": 15}}, NS,
                   subresource="scale")
    await c.settle()
    assert [du.replicas(rs) for rs in replicasets(c)] == [11, 7]
    assert all(rs["metadata"]["annotations"][du.DESIRED_REPLICAS] == "15" for rs in replicasets(c))


# --- history, undo, restart ---------------------------------------------------------------------


async def test_rollout_undo_reuses_the_old_replicaset_and_bumps_its_revision(
        cluster: Cluster) -> None:
    c, kubelet = cluster, Kubelet(cluster)
    c.client.create(make_deployment(replicas=2, revisionHistoryLimit=10))
    await kubelet.converge()
    for image in ("nginx:1.26", "nginx:1.27"):
        set_image(c, image)
        await kubelet.converge()
    assert [du.revision(rs) for rs in replicasets(c)] == [1, 2, 3]
    first = replicasets(c)[0]["metadata"]["name"]
    undo(c, to_revision=1)
    await kubelet.converge()
    rss = replicasets(c)
    assert len(rss) == 3 and rss[-1]["metadata"]["name"] == first
    assert rss[-1]["metadata"]["annotations"][du.REVISION] == "4"
    assert rss[-1]["metadata"]["annotations"][du.REVISION_HISTORY] == "1"
    assert [du.replicas(rs) for rs in rss] == [0, 0, 2]
    assert get(c)["metadata"]["annotations"][du.REVISION] == "4"
    undo(c)  # back to the previous revision (3)
    await kubelet.converge()
    assert get(c)["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert [du.revision(rs) for rs in replicasets(c)] == [2, 4, 5]


async def test_the_legacy_rollback_annotation_rolls_back_to_the_previous_revision(
        cluster: Cluster) -> None:
    c, kubelet = cluster, Kubelet(cluster)
    c.client.create(make_deployment(replicas=1))
    await kubelet.converge()
    set_image(c, "nginx:1.27")
    await kubelet.converge()
    c.client.patch("apps/v1", "Deployment", "web",
                   {"metadata": {"annotations": {du.ROLLBACK_TO: "0"}}}, NS)
    await kubelet.converge()
    d = get(c)
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx"
    assert du.ROLLBACK_TO not in d["metadata"]["annotations"]
    assert events(c, "DeploymentRollback") == ['Rolled back deployment "web" to revision 1']


async def test_change_cause_flows_to_the_replicaset_and_restart_rolls(cluster: Cluster) -> None:
    c, kubelet = cluster, Kubelet(cluster)
    c.client.create(make_deployment(replicas=1))
    await kubelet.converge()
    c.client.patch("apps/v1", "Deployment", "web", {"metadata": {"annotations": {
        "kubernetes.io/change-cause": "first"}}}, NS)
    await c.settle()
    assert replicasets(c)[0]["metadata"]["annotations"]["kubernetes.io/change-cause"] == "first"
    c.client.patch("apps/v1", "Deployment", "web", {"spec": {"template": {"metadata": {
        "annotations": {"kubectl.kubernetes.io/restartedAt": c.clock.rfc3339()}}}}}, NS)
    await kubelet.converge()
    assert [du.replicas(rs) for rs in replicasets(c)] == [0, 1]


async def test_revision_history_limit_deletes_the_oldest_empty_replicasets(
        cluster: Cluster) -> None:
    c, kubelet = cluster, Kubelet(cluster)
    c.client.create(make_deployment(replicas=1, revisionHistoryLimit=1))
    await kubelet.converge()
    for i in range(4):
        set_image(c, f"nginx:1.{i}")
        await kubelet.converge()
    assert [du.revision(rs) for rs in replicasets(c)] == [4, 5]


# --- progress, pause ----------------------------------------------------------------------------


async def test_progress_deadline_is_exceeded_when_pods_never_become_ready(cluster: Cluster) -> None:
    c = cluster
    c.client.create(make_deployment(replicas=2))
    await c.settle()
    name = replicasets(c)[0]["metadata"]["name"]
    await c.advance(599)
    assert condition(get(c), "Progressing")[1] == "ReplicaSetUpdated"
    await c.advance(1)
    assert condition(get(c), "Progressing") == (
        "False", "ProgressDeadlineExceeded", f'ReplicaSet "{name}" has timed out progressing.')


async def test_a_paused_deployment_does_not_roll_but_scales(cluster: Cluster) -> None:
    c, kubelet = cluster, Kubelet(cluster)
    c.client.create(make_deployment(replicas=2))
    await kubelet.converge()
    c.client.patch("apps/v1", "Deployment", "web", {"spec": {"paused": True}}, NS)
    set_image(c, "nginx:1.27")
    c.client.patch("apps/v1", "Deployment", "web", {"spec": {"replicas": 4}}, NS)
    await kubelet.converge()
    assert [du.replicas(rs) for rs in replicasets(c)] == [4]
    d = get(c)
    assert condition(d, "Progressing") == ("Unknown", "DeploymentPaused", "Deployment is paused")
    assert d["status"]["observedGeneration"] == d["metadata"]["generation"]
    c.client.patch("apps/v1", "Deployment", "web", {"spec": {"paused": False}}, NS)
    await c.settle()
    assert len(replicasets(c)) == 2
    await kubelet.converge()
    assert [du.replicas(rs) for rs in replicasets(c)] == [0, 4]
    assert condition(get(c), "Progressing")[1] == "NewReplicaSetAvailable"


async def test_min_ready_seconds_hold_availability_back_on_the_clock(cluster: Cluster) -> None:
    c, kubelet = cluster, Kubelet(cluster)
    c.client.create(make_deployment(replicas=2, minReadySeconds=30))
    await kubelet.converge()
    assert replicasets(c)[0]["spec"]["minReadySeconds"] == 30
    d = get(c)
    assert (d["status"]["readyReplicas"], d["status"].get("availableReplicas", 0)) == (2, 0)
    await c.advance(30)
    d = get(c)
    assert d["status"]["availableReplicas"] == 2
    assert condition(d, "Progressing")[1] == "NewReplicaSetAvailable"


async def test_deleting_a_deployment_takes_its_replicasets_and_pods_along(cluster: Cluster) -> None:
    c, kubelet = cluster, Kubelet(cluster)
    c.client.create(make_deployment(replicas=2))
    await kubelet.converge()
    set_image(c, "nginx:1.27")
    await kubelet.converge()
    c.client.delete("apps/v1", "Deployment", "web", NS)
    await kubelet.converge()
    assert replicasets(c) == [] and kubelet.pods() == []


async def test_a_matching_orphan_replicaset_is_adopted_and_scaled_down(cluster: Cluster) -> None:
    c, kubelet = cluster, Kubelet(cluster)
    c.client.create({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                     "metadata": {"name": "legacy", "namespace": NS, "labels": {"app": "web"}},
                     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                              "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                                  "containers": [{"name": "nginx", "image": "nginx:old"}]}}}})
    await kubelet.converge()
    c.client.create(make_deployment(replicas=2))
    await kubelet.converge()
    legacy = c.client.get("apps/v1", "ReplicaSet", "legacy", NS)
    assert owner_uid(legacy) == get(c)["metadata"]["uid"]
    assert du.replicas(legacy) == 0 and len(kubelet.pods()) == 2


async def test_a_thousand_replicas_from_create_to_all_pods_created(cluster: Cluster) -> None:
    c = cluster
    c.client.create(make_deployment(replicas=1000))
    await c.settle()
    assert get(c)["status"]["replicas"] == 1000


# --- property: whatever the sequence, the newest ReplicaSet ends up owning everything ------------


actions = st.lists(st.one_of(st.tuples(st.just("scale"), st.integers(0, 6)),
                             st.tuples(st.just("image"), st.sampled_from(["a", "b", "c"])),
                             st.tuples(st.just("step"), st.integers(0, 3))),
                   min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=actions, surge=st.sampled_from([0, 1, "25%"]),
       unavailable=st.sampled_from([0, 1, "50%"]))
def test_after_any_scale_and_image_sequence_the_newest_replicaset_owns_all_pods(
        actions: list[tuple[str, Any]], surge: Any, unavailable: Any) -> None:
    async def scenario() -> None:
        async with new_cluster() as c:
            kubelet = Kubelet(c)
            strategy = {"type": "RollingUpdate",
                        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
            c.client.create(make_deployment(replicas=2, strategy=strategy))
            await c.settle()
            for action, arg in actions:
                if action == "scale":
                    c.client.patch("apps/v1", "Deployment", "web", {"spec": {"replicas": arg}}, NS)
                elif action == "image":
                    set_image(c, f"nginx:{arg}")
                else:
                    kubelet.step(limit=arg)
                await c.settle()
                d = get(c)  # safety: never more pods asked for than replicas + maxSurge
                assert sum(du.replicas(rs) for rs in replicasets(c)) <= \
                    du.replicas(d) + du.max_surge(d)
            await kubelet.converge()
            d = get(c)
            want = d["spec"]["replicas"]
            new = du.find_new(d, replicasets(c))
            assert new is not None and du.replicas(new) == want
            assert all(du.replicas(rs) == 0 for rs in replicasets(c)
                       if rs["metadata"]["uid"] != new["metadata"]["uid"])
            pods = kubelet.pods()
            assert len(pods) == want
            assert all(owner_uid(p) == new["metadata"]["uid"] for p in pods)
            assert d["status"].get("updatedReplicas", 0) == want
            assert d["status"]["observedGeneration"] == d["metadata"]["generation"]
    asyncio.run(scenario())


# --- with every component: the simulated kubelet (and scheduler) run the pods -------------------

HAVE_SCHEDULER = importlib.util.find_spec("minik8s.scheduler.scheduler") is not None


async def tick(c: Cluster) -> None:
    """One second of cluster time; binds pods itself while the scheduler is not built."""
    if not HAVE_SCHEDULER:
        for p in c.client.list("v1", "Pod", NS).items:
            if not p["spec"].get("nodeName") and not p["metadata"].get("deletionTimestamp"):
                c.client.bind(NS, p["metadata"]["name"], "minik8s-worker")
    await c.advance(1)


async def test_with_all_components_a_rolling_update_completes_within_its_bounds() -> None:
    async with Cluster(clock="virtual", serve=False) as c:
        c.client.create(make_deployment(replicas=4))
        for _ in range(300):
            await tick(c)
            if get(c)["status"].get("availableReplicas") == 4:
                break
        assert get(c)["status"].get("availableReplicas") == 4
        set_image(c, "nginx:1.27")
        max_surge, max_unavailable = du.fenceposts(get(c))
        for _ in range(300):
            await tick(c)
            pods = [p for p in c.client.list("v1", "Pod", NS).items
                    if not p["metadata"].get("deletionTimestamp")]
            assert len(pods) <= 4 + max_surge
            assert sum(du.replicas(rs) for rs in replicasets(c)) <= 4 + max_surge
            assert sum(podcontrol.is_ready(p) for p in pods) >= 4 - max_unavailable
            if du.complete(get(c), get(c)["status"]):
                break
        d = get(c)
        assert du.complete(d, d["status"])
        assert [du.replicas(rs) for rs in replicasets(c)] == [0, 4]
        assert condition(d, "Progressing")[1] == "NewReplicaSetAvailable"
