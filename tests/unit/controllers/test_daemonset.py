"""DaemonSet controller, against the in-memory cluster on the virtual clock (scenario S7).

``StandIn`` (from ``test_statefulset``) binds each daemon pod to the node its required
affinity pins it to, as the default scheduler does, and reports it Running and Ready. The S7
tests also run on the full default component set (the stand-in only binding while there is
no scheduler). A Hypothesis property drives random node changes and checks placement after
every step.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_statefulset import (
    NS,
    Env,
    StandIn,
    Timeline,
    make_sts,
    pinned_node,
    running_ready,
    scenario_env,
    start,
)

from minik8s.registry import names

Obj = dict[str, Any]
CONTROL_PLANE = "minik8s-control-plane"
WORKERS = ["minik8s-worker", "minik8s-worker2"]
CP_TAINT = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
            "effect": "NoSchedule"}


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    c = await start()
    try:
        yield Env(c, StandIn(c))
    finally:
        await c.stop()


@pytest.fixture(params=["stand-in", "full"])
async def scenario(request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    env = await scenario_env(request.param)
    try:
        yield env
    finally:
        await env.c.stop()


def make_ds(name: str = "fluentd", *, node_selector: dict[str, str] | None = None,
            tolerations: list[Obj] | None = None, affinity: Obj | None = None,
            strategy: Obj | None = None, **spec: Any) -> Obj:
    labels = {"app": name}
    pod_spec: Obj = {"terminationGracePeriodSeconds": 5,
                     "containers": [{"name": name, "image": f"{name}:v1"}]}
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    if tolerations:
        pod_spec["tolerations"] = tolerations
    if affinity:
        pod_spec["affinity"] = affinity
    body: Obj = {"selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": pod_spec}, **spec}
    if strategy:
        body["updateStrategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": NS}, "spec": body}


def make_node(name: str, labels: dict[str, str] | None = None,
              taints: list[Obj] | None = None) -> Obj:
    node: Obj = {"apiVersion": "v1", "kind": "Node",
                 "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                       **(labels or {})}},
                 "spec": {}}
    if taints:
        node["spec"]["taints"] = taints
    return node


def placement(env: Env, app: str = "fluentd") -> dict[str, list[str]]:
    """node → live daemon pods (by the node they are bound or pinned to)."""
    out: dict[str, list[str]] = {}
    for p in env.pods(app=app):
        if p["metadata"].get("deletionTimestamp"):
            continue
        node = p["spec"].get("nodeName") or pinned_node(p) or ""
        out.setdefault(node, []).append(p["metadata"]["name"])
    return out


def ds_status(env: Env, name: str = "fluentd") -> Obj:
    return dict(env.client.get("apps/v1", "DaemonSet", name, NS).get("status") or {})


def counts(env: Env, name: str = "fluentd") -> tuple[int, int, int, int, int]:
    """DESIRED CURRENT READY UP-TO-DATE AVAILABLE, as ``kubectl get ds`` shows them."""
    s = ds_status(env, name)
    return (s.get("desiredNumberScheduled", 0), s.get("currentNumberScheduled", 0),
            s.get("numberReady", 0), s.get("updatedNumberScheduled", 0),
            s.get("numberAvailable", 0))


def taint_node(env: Env, node: str, taints: list[Obj]) -> None:
    env.client.patch("v1", "Node", node, {"spec": {"taints": taints or None}})


def label_node(env: Env, node: str, labels: dict[str, str | None]) -> None:
    env.client.patch("v1", "Node", node, {"metadata": {"labels": labels}})


# --- S7: placement --------------------------------------------------------------------------


async def test_s7_one_pod_per_worker_and_none_on_the_tainted_control_plane(scenario: Env) -> None:
    scenario.client.create(make_ds())
    await scenario.until(lambda: counts(scenario)[4] == 2)
    where = placement(scenario)
    assert sorted(where) == WORKERS
    assert all(len(v) == 1 for v in where.values())
    assert counts(scenario) == (2, 2, 2, 2, 2)
    assert ds_status(scenario)["numberMisscheduled"] == 0
    assert all(running_ready(p) for p in scenario.pods(app="fluentd"))


async def test_s7_a_new_node_gets_a_pod(scenario: Env) -> None:
    scenario.client.create(make_ds())
    await scenario.until(lambda: counts(scenario)[4] == 2)
    scenario.client.create(make_node("minik8s-worker3"))
    await scenario.until(lambda: counts(scenario)[4] == 3)
    assert sorted(placement(scenario)) == [*WORKERS, "minik8s-worker3"]


async def test_s7_a_deleted_nodes_pod_is_not_counted_nor_replaced_elsewhere(scenario: Env) -> None:
    scenario.client.create(make_node("minik8s-worker3"))
    scenario.client.create(make_ds())
    await scenario.until(lambda: counts(scenario)[4] == 3)
    tl = Timeline(scenario.c)
    scenario.client.delete("v1", "Node", "minik8s-worker3")
    await scenario.until(lambda: counts(scenario)[:2] == (2, 2))
    await scenario.c.advance(60)
    assert tl.of("pod") == []  # no replacement anywhere
    assert counts(scenario) == (2, 2, 2, 2, 2)
    assert sorted(n for n in placement(scenario) if n != "minik8s-worker3") == WORKERS


async def test_s7_a_toleration_for_the_control_plane_taint_puts_a_pod_there(env: Env) -> None:
    env.client.create(make_ds(tolerations=[CP_TAINT]))
    await env.c.settle()
    assert sorted(placement(env)) == sorted([CONTROL_PLANE, *WORKERS])
    assert counts(env) == (3, 3, 3, 3, 3)


async def test_s7_relabelling_a_node_moves_it_in_and_out_of_the_node_selector(env: Env) -> None:
    env.client.create(make_ds(node_selector={"disktype": "ssd"}))
    await env.c.settle()
    assert placement(env) == {}
    assert counts(env) == (0, 0, 0, 0, 0)
    label_node(env, "minik8s-worker2", {"disktype": "ssd"})
    await env.c.settle()
    assert sorted(placement(env)) == ["minik8s-worker2"]
    label_node(env, "minik8s-worker2", {"disktype": None})
    await env.c.settle()
    assert placement(env) == {}
    assert counts(env) == (0, 0, 0, 0, 0)
    assert ds_status(env)["numberMisscheduled"] == 0


async def test_s7_a_noschedule_taint_keeps_the_running_pod_but_new_nodes_get_none(env: Env) -> None:
    env.client.create(make_ds())
    await env.c.settle()
    before = placement(env)["minik8s-worker"]
    taint = {"key": "dedicated", "value": "db", "effect": "NoSchedule"}
    taint_node(env, "minik8s-worker", [taint])
    env.client.create(make_node("minik8s-worker3", taints=[taint]))
    await env.c.settle()
    where = placement(env)
    assert where["minik8s-worker"] == before  # NoSchedule does not evict
    assert "minik8s-worker3" not in where
    s = ds_status(env)
    assert (s["desiredNumberScheduled"], s["numberMisscheduled"]) == (1, 1)


async def test_s7_a_noexecute_taint_without_toleration_removes_the_pod(env: Env) -> None:
    env.client.create(make_ds())
    await env.c.settle()
    taint_node(env, "minik8s-worker", [{"key": "dedicated", "value": "db", "effect": "NoExecute"}])
    await env.c.settle()
    assert sorted(placement(env)) == ["minik8s-worker2"]
    assert counts(env) == (1, 1, 1, 1, 1)


async def test_s7_required_node_affinity_selects_nodes_and_is_replaced_by_the_pin(env: Env) -> None:
    affinity = {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                                   "values": ["minik8s-worker2"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "preference": {"matchExpressions": [
                {"key": "disktype", "operator": "Exists"}]}}]}}
    env.client.create(make_ds(affinity=affinity))
    await env.c.settle()
    assert sorted(placement(env)) == ["minik8s-worker2"]
    pod = env.pods(app="fluentd")[0]
    na = pod["spec"]["affinity"]["nodeAffinity"]
    assert na["requiredDuringSchedulingIgnoredDuringExecution"] == {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In",
                          "values": ["minik8s-worker2"]}]}]}
    assert na["preferredDuringSchedulingIgnoredDuringExecution"] == affinity["nodeAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"]


async def test_daemon_pods_carry_the_pin_tolerations_labels_and_names(env: Env) -> None:
    env.client.create(make_ds())
    await env.c.settle()
    ds = env.client.get("apps/v1", "DaemonSet", "fluentd", NS)
    revs = env.client.list("apps/v1", "ControllerRevision", NS).items
    assert len(revs) == 1
    hash_ = revs[0]["metadata"]["labels"]["controller-revision-hash"]
    assert revs[0]["metadata"]["name"] == f"fluentd-{hash_}"
    assert revs[0]["revision"] == 1
    pods = env.pods(app="fluentd")
    for p in pods:
        md = p["metadata"]
        assert md["name"].startswith("fluentd-") and len(md["name"]) == len("fluentd-") + 5
        assert set(md["name"][len("fluentd-"):]) <= set(names.ALPHANUMS)
        assert md["labels"] == {"app": "fluentd", "controller-revision-hash": hash_,
                                "pod-template-generation": "1"}
        assert md["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]
        keys = [(t["key"], t["effect"]) for t in p["spec"]["tolerations"]]
        assert keys == [("node.kubernetes.io/not-ready", "NoExecute"),
                        ("node.kubernetes.io/unreachable", "NoExecute"),
                        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                        ("node.kubernetes.io/unschedulable", "NoSchedule")]
        assert all("tolerationSeconds" not in t for t in p["spec"]["tolerations"])
    assert sorted(env.events("SuccessfulCreate")) == sorted(
        f"Created pod: {p['metadata']['name']}" for p in pods)


async def test_host_network_pods_also_tolerate_network_unavailable(env: Env) -> None:
    ds = make_ds()
    ds["spec"]["template"]["spec"]["hostNetwork"] = True
    env.client.create(ds)
    await env.c.settle()
    keys = [t["key"] for t in env.pods(app="fluentd")[0]["spec"]["tolerations"]]
    assert keys[-1] == "node.kubernetes.io/network-unavailable"


async def test_a_cordoned_node_keeps_and_gets_its_daemon_pod(env: Env) -> None:
    env.client.create(make_node("minik8s-worker3", taints=[
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]))
    env.client.create(make_ds())
    await env.c.settle()
    assert sorted(placement(env)) == [*WORKERS, "minik8s-worker3"]


async def test_pod_names_are_the_same_for_the_same_seed() -> None:
    runs = []
    for _ in range(2):
        c = await start()
        try:
            StandIn(c)
            c.client.create(make_ds())
            await c.settle()
            runs.append(sorted(p["metadata"]["name"] for p in c.client.list("v1", "Pod", NS).items))
        finally:
            await c.stop()
    assert runs[0] == runs[1]


# --- pods that go wrong -------------------------------------------------------------------------


async def test_an_unscheduled_pod_pinned_to_a_vanished_node_is_deleted(env: Env) -> None:
    assert env.stand_in is not None
    env.stand_in.paused = True
    env.client.create(make_node("minik8s-worker3"))
    env.client.create(make_ds())
    await env.c.settle()
    assert "minik8s-worker3" in placement(env)
    env.client.delete("v1", "Node", "minik8s-worker3")
    await env.c.settle()
    assert sorted(placement(env)) == WORKERS


async def test_a_failed_daemon_pod_is_replaced_after_a_backoff(env: Env) -> None:
    assert env.stand_in is not None
    env.client.create(make_ds(node_selector={"kubernetes.io/hostname": "minik8s-worker"}))
    await env.c.settle()
    first = placement(env)["minik8s-worker"][0]
    env.stand_in.fail.add(first)
    env.client.patch("v1", "Pod", first, {"status": {"phase": "Pending"}}, NS,
                     subresource="status")
    await env.c.settle()
    second = placement(env)["minik8s-worker"][0]
    assert second != first
    assert env.events("FailedDaemonPod") == [
        f"Found failed daemon pod {NS}/{first} on node minik8s-worker, will try to kill it"]
    # failing again within the backoff waits for it before the next replacement
    env.stand_in.fail.add(second)
    env.client.patch("v1", "Pod", second, {"status": {"phase": "Pending"}}, NS,
                     subresource="status")
    await env.c.settle()
    assert placement(env)["minik8s-worker"] == [second]
    await env.c.advance(2)
    assert placement(env)["minik8s-worker"][0] not in (first, second)


async def test_a_second_daemon_pod_on_a_node_is_deleted(env: Env) -> None:
    env.client.create(make_ds())
    await env.c.settle()
    extra = env.pods(app="fluentd")[0]
    node = extra["spec"]["nodeName"]
    env.client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "stray", "namespace": NS, "labels": {"app": "fluentd"}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "fluentd:v1"}]}})
    await env.c.settle()
    assert [len(v) for v in placement(env).values()] == [1, 1]
    assert "Deleted pod: stray" in env.events("SuccessfulDelete")


# --- updates ------------------------------------------------------------------------------------


def set_image(env: Env, image: str, name: str = "fluentd") -> None:
    env.client.patch("apps/v1", "DaemonSet", name, {"spec": {"template": {"spec": {
        "containers": [{"name": name, "image": image}]}}}}, NS,
        patch_type="application/strategic-merge-patch+json")


def images(env: Env) -> dict[str, str]:
    return {(p["spec"].get("nodeName") or pinned_node(p) or ""): p["spec"]["containers"][0]["image"]
            for p in env.pods(app="fluentd") if not p["metadata"].get("deletionTimestamp")}


async def test_rolling_update_replaces_one_node_at_a_time(env: Env) -> None:
    env.client.create(make_node("minik8s-worker3"))
    env.client.create(make_ds())
    await env.c.settle()
    assert env.stand_in is not None
    env.stand_in.paused = True
    set_image(env, "fluentd:v2")
    await env.c.settle()
    terminating = [p for p in env.pods(app="fluentd") if p["metadata"].get("deletionTimestamp")]
    assert len(terminating) == 1
    env.stand_in.resume()
    await env.c.settle()
    assert set(images(env).values()) == {"fluentd:v2"}
    assert len(images(env)) == 3
    s = ds_status(env)
    assert counts(env) == (3, 3, 3, 3, 3) and s["observedGeneration"] == 2
    revs = sorted((r["revision"], r["metadata"]["name"])
                  for r in env.client.list("apps/v1", "ControllerRevision", NS).items)
    assert [n for n, _ in revs] == [1, 2]
    assert {p["metadata"]["labels"]["pod-template-generation"]
            for p in env.pods(app="fluentd")} == {"2"}


async def test_rolling_update_with_max_surge_starts_the_new_pod_first(env: Env) -> None:
    env.client.create(make_ds(strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 1, "maxUnavailable": 0}}))
    await env.c.settle()
    assert env.stand_in is not None
    env.stand_in.paused = True
    set_image(env, "fluentd:v2")
    await env.c.settle()
    pods = env.pods(app="fluentd")
    assert len(pods) == 3 and not any(p["metadata"].get("deletionTimestamp") for p in pods)
    env.stand_in.resume()
    await env.c.settle()
    assert sorted(images(env).items()) == [(w, "fluentd:v2") for w in WORKERS]
    assert len(env.pods(app="fluentd")) == 2


async def test_on_delete_keeps_old_pods_until_they_are_deleted(env: Env) -> None:
    env.client.create(make_ds(strategy={"type": "OnDelete"}))
    await env.c.settle()
    set_image(env, "fluentd:v2")
    await env.c.settle()
    assert set(images(env).values()) == {"fluentd:v1"}
    assert counts(env) == (2, 2, 2, 0, 2)
    victim = placement(env)["minik8s-worker"][0]
    env.client.delete("v1", "Pod", victim, NS)
    await env.c.settle()
    assert images(env) == {"minik8s-worker": "fluentd:v2", "minik8s-worker2": "fluentd:v1"}
    assert counts(env)[3] == 1


async def test_min_ready_seconds_delays_availability(env: Env) -> None:
    env.client.create(make_ds(minReadySeconds=30))
    await env.c.settle()
    assert counts(env) == (2, 2, 2, 2, 0)
    assert ds_status(env)["numberUnavailable"] == 2
    await env.c.advance(30)
    assert counts(env) == (2, 2, 2, 2, 2)
    assert "numberUnavailable" not in ds_status(env)


# --- property: random node churn ----------------------------------------------------------------

NODE_NAMES = ["extra-a", "extra-b"]
ACTIONS = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(NODE_NAMES), st.booleans()),
    st.tuples(st.just("delete"), st.sampled_from(NODE_NAMES + WORKERS[1:])),
    st.tuples(st.just("label"), st.sampled_from(NODE_NAMES + WORKERS), st.booleans()),
    st.tuples(st.just("taint"), st.sampled_from(NODE_NAMES + WORKERS),
              st.sampled_from([None, "NoSchedule", "NoExecute"])),
    st.tuples(st.just("scale"), st.integers(0, 4)),
    st.tuples(st.just("kill"), st.integers(0, 3)),
)


def _expected(node: Obj, selector: dict[str, str]) -> tuple[bool, bool]:
    """(should run, may keep) for a DaemonSet without tolerations, computed independently."""
    labels = node["metadata"].get("labels") or {}
    fits = all(labels.get(k) == v for k, v in selector.items())
    effects = {t.get("effect") for t in (node.get("spec") or {}).get("taints") or ()}
    return fits and not effects & {"NoSchedule", "NoExecute"}, fits and "NoExecute" not in effects


async def _churn(actions: list[tuple[Any, ...]]) -> None:
    c = await start()
    try:
        env = Env(c, StandIn(c))
        env.client.create(make_ds("all"))
        env.client.create(make_ds("ssd", node_selector={"disk": "ssd"}))
        env.client.create(make_sts("db", replicas=2, claims=False))
        await c.settle()
        for action in actions:
            _apply(env, action)
            await c.settle()
            _check(env)
    finally:
        await c.stop()


def _apply(env: Env, action: tuple[Any, ...]) -> None:
    client, kind = env.client, action[0]
    exists = client.get_or_none("v1", "Node", action[1]) is not None if kind in (
        "add", "delete", "label", "taint") else True
    if kind == "add" and not exists:
        client.create(make_node(action[1], {"disk": "ssd"} if action[2] else None))
    elif kind == "delete" and exists:
        client.delete("v1", "Node", action[1])
    elif kind == "label" and exists:
        label_node(env, action[1], {"disk": "ssd" if action[2] else None})
    elif kind == "taint" and exists:
        taints = [{"key": "dedicated", "value": "x", "effect": action[2]}] if action[2] else []
        taint_node(env, action[1], taints)
    elif kind == "scale":
        env.patch_sts({"spec": {"replicas": action[1]}}, "db")
    elif kind == "kill":
        pod = client.get_or_none("v1", "Pod", f"db-{action[1]}", NS)
        if pod is not None:
            client.delete("v1", "Pod", f"db-{action[1]}", NS)


def _check(env: Env) -> None:
    nodes = {n["metadata"]["name"]: n for n in env.client.list("v1", "Node").items}
    for app, selector in (("all", {}), ("ssd", {"disk": "ssd"})):
        where = placement(env, app)
        desired = 0
        for name, node in nodes.items():
            run, keep = _expected(node, selector)
            desired += run
            on = len(where.get(name, []))
            if run:
                assert on == 1, (app, name, where)
            elif not keep:
                assert on == 0, (app, name, where)
            else:
                assert on <= 1, (app, name, where)
        s = ds_status(env, app)
        assert s["desiredNumberScheduled"] == desired == s["currentNumberScheduled"]
        assert s["numberReady"] == desired
    db = [p for p in env.pods(app="db") if not p["metadata"].get("deletionTimestamp")]
    ordinals = [int(p["metadata"]["name"].rsplit("-", 1)[1]) for p in db]
    assert len(ordinals) == len(set(ordinals))
    replicas = env.sts("db")["spec"]["replicas"]
    assert sorted(ordinals) == list(range(replicas))
    assert all(running_ready(p) for p in db)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ACTIONS, min_size=1, max_size=12))
def test_after_any_node_churn_each_eligible_node_has_exactly_one_daemon_pod(
        actions: list[tuple[Any, ...]]) -> None:
    asyncio.run(_churn(actions))
