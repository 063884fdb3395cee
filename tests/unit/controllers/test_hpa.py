"""The HPA on the virtual clock: windows and policies at the right virtual times, through the whole chain
(metrics → HPA → scale subresource → Deployment → ReplicaSet → pods)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig

NS = "default"


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(ClusterConfig(), clock="virtual", serve=False) as c:
        yield c


def workload(c: Cluster, replicas: int = 1, behavior: dict[str, Any] | None = None, max_r: int = 10) -> None:
    c.client.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": NS},
                     "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                              "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
                                  "name": "c", "image": "nginx", "resources": {"requests": {"cpu": "200m"}}}]}}}})
    c.client.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS},
                     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    spec: dict[str, Any] = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                            "minReplicas": 1, "maxReplicas": max_r, "metrics": [{"type": "Resource", "resource": {
                                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}
    if behavior:
        spec["behavior"] = behavior
    c.client.create({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                     "metadata": {"name": "web", "namespace": NS}, "spec": spec})


def demand(c: Cluster, cpu: str | None) -> None:
    c.client.patch("v1", "Service", "web", {"metadata": {"annotations": {"minik8s.io/cpu-demand": cpu}}}, NS)


def replicas(c: Cluster) -> int:
    return int(c.client.get("apps/v1", "Deployment", "web", NS)["spec"]["replicas"])


async def test_the_seed_load_scales_one_pod_to_three(cluster: Cluster) -> None:
    workload(cluster)
    await cluster.advance(30)
    assert "currentMetrics" in cluster.client.get("autoscaling/v2", "HorizontalPodAutoscaler", "web", NS)["status"]
    demand(cluster, "276m")  # 138% of one pod's 200m
    await cluster.advance(30)
    assert replicas(cluster) == 3
    events = [e["message"] for e in cluster.client.list("v1", "Event", NS).items if e["reason"] == "SuccessfulRescale"]
    assert "New size: 3; reason: cpu resource utilization (percentage of request) above target" in events


async def test_a_scale_down_waits_for_the_five_minute_window(cluster: Cluster) -> None:
    workload(cluster, replicas=3)
    demand(cluster, "300m")  # 100m each over 3 pods = 50%: steady at 3
    await cluster.advance(60)
    assert replicas(cluster) == 3
    demand(cluster, None)
    await cluster.advance(240)   # four minutes of low load: recommendations within the window stay 3
    assert replicas(cluster) == 3
    hpa = cluster.client.get("autoscaling/v2", "HorizontalPodAutoscaler", "web", NS)
    able = next(c for c in hpa["status"]["conditions"] if c["type"] == "AbleToScale")
    assert able["reason"] == "ScaleDownStabilized"
    await cluster.advance(90)    # past the 300 s window
    assert replicas(cluster) == 1


async def test_a_behavior_changed_on_a_running_hpa_applies_from_its_next_sync(cluster: Cluster) -> None:
    workload(cluster, replicas=3)
    demand(cluster, "300m")
    await cluster.advance(60)
    demand(cluster, None)
    await cluster.advance(60)    # within the default 300 s window: held at 3
    assert replicas(cluster) == 3
    cluster.client.patch("autoscaling/v2", "HorizontalPodAutoscaler", "web", {"spec": {"behavior": {
        "scaleDown": {"stabilizationWindowSeconds": 0}}}}, NS)
    await cluster.advance(15)    # no window any more: down at the next sync
    assert replicas(cluster) == 1


async def test_a_pods_policy_of_four_per_minute_paces_the_scale_up(cluster: Cluster) -> None:
    workload(cluster, behavior={"scaleUp": {"stabilizationWindowSeconds": 0, "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 60}]}})
    await cluster.advance(30)
    demand(cluster, "100")    # far beyond anything: wants the max
    seen = []
    for _ in range(4):
        await cluster.advance(60)
        seen.append(replicas(cluster))
    assert seen == [5, 9, 10, 10]


async def test_an_hour_of_hpa_behaviour_runs_in_virtual_time(cluster: Cluster) -> None:
    import time

    workload(cluster)
    t = time.perf_counter()
    await cluster.advance(3600)  # 240 syncs through metrics, HPA, scale, Deployment, ReplicaSet, pods
    wall = time.perf_counter() - t
    assert replicas(cluster) == 1
    hpa = cluster.client.get("autoscaling/v2", "HorizontalPodAutoscaler", "web", NS)
    assert hpa["status"]["currentReplicas"] == 1
    assert wall < 30  # generous here; bench/ measures the real figure


def test_recommendation_windows_match_a_full_scan_in_order_or_not() -> None:
    """The stabilization windows bisect the remembered recommendations while their times are
    in order, and scan them all once a (real) clock stepped back: the same answers either way."""
    import random

    from minik8s.controllers.hpa import _Memory, _remember, _window_extremes

    rng = random.Random(7)
    for back in (False, True):
        mem, plain = _Memory(), []
        now, scanned = 1000.0, False
        for step in range(400):
            now += rng.choice([0.0, 5.0, 15.0, 15.0, 40.0]) - (30.0 if back and step % 50 == 49 else 0.0)
            proposed = rng.randrange(1, 10)
            up_after, down_after, kept_after = now - rng.choice([0, 60]), now - 300, now - 600
            want_up = min([r for t, r in plain if t > up_after] + [proposed])
            want_down = max([r for t, r in plain if t > down_after] + [proposed])
            assert _window_extremes(mem, proposed, up_after, down_after) == (want_up, want_down)
            _remember(mem, now, proposed, kept_after)
            plain = [(t, r) for t, r in plain if t > kept_after] + [(now, proposed)]
            assert mem.recommendations == plain
            scanned = scanned or not mem.in_order
        assert scanned == back


def test_static_pod_facts_judge_readiness_as_unready_does_at_every_time() -> None:
    """A sync splits ``_unready`` into what a pod object says once (memoized per object) and
    the end of its cpu initialization period: the same verdict for every pod shape, resource
    and time around those edges."""
    from minik8s.controllers.hpa import HpaSettings, _static_facts, _unready

    s = HpaSettings()
    start = "2026-01-01T00:00:00Z"
    t0 = 1767225600.0

    def pod(phase: str | None, start_time: str | None, *conds: dict[str, Any]) -> dict[str, Any]:
        status: dict[str, Any] = {"conditions": list(conds)}
        if phase:
            status["phase"] = phase
        if start_time:
            status["startTime"] = start_time
        return {"metadata": {"name": "p", "uid": "u"}, "status": status, "spec": {"containers": [
            {"name": "a", "resources": {"requests": {"cpu": "200m", "memory": "64Mi"}}}]}}

    def ready(status: str, ltt: str | None = None) -> dict[str, Any]:
        return {"type": "Ready", "status": status, **({"lastTransitionTime": ltt} if ltt else {})}

    pods = [pod("Pending", start, ready("True")), pod("Running", None, ready("True")),
            pod("Running", start), pod("Running", start, {"type": "Other", "status": "True"}),
            pod("Running", start, ready("True")), pod("Running", start, ready("Unknown")),
            pod("Running", start, ready("False", "2026-01-01T00:00:10Z")),
            pod("Running", start, ready("False", "2026-01-01T00:01:00Z")),
            pod("Running", start, ready("False")), pod("Running", start, ready("True"), ready("False"))]
    amount = {"cpu": lambda v: 200, "memory": lambda v: 64 << 20}
    for p in pods:
        for resource in ("cpu", "memory"):
            facts = _static_facts(p, p["metadata"], resource, None, lambda n, v: amount[n](v), s)
            assert facts is not None
            req, unready, init_until, before, after = facts
            assert req == amount[resource]("")
            for now in (t0, t0 + 299, t0 + 300, t0 + 301, t0 + 3600):
                got = unready
                if got is None:
                    got = before if init_until > now else after
                    if got is None:
                        got = _unready(p, resource, now, s)
                assert got == _unready(p, resource, now, s), (p["status"], resource, now)
    gone = pod("Failed", start, ready("True"))
    assert _static_facts(gone, gone["metadata"], "cpu", None, lambda n, v: 1, s) is None
