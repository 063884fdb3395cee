"""The node lifecycle controller with the simulated kubelet: NotReady, taints, NoExecute eviction."""

from __future__ import annotations

from typing import Any

import pytest
from simkit import WORKER, Sim, make_pod

from minik8s.controllers.nodelifecycle import min_toleration, tolerates

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"


def taints(sim: Sim, node: str = WORKER) -> list[tuple[str, str]]:
    return sorted((t["key"], t["effect"]) for t in sim.node(node)["spec"].get("taints") or ())


def ready(sim: Sim, node: str = WORKER) -> str:
    return str(next(c["status"] for c in sim.node(node)["status"]["conditions"]
                    if c["type"] == "Ready"))


async def annotate(sim: Sim, value: str | None, node: str = WORKER) -> None:
    sim.client.patch("v1", "Node", node, {"metadata": {"annotations": {"minik8s.io/node-ready": value}}})
    await sim.settle()


async def test_a_not_ready_node_is_tainted_and_its_pods_evicted_after_300s_and_not_before(
        sim: Sim) -> None:
    await sim.run(make_pod("web"))
    await annotate(sim, "false")
    assert ready(sim) == "False"
    assert taints(sim) == [(NOT_READY, "NoExecute"), (NOT_READY, "NoSchedule")]
    await sim.advance(40)
    # the kubelet stopped posting: the controller marks the node Unknown, unreachable
    assert ready(sim) == "Unknown"
    assert taints(sim) == [(UNREACHABLE, "NoExecute"), (UNREACHABLE, "NoSchedule")]
    reason = next(c for c in sim.node()["status"]["conditions"] if c["type"] == "Ready")
    assert reason["message"] == "Kubelet stopped posting node status."
    await sim.advance(259)
    assert not sim.pod("web")["metadata"].get("deletionTimestamp")
    await sim.advance(1)
    pod = sim.pod("web")  # Terminating: the kubelet that would confirm it is down
    assert pod["metadata"]["deletionTimestamp"]
    assert any(c["type"] == "DisruptionTarget" and c["reason"] == "DeletionByTaintManager"
               for c in pod["status"]["conditions"])
    assert ("Normal", "TaintManagerEviction", "Marking for deletion Pod default/web", 1) in \
        sim.events("web")


async def test_a_node_that_comes_back_loses_its_taints_and_finishes_terminating_pods(sim: Sim) -> None:
    await sim.run(make_pod("web"))
    await annotate(sim, "false")
    await sim.advance(300)
    await annotate(sim, None)
    assert ready(sim) == "True"
    assert taints(sim) == []
    assert sim.pod_or_none("web") is None


async def test_a_kubelet_that_just_stops_makes_its_node_unknown_after_the_grace_period(
        sim: Sim) -> None:
    pod = await sim.run(make_pod("web"))
    assert next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")["status"] == "True"
    await annotate(sim, "unknown")
    await sim.advance(39)
    assert ready(sim) == "True" and taints(sim) == []
    await sim.advance(1)
    assert ready(sim) == "Unknown"
    assert taints(sim) == [(UNREACHABLE, "NoExecute"), (UNREACHABLE, "NoSchedule")]
    # MarkPodsNotReady: the pods' Ready condition goes False
    pod = sim.pod("web")
    assert next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")["status"] == "False"
    assert ("Warning", "NodeNotReady", "Node is not ready", 1) in sim.events("web")


async def test_a_noexecute_taint_without_a_toleration_evicts_at_once(sim: Sim) -> None:
    await sim.run(make_pod("plain"))
    await sim.run(make_pod("tolerant", tolerations=[
        {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoExecute"}]))
    node = sim.node()
    node["spec"]["taints"] = [{"key": "dedicated", "value": "gpu", "effect": "NoExecute"}]
    sim.client.update(node)
    await sim.settle()
    assert sim.pod_or_none("plain") is None  # evicted, and the kubelet finished it
    assert sim.pod("tolerant")["status"]["phase"] == "Running"


async def test_toleration_seconds_evict_that_long_later_and_removing_the_taint_cancels(
        sim: Sim) -> None:
    tol = [{"key": "maint", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}]
    await sim.run(make_pod("a", tolerations=tol))
    await sim.run(make_pod("b", tolerations=tol))
    node = sim.node()
    node["spec"]["taints"] = [{"key": "maint", "effect": "NoExecute"}]
    sim.client.update(node)
    await sim.settle()
    await sim.advance(30)
    node = sim.node()
    node["spec"]["taints"] = []
    sim.client.update(node)
    await sim.settle()
    assert ("Normal", "TaintManagerEviction", "Cancelling deletion of Pod default/a", 1) in \
        sim.events("a")
    node = sim.node()
    node["spec"]["taints"] = [{"key": "maint", "effect": "NoExecute"}]
    sim.client.update(node)
    await sim.settle()
    await sim.advance(59)
    assert sim.pod_or_none("a") is not None
    await sim.advance(1)
    assert sim.pod_or_none("a") is None and sim.pod_or_none("b") is None


async def test_cordon_adds_the_unschedulable_taint_and_uncordon_removes_it(sim: Sim) -> None:
    sim.client.patch("v1", "Node", WORKER, {"spec": {"unschedulable": True}})
    await sim.settle()
    assert taints(sim) == [("node.kubernetes.io/unschedulable", "NoSchedule")]
    assert sim.node()["spec"]["taints"][0]["timeAdded"] == "2026-01-01T00:00:00Z"
    sim.client.patch("v1", "Node", WORKER, {"spec": {"unschedulable": None}})
    await sim.settle()
    assert taints(sim) == []


async def test_taints_set_by_users_are_left_alone(sim: Sim) -> None:
    sim.client.patch("v1", "Node", WORKER, {"spec": {"taints": [
        {"key": "type", "value": "specialnode", "effect": "NoSchedule"}]}})
    await annotate(sim, "false")
    assert ("type", "NoSchedule") in taints(sim)
    await annotate(sim, None)
    assert taints(sim) == [("type", "NoSchedule")]


async def test_heartbeats_keep_a_healthy_node_ready_for_ever(sim: Sim) -> None:
    await sim.advance(600)
    assert [ready(sim, n) for n in ("minik8s-control-plane", WORKER, "minik8s-worker2")] == \
        ["True", "True", "True"]


async def test_a_node_with_no_kubelet_status_becomes_unknown_after_the_startup_grace_period(
        sim: Sim) -> None:
    sim.client.create({"apiVersion": "v1", "kind": "Node", "metadata": {
        "name": "ghost", "annotations": {"minik8s.io/node-ready": "unknown"}}})
    await sim.settle()
    await sim.advance(59)
    assert "conditions" not in (sim.node("ghost").get("status") or {})
    await sim.advance(1)
    conds = {c["type"]: c for c in sim.node("ghost")["status"]["conditions"]}
    assert conds["Ready"]["status"] == "Unknown"
    assert conds["Ready"]["reason"] == "NodeStatusNeverUpdated"


def t(key: str, effect: str = "NoExecute", value: str = "") -> dict[str, Any]:
    return {"key": key, "value": value, "effect": effect}


@pytest.mark.parametrize("tols,want", [
    ([], None),
    ([{"key": "a", "operator": "Exists"}], float("inf")),
    ([{"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}], 30.0),
    ([{"operator": "Exists"}], float("inf")),
    ([{"key": "a", "operator": "Equal", "value": "x", "effect": "NoExecute"}], None),
    ([{"key": "a", "operator": "Exists", "tolerationSeconds": 0}], 0.0),
], ids=["no toleration: evict now", "exists without seconds: forever", "seconds: that long",
        "an empty key with Exists tolerates everything", "a different value does not tolerate",
        "zero seconds: evict now"])
def test_min_toleration(tols: list[dict[str, Any]], want: float | None) -> None:
    assert min_toleration([t("a")], tols) == want


def test_a_toleration_for_another_effect_does_not_tolerate() -> None:
    assert not tolerates({"key": "a", "operator": "Exists", "effect": "NoSchedule"}, t("a"))


# --- Lease renewals: the deadline timer reads them, a renewal need not wake the controller ---------


def renew_lease(sim: Sim, at: float, node: str = WORKER) -> None:
    """Set the node's Lease renewTime to ``at`` (epoch seconds), as another renewer would."""
    lease = sim.client.get("coordination.k8s.io/v1", "Lease", node, "kube-node-lease")
    lease["spec"]["renewTime"] = sim.cluster.clock.rfc3339_micro(at)
    sim.client.update(lease)


async def test_a_renewal_of_a_silent_kubelets_lease_moves_the_deadline_it_is_marked_unknown_at(
        sim: Sim) -> None:
    await annotate(sim, "unknown")  # the kubelet posts nothing more from here (t0)
    t0 = sim.cluster.clock.now()
    await sim.advance(20)
    renew_lease(sim, t0 + 20)
    await sim.advance(39)
    assert ready(sim) == "True"
    await sim.advance(1)
    assert ready(sim) == "Unknown"


async def test_a_renewtime_moved_back_brings_the_deadline_forward(sim: Sim) -> None:
    await annotate(sim, "unknown")
    t0 = sim.cluster.clock.now()
    await sim.advance(30)
    renew_lease(sim, t0 + 30)  # deadline t0 + 70
    await sim.advance(15)  # the first deadline timer has fired and found t0 + 70
    assert ready(sim) == "True"
    renew_lease(sim, t0 + 10)  # back: deadline t0 + 50 (the last heartbeat was at t0 or before)
    await sim.advance(4)
    assert ready(sim) == "True"
    await sim.advance(1)
    assert ready(sim) == "Unknown"


async def test_a_healthy_nodes_renewals_are_read_by_its_deadline_timer_not_each_reconciled(
        sim: Sim) -> None:
    ctrl = next(c for c in sim.cluster.manager.controllers if c.name == "node-lifecycle-controller")
    before = ctrl.reconciles
    await sim.advance(600)
    # 3 nodes renew every 10 s (180 renewals) and post status every 5 min (6 posts); the
    # controller looks at each node about once per 30-40 s grace window, and at each post
    assert ctrl.reconciles - before <= 3 * (600 // 30 + 1) + 6
    assert [ready(sim, n) for n in ("minik8s-control-plane", WORKER, "minik8s-worker2")] == \
        ["True", "True", "True"]
