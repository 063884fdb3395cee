"""StatefulSet controller, against the in-memory cluster on the virtual clock (scenario S6).

Only the workload controllers under test run, with ``StandIn`` in place of the scheduler
and kubelet: it binds pending pods, reports them Running and Ready, and finishes terminating
pods, as a manager component so ``settle()`` drives it; ``paused`` freezes pods where they
are. The S6 tests also run on the full default component set (``full`` parameter) with the
simulated kubelet, the stand-in only binding while the scheduler is not built. Order is
checked on a ``Timeline`` of commits.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from minik8s.api import errors
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.controllers import history

Obj = dict[str, Any]
NS = "default"
CONTROLLERS = ["namespace", "serviceaccount", "garbagecollector", "volumes", "statefulset",
               "daemonset"]
WORKER = "minik8s-worker"
NAME_FIELD = "metadata.name"


HAS_SCHEDULER = importlib.util.find_spec("minik8s.scheduler.scheduler") is not None
HAS_KUBELET = importlib.util.find_spec("minik8s.sim.kubelet") is not None
SELECTED_NODE = "volume.kubernetes.io/selected-node"


# --- the stand-in scheduler and kubelet -------------------------------------------------------


def pinned_node(pod: Obj) -> str | None:
    """The node a DaemonSet pod's required affinity names (what the scheduler binds to)."""
    aff = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in aff.get("nodeSelectorTerms") or ():
        for f in term.get("matchFields") or ():
            if f.get("key") == NAME_FIELD and f.get("operator") == "In":
                return str(f["values"][0])
    return None


class StandIn:
    """Binds pending pods (DaemonSet pods to their pinned node, others to ``minik8s-worker``,
    choosing that node for their WaitForFirstConsumer claims as the scheduler does), then
    reports them Running and Ready and removes terminating pods at once (unless ``run`` is
    off: the real kubelet does that); ``fail`` names pods to report Failed, once each."""

    def __init__(self, c: Cluster, run: bool = True) -> None:
        self.c = c
        self.run = run
        self.paused = False
        self.fail: set[str] = set()
        self.pods = c.informers.informer("v1", "pods")
        self.ctrl = c.manager.add("stand-in-kubelet", self._reconcile)
        self.pods.add_handler(self._on_pod, replay=False)

    def _on_pod(self, etype: str, pod: Obj, old: Obj | None) -> None:
        if etype != "DELETED":
            self.ctrl.enqueue((pod["metadata"]["namespace"], pod["metadata"]["name"]))

    def resume(self) -> None:
        self.paused = False
        for p in self.pods.list():
            self._on_pod("MODIFIED", p, None)

    def _reconcile(self, key: tuple[str, str]) -> None:
        if self.paused:
            return
        ns, name = key
        pod = self.pods.get(ns, name)
        if pod is None:
            return
        client = self.c.client
        if not pod["spec"].get("nodeName") and not pod["metadata"].get("deletionTimestamp"):
            node = pinned_node(pod) or WORKER
            if client.get_or_none("v1", "Node", node) is not None:
                select_node_for_claims(client, pod, node)
                client.bind(ns, name, node)
            return
        if not self.run:
            return
        if pod["metadata"].get("deletionTimestamp"):
            try:
                client.delete("v1", "Pod", name, ns, grace_period_seconds=0)
            except errors.NotFound:
                pass
            return
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            return
        if phase == "Running" and ready(pod):
            return
        new = client.get("v1", "Pod", name, ns)
        now = self.c.clock.rfc3339()
        if name in self.fail:
            self.fail.discard(name)
            new["status"].update({"phase": "Failed", "conditions": [
                {"type": "Ready", "status": "False", "lastTransitionTime": now}]})
        else:
            new["status"].update({"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": now}]})
        client.update_status(new)


def select_node_for_claims(client: Any, pod: Obj, node: str) -> None:
    for v in pod["spec"].get("volumes") or ():
        claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
        if claim:
            try:
                client.patch("v1", "PersistentVolumeClaim", claim, {"metadata": {"annotations": {
                    SELECTED_NODE: node}}}, pod["metadata"]["namespace"])
            except errors.NotFound:
                pass


def ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


class Timeline:
    """Commits of pods and claims, in order: ``("pod", name)`` created, ``("ready", name)``,
    ``("terminating", name)``, ``("gone", name)``, ``("claim", name)`` created."""

    def __init__(self, c: Cluster) -> None:
        self.entries: list[tuple[str, str]] = []
        c.informers.informer("v1", "pods").add_handler(self._on_pod, replay=False)
        c.informers.informer("v1", "persistentvolumeclaims").add_handler(self._on_claim,
                                                                          replay=False)

    def _on_pod(self, etype: str, pod: Obj, old: Obj | None) -> None:
        name = pod["metadata"]["name"]
        if etype == "ADDED":
            self.entries.append(("pod", name))
        if etype == "DELETED":
            self.entries.append(("gone", name))
            return
        was = old or {"metadata": {}}
        if pod["metadata"].get("deletionTimestamp") and not was["metadata"].get("deletionTimestamp"):
            self.entries.append(("terminating", name))
        if running_ready(pod) and not (old is not None and running_ready(old)):
            self.entries.append(("ready", name))

    def _on_claim(self, etype: str, claim: Obj, old: Obj | None) -> None:
        if etype == "ADDED":
            self.entries.append(("claim", claim["metadata"]["name"]))

    def index(self, kind: str, name: str) -> int:
        return self.entries.index((kind, name))

    def of(self, kind: str) -> list[str]:
        return [n for k, n in self.entries if k == kind]


def running_ready(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and ready(pod)


class Env:
    """A started cluster with either the stand-in or the real scheduler and kubelet."""

    def __init__(self, c: Cluster, stand_in: StandIn | None) -> None:
        self.c, self.stand_in = c, stand_in
        self.client = c.client

    async def until(self, pred: Callable[[], Any], limit: float = 900.0, step: float = 1.0) -> None:
        """Settle, then move the clock in steps until ``pred()`` holds."""
        await self.c.settle()
        waited = 0.0
        while not pred():
            if waited >= limit:
                raise AssertionError(f"condition not met after {limit}s of cluster time")
            await self.c.advance(step)
            waited += step

    def pods(self, **labels: str) -> list[Obj]:
        sel = ",".join(f"{k}={v}" for k, v in labels.items()) or None
        return self.client.list("v1", "Pod", NS, label_selector=sel).items

    def live(self, prefix: str = "") -> list[str]:
        return sorted(p["metadata"]["name"] for p in self.pods()
                      if not p["metadata"].get("deletionTimestamp")
                      and p["metadata"]["name"].startswith(prefix))

    def claims(self) -> list[str]:
        """Claims not being deleted."""
        return sorted(c["metadata"]["name"]
                      for c in self.client.list("v1", "PersistentVolumeClaim", NS).items
                      if not c["metadata"].get("deletionTimestamp"))

    def sts(self, name: str = "cassandra") -> Obj:
        return self.client.get("apps/v1", "StatefulSet", name, NS)

    def patch_sts(self, patch: Obj, name: str = "cassandra") -> None:
        self.client.patch("apps/v1", "StatefulSet", name, patch, NS)

    def events(self, reason: str) -> list[str]:
        return [e["message"] for e in self.client.list("v1", "Event", NS).items
                if e["reason"] == reason]


async def start(mode: str = "stand-in", **config: Any) -> Cluster:
    controllers = ["*"] if mode == "full" else CONTROLLERS
    c = Cluster(ClusterConfig(controllers=controllers, **config), clock="virtual", serve=False)
    await c.start()
    return c


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    c = await start()
    try:
        yield Env(c, StandIn(c))
    finally:
        await c.stop()


async def scenario_env(mode: str) -> Env:
    """``stand-in``: the controllers under test and the stand-in. ``full``: every default
    component, the stand-in only binding while there is no scheduler."""
    if mode == "full" and not HAS_KUBELET:
        pytest.skip("the simulated kubelet is not built yet")
    c = await start(mode)
    if mode == "stand-in":
        return Env(c, StandIn(c))
    return Env(c, None if HAS_SCHEDULER else StandIn(c, run=False))


@pytest.fixture(params=["stand-in", "full"])
async def scenario(request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    env = await scenario_env(request.param)
    try:
        yield env
    finally:
        await env.c.stop()


def make_sts(name: str = "cassandra", replicas: int = 3, *, policy: str = "OrderedReady",
             claims: bool = True, **spec: Any) -> Obj:
    labels = {"app": name}
    template: Obj = {"metadata": {"labels": labels}, "spec": {
        "terminationGracePeriodSeconds": 5,
        "containers": [{"name": name, "image": f"{name}:v11",
                        "volumeMounts": [{"name": f"{name}-data", "mountPath": "/data"}]
                        if claims else []}]}}
    body: Obj = {"serviceName": name, "replicas": replicas, "podManagementPolicy": policy,
                 "selector": {"matchLabels": labels}, "template": template, **spec}
    if claims:
        body["volumeClaimTemplates"] = [{
            "metadata": {"name": f"{name}-data", "labels": {"tier": "storage"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": NS, "labels": labels}, "spec": body}


def set_image(env: Env, image: str, name: str = "cassandra") -> None:
    """``kubectl set image``: a strategic merge patch of the one container."""
    env.client.patch("apps/v1", "StatefulSet", name, {"spec": {"template": {"spec": {
        "containers": [{"name": name, "image": image}]}}}}, NS,
        patch_type="application/strategic-merge-patch+json")


def revision_label(pod: Obj) -> str:
    return str(pod["metadata"]["labels"]["controller-revision-hash"])


# --- S6: ordering ----------------------------------------------------------------------------


async def test_s6_ordered_ready_creates_each_pod_after_the_previous_is_running_and_ready(
        scenario: Env) -> None:
    tl = Timeline(scenario.c)
    scenario.client.create(make_sts())
    await scenario.until(lambda: len([p for p in scenario.pods() if running_ready(p)]) == 3)
    assert scenario.live() == ["cassandra-0", "cassandra-1", "cassandra-2"]
    assert tl.of("pod") == ["cassandra-0", "cassandra-1", "cassandra-2"]
    assert tl.index("ready", "cassandra-0") < tl.index("pod", "cassandra-1")
    assert tl.index("ready", "cassandra-1") < tl.index("pod", "cassandra-2")


async def test_s6_ordered_ready_waits_while_the_first_pod_is_not_ready(env: Env) -> None:
    assert env.stand_in is not None
    env.stand_in.paused = True
    env.client.create(make_sts())
    await env.c.settle()
    assert env.live() == ["cassandra-0"]
    assert env.claims() == ["cassandra-data-cassandra-0"]
    await env.c.advance(600)
    assert env.live() == ["cassandra-0"]
    env.stand_in.resume()
    await env.c.settle()
    assert env.live() == ["cassandra-0", "cassandra-1", "cassandra-2"]


async def test_s6_scale_down_deletes_the_highest_ordinal_first_one_at_a_time(scenario: Env) -> None:
    scenario.client.create(make_sts())
    await scenario.until(lambda: scenario.sts().get("status", {}).get("readyReplicas") == 3)
    tl = Timeline(scenario.c)
    scenario.patch_sts({"spec": {"replicas": 1}})
    await scenario.until(lambda: [p["metadata"]["name"] for p in scenario.pods()] == ["cassandra-0"])
    assert tl.of("terminating") == ["cassandra-2", "cassandra-1"]
    assert tl.index("gone", "cassandra-2") < tl.index("terminating", "cassandra-1")
    # claims are kept on scale down (retention policy Retain by default)
    assert scenario.claims() == [f"cassandra-data-cassandra-{i}" for i in range(3)]
    assert sorted(scenario.events("SuccessfulDelete")) == [
        "delete Pod cassandra-1 in StatefulSet cassandra successful",
        "delete Pod cassandra-2 in StatefulSet cassandra successful"]


async def test_s6_claims_are_created_before_their_pods_and_kept(scenario: Env) -> None:
    tl = Timeline(scenario.c)
    scenario.client.create(make_sts())
    await scenario.until(lambda: scenario.sts().get("status", {}).get("readyReplicas") == 3)
    for i in range(3):
        assert tl.index("claim", f"cassandra-data-cassandra-{i}") < tl.index("pod", f"cassandra-{i}")
    claim = scenario.client.get("v1", "PersistentVolumeClaim", "cassandra-data-cassandra-1", NS)
    assert claim["metadata"]["labels"] == {"tier": "storage", "app": "cassandra"}
    assert "ownerReferences" not in claim["metadata"]
    assert claim["spec"]["resources"] == {"requests": {"storage": "1Gi"}}
    pod = scenario.client.get("v1", "Pod", "cassandra-1", NS)
    assert {"name": "cassandra-data", "persistentVolumeClaim": {
        "claimName": "cassandra-data-cassandra-1"}} in pod["spec"]["volumes"]
    assert "SuccessfulCreate" in [e["reason"] for e in scenario.client.list(
        "v1", "Event", NS).items]
    assert "create Claim cassandra-data-cassandra-0 Pod cassandra-0 in StatefulSet cassandra " \
           "success" in scenario.events("SuccessfulCreate")


async def test_s6_a_deleted_pod_comes_back_with_the_same_name_and_claim(scenario: Env) -> None:
    scenario.client.create(make_sts())
    await scenario.until(lambda: scenario.sts().get("status", {}).get("readyReplicas") == 3)
    old = scenario.client.get("v1", "Pod", "cassandra-2", NS)
    claim = scenario.client.get("v1", "PersistentVolumeClaim", "cassandra-data-cassandra-2", NS)
    scenario.client.delete("v1", "Pod", "cassandra-2", NS)

    def back() -> bool:
        p = scenario.client.get_or_none("v1", "Pod", "cassandra-2", NS)
        return p is not None and p["metadata"]["uid"] != old["metadata"]["uid"] and running_ready(p)

    await scenario.until(back)
    new = scenario.client.get("v1", "Pod", "cassandra-2", NS)
    assert new["spec"]["volumes"][0] == old["spec"]["volumes"][0]
    assert scenario.client.get("v1", "PersistentVolumeClaim", "cassandra-data-cassandra-2",
                               NS)["metadata"]["uid"] == claim["metadata"]["uid"]
    assert scenario.claims() == [f"cassandra-data-cassandra-{i}" for i in range(3)]


# --- identity ---------------------------------------------------------------------------------


async def test_pods_carry_their_identity_labels_hostname_and_subdomain(env: Env) -> None:
    env.client.create(make_sts())
    await env.c.settle()
    s = env.sts()
    for i in range(3):
        pod = env.client.get("v1", "Pod", f"cassandra-{i}", NS)
        md = pod["metadata"]
        assert md["labels"] == {"app": "cassandra", "statefulset.kubernetes.io/pod-name": md["name"],
                                "apps.kubernetes.io/pod-index": str(i),
                                "controller-revision-hash": s["status"]["updateRevision"]}
        assert md["generateName"] == "cassandra-"
        assert md["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                          "name": "cassandra", "uid": s["metadata"]["uid"],
                                          "controller": True, "blockOwnerDeletion": True}]
        assert pod["spec"]["hostname"] == md["name"]
        assert pod["spec"]["subdomain"] == "cassandra"


async def test_a_relabelled_pod_gets_its_identity_label_back(env: Env) -> None:
    env.client.create(make_sts(replicas=1))
    await env.c.settle()
    env.client.patch("v1", "Pod", "cassandra-0", {"metadata": {"labels": {
        "statefulset.kubernetes.io/pod-name": None}}}, NS)
    await env.c.settle()
    pod = env.client.get("v1", "Pod", "cassandra-0", NS)
    assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "cassandra-0"
    assert env.events("SuccessfulUpdate") == [
        "update Pod cassandra-0 in StatefulSet cassandra successful"]


async def test_status_reports_counts_revisions_and_generation(env: Env) -> None:
    env.client.create(make_sts())
    await env.c.settle()
    s = env.sts()
    revs = env.client.list("apps/v1", "ControllerRevision", NS).items
    assert len(revs) == 1
    rev = revs[0]
    hash_ = rev["metadata"]["labels"][history.HASH_LABEL]
    assert rev["metadata"]["name"] == f"cassandra-{hash_}"
    assert rev["metadata"]["labels"]["app"] == "cassandra"
    assert rev["revision"] == 1
    assert rev["data"]["spec"]["template"]["$patch"] == "replace"
    assert s["status"] == {"observedGeneration": 1, "replicas": 3, "readyReplicas": 3,
                           "currentReplicas": 3, "updatedReplicas": 3,
                           "currentRevision": rev["metadata"]["name"],
                           "updateRevision": rev["metadata"]["name"], "collisionCount": 0,
                           "availableReplicas": 3}


async def test_revision_names_are_stable_for_the_same_template() -> None:
    names = []
    for _ in range(2):
        c = await start()
        try:
            c.client.create(make_sts())
            await c.settle()
            names.append(c.client.get("apps/v1", "StatefulSet", "cassandra", NS)["status"][
                "updateRevision"])
        finally:
            await c.stop()
    assert names[0] == names[1]


# --- Parallel -----------------------------------------------------------------------------------


async def test_parallel_creates_all_pods_at_once(env: Env) -> None:
    assert env.stand_in is not None
    env.stand_in.paused = True
    env.client.create(make_sts(policy="Parallel"))
    await env.c.settle()
    assert env.live() == ["cassandra-0", "cassandra-1", "cassandra-2"]
    assert env.claims() == [f"cassandra-data-cassandra-{i}" for i in range(3)]
    assert all(p["status"]["phase"] == "Pending" for p in env.pods())


async def test_parallel_scale_down_deletes_every_condemned_pod_at_once(env: Env) -> None:
    env.client.create(make_sts(replicas=4, policy="Parallel"))
    await env.c.settle()
    assert env.stand_in is not None
    env.stand_in.paused = True
    env.patch_sts({"spec": {"replicas": 1}})
    await env.c.settle()
    terminating = sorted(p["metadata"]["name"] for p in env.pods()
                         if p["metadata"].get("deletionTimestamp"))
    assert terminating == ["cassandra-1", "cassandra-2", "cassandra-3"]


# --- updates ------------------------------------------------------------------------------------


async def test_rolling_update_goes_in_reverse_ordinal_order_and_honours_the_partition(
        env: Env) -> None:
    env.client.create(make_sts(updateStrategy={"type": "RollingUpdate",
                                               "rollingUpdate": {"partition": 1}}))
    await env.c.settle()
    first = env.sts()["status"]["currentRevision"]
    tl = Timeline(env.c)
    set_image(env, "cassandra:v12")
    await env.c.settle()
    assert tl.of("terminating") == ["cassandra-2", "cassandra-1"]
    assert tl.index("ready", "cassandra-2") < tl.index("terminating", "cassandra-1")
    s = env.sts()
    update = s["status"]["updateRevision"]
    assert update != first
    images = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in env.pods()}
    assert images == {"cassandra-0": "cassandra:v11", "cassandra-1": "cassandra:v12",
                      "cassandra-2": "cassandra:v12"}
    assert revision_label(env.client.get("v1", "Pod", "cassandra-0", NS)) == first
    assert s["status"]["currentRevision"] == first
    assert (s["status"]["currentReplicas"], s["status"]["updatedReplicas"]) == (1, 2)
    # lowering the partition finishes the rollout; the update revision becomes current
    env.patch_sts({"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}})
    await env.c.settle()
    s = env.sts()
    assert {revision_label(p) for p in env.pods()} == {update}
    assert s["status"]["currentRevision"] == s["status"]["updateRevision"] == update
    assert s["status"]["currentReplicas"] == s["status"]["updatedReplicas"] == 3


async def test_rolling_update_takes_down_max_unavailable_pods_at_a_time(env: Env) -> None:
    env.client.create(make_sts(replicas=4, updateStrategy={
        "type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 2}}))
    await env.c.settle()
    assert env.stand_in is not None
    env.stand_in.paused = True
    set_image(env, "cassandra:v12")
    await env.c.settle()
    terminating = sorted(p["metadata"]["name"] for p in env.pods()
                         if p["metadata"].get("deletionTimestamp"))
    assert terminating == ["cassandra-2", "cassandra-3"]
    env.stand_in.resume()
    await env.c.settle()
    assert {p["spec"]["containers"][0]["image"] for p in env.pods()} == {"cassandra:v12"}


async def test_on_delete_updates_a_pod_only_when_it_is_deleted(env: Env) -> None:
    env.client.create(make_sts(updateStrategy={"type": "OnDelete"}))
    await env.c.settle()
    set_image(env, "cassandra:v12")
    await env.c.settle()
    images = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in env.pods()}
    assert set(images.values()) == {"cassandra:v11"}
    s = env.sts()
    assert s["status"]["currentRevision"] != s["status"]["updateRevision"]
    env.client.delete("v1", "Pod", "cassandra-1", NS)
    await env.c.settle()
    images = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in env.pods()}
    assert images == {"cassandra-0": "cassandra:v11", "cassandra-1": "cassandra:v12",
                      "cassandra-2": "cassandra:v11"}
    assert env.sts()["status"]["updatedReplicas"] == 1


async def test_rolling_back_reuses_the_earlier_revision_with_a_new_number(env: Env) -> None:
    env.client.create(make_sts(replicas=1, claims=False))
    await env.c.settle()
    first = env.sts()["status"]["updateRevision"]
    set_image(env, "cassandra:v12")
    await env.c.settle()
    set_image(env, "cassandra:v11")
    await env.c.settle()
    revs = {r["metadata"]["name"]: r["revision"]
            for r in env.client.list("apps/v1", "ControllerRevision", NS).items}
    assert len(revs) == 2
    assert revs[first] == 3
    assert env.sts()["status"]["updateRevision"] == first


async def test_old_revisions_beyond_the_history_limit_are_deleted(env: Env) -> None:
    env.client.create(make_sts(replicas=1, claims=False, revisionHistoryLimit=1))
    await env.c.settle()
    for v in range(12, 16):
        set_image(env, f"cassandra:v{v}")
        await env.c.settle()
    revs = sorted(r["revision"] for r in env.client.list("apps/v1", "ControllerRevision", NS).items)
    assert revs == [4, 5]


# --- readiness, failures, claims ----------------------------------------------------------------


async def test_min_ready_seconds_holds_the_next_ordinal_back(env: Env) -> None:
    env.client.create(make_sts(claims=False, minReadySeconds=10))
    await env.c.settle()
    assert env.live() == ["cassandra-0"]
    assert env.sts()["status"]["readyReplicas"] == 1
    assert env.sts()["status"]["availableReplicas"] == 0
    await env.c.advance(10)
    assert env.live() == ["cassandra-0", "cassandra-1"]
    await env.c.advance(20)
    assert env.live() == ["cassandra-0", "cassandra-1", "cassandra-2"]
    await env.c.advance(10)
    assert env.sts()["status"]["availableReplicas"] == 3


async def test_a_failed_pod_is_deleted_and_created_again(env: Env) -> None:
    assert env.stand_in is not None
    env.stand_in.fail.add("cassandra-0")
    tl = Timeline(env.c)
    env.client.create(make_sts(replicas=2, claims=False))
    await env.c.settle()
    assert env.events("SuccessfulDelete") == [
        "delete Pod cassandra-0 in StatefulSet cassandra successful"]
    assert tl.of("pod") == ["cassandra-0", "cassandra-0", "cassandra-1"]
    assert env.live() == ["cassandra-0", "cassandra-1"]
    assert all(running_ready(p) for p in env.pods())


async def test_when_scaled_delete_removes_the_claims_of_scaled_away_pods(env: Env) -> None:
    env.client.create(make_sts(persistentVolumeClaimRetentionPolicy={
        "whenScaled": "Delete", "whenDeleted": "Retain"}))
    await env.c.settle()
    env.patch_sts({"spec": {"replicas": 1}})
    await env.c.settle()
    assert env.live() == ["cassandra-0"]
    assert env.claims() == ["cassandra-data-cassandra-0"]
    # scaling up again makes fresh claims
    env.patch_sts({"spec": {"replicas": 2}})
    await env.c.settle()
    assert env.claims() == ["cassandra-data-cassandra-0", "cassandra-data-cassandra-1"]


async def test_when_deleted_delete_gives_claims_to_the_set_and_they_go_with_it(env: Env) -> None:
    env.client.create(make_sts(persistentVolumeClaimRetentionPolicy={
        "whenScaled": "Retain", "whenDeleted": "Delete"}))
    await env.c.settle()
    uid = env.sts()["metadata"]["uid"]
    for name in env.claims():
        refs = env.client.get("v1", "PersistentVolumeClaim", name, NS)["metadata"]["ownerReferences"]
        assert [(r["kind"], r["uid"], r["controller"]) for r in refs] == [("StatefulSet", uid, True)]
    env.client.delete("apps/v1", "StatefulSet", "cassandra", NS)
    await env.c.settle()
    assert env.claims() == []
    assert env.live() == []


async def test_retained_claims_outlive_the_set(env: Env) -> None:
    env.client.create(make_sts())
    await env.c.settle()
    env.client.delete("apps/v1", "StatefulSet", "cassandra", NS)
    await env.c.settle()
    assert env.live() == []
    assert env.claims() == [f"cassandra-data-cassandra-{i}" for i in range(3)]
    # a new set of the same name mounts the same claims again
    env.client.create(make_sts())
    await env.c.settle()
    assert env.live() == ["cassandra-0", "cassandra-1", "cassandra-2"]
    assert env.claims() == [f"cassandra-data-cassandra-{i}" for i in range(3)]


async def test_an_orphan_pod_with_a_member_name_is_adopted(env: Env) -> None:
    env.client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "cassandra-0", "namespace": NS, "labels": {"app": "cassandra"}},
        "spec": {"containers": [{"name": "c", "image": "cassandra:v11"}]}})
    env.client.create(make_sts(replicas=1, claims=False))
    await env.c.settle()
    pod = env.client.get("v1", "Pod", "cassandra-0", NS)
    assert pod["metadata"]["ownerReferences"][0]["uid"] == env.sts()["metadata"]["uid"]
    assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "cassandra-0"
    assert env.live() == ["cassandra-0"]
