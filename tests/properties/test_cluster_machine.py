"""minik8s's own controllers under ``ClusterMachine``; a broken invariant is caught, shrunk and
printed as a script that replays; a machine's run replays exactly (names, placements, time).

Controller bugs the machine found stay pinned by the regression tests below.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from typing import Any

import pytest

from minik8s.runtime.manager import SettleError
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from minik8s.cluster import Cluster
from minik8s.config import NodeConfig
from minik8s.testing import invariants
from minik8s.testing.stateful import ClusterMachine

#: invariants a known controller bug breaks (none today; each would be pinned by a test below)
KNOWN_BUGS: frozenset[str] = frozenset()


class MiniK8sMachine(ClusterMachine):
    convergence = ClusterMachine.convergence - KNOWN_BUGS


def test_minik8s_controllers_keep_every_invariant() -> None:
    run_state_machine_as_test(MiniK8sMachine, settings=settings(
        max_examples=50, stateful_step_count=25, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))


# --- known controller bugs ----------------------------------------------------------------------

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
              "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": {
                  "metadata": {"labels": {"app": "web"}}, "spec": {
                      "nodeSelector": {"disk": "none-has-this"},
                      "containers": [{"name": "app", "image": "nginx",
                                      "resources": {"requests": {"cpu": "100m"}}}]}}}}
HPA = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
       "metadata": {"name": "web", "namespace": "default"},
       "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 1, "maxReplicas": 2, "metrics": [{"type": "Resource", "resource": {
                    "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}}


def test_hpa_brings_a_target_above_max_replicas_down_even_without_metrics() -> None:
    async def go() -> int:
        async with Cluster(clock="virtual", serve=False) as c:
            c.client.create(DEPLOYMENT)
            c.client.create(HPA)
            await c.advance(60)
            return int(c.client.get("apps/v1", "Deployment", "web", "default")["spec"]["replicas"])
    assert asyncio.run(go()) == 2


def test_node_lifecycle_taints_a_node_created_without_spec() -> None:
    async def go() -> dict[str, Any]:
        async with Cluster(clock="virtual", serve=False) as c:
            c.client.create({"apiVersion": "v1", "kind": "Node", "metadata": {
                "name": "ghost", "annotations": {"minik8s.io/node-ready": "unknown"}}})
            await c.advance(70)
            return c.client.get("v1", "Node", "ghost")
    node = asyncio.run(go())
    assert {t["key"] for t in node["spec"]["taints"]} >= {"node.kubernetes.io/unreachable"}


def test_settle_reports_the_churn_when_pods_tolerate_a_noexecute_taint_for_zero_seconds() -> None:
    """Found by ClusterMachine: such a pod is scheduled onto the tainted node (the toleration
    matches), evicted at once (0 s), replaced and rescheduled there, forever — in a real cluster
    too. Under the virtual clock the loop takes no time, so settle() names it instead of hanging."""
    async def go() -> str:
        async with Cluster(clock="virtual", serve=False) as c:
            for node in ("minik8s-worker", "minik8s-worker2"):
                c.client.patch("v1", "Node", node, {"spec": {"taints": [
                    {"key": "maintenance", "effect": "NoExecute"}]}})
            dep = {**DEPLOYMENT, "spec": {**DEPLOYMENT["spec"], "replicas": 1}}
            dep["spec"]["template"] = {"metadata": {"labels": {"app": "web"}}, "spec": {
                "containers": [{"name": "app", "image": "nginx"}],
                "tolerations": [{"key": "maintenance", "operator": "Exists", "effect": "NoExecute",
                                 "tolerationSeconds": 0}]}}
            c.client.create(dep)
            with pytest.raises(SettleError) as info:
                await c.settle(timeout=60)
            evictions = [e for e in c.store.resource("events").objects.values()
                         if e.get("reason") == "TaintManagerEviction"]
            assert evictions, "the churn is the taint manager evicting the replacement pods"
            return str(info.value)
    message = asyncio.run(go())
    assert "did not converge" in message and "taint-eviction-controller" in message


# --- failure reports ---------------------------------------------------------------------------------


class ScaledTooFar(ClusterMachine):
    """A user's machine with a deliberately false invariant: a Deployment runs the replicas it
    was last applied with (any ``kubectl scale`` to another count breaks it)."""

    # the report is what is under test: fewer kinds of steps reach a scale sooner, and
    # shrinking has less to drop
    disabled_rules = frozenset({"apply_statefulset", "apply_daemonset", "apply_hpa", "set_usage",
                                "label_node", "taint_node", "cordon", "set_kubelet", "settle"})

    @invariant()
    def replicas_are_as_applied(self) -> None:
        if self.cluster is None:
            return
        for (kind, name), applied in self.applied.items():
            if kind == "Deployment":
                live = self.c.client.get("apps/v1", kind, name, self.namespace)
                assert live["spec"]["replicas"] == applied["spec"]["replicas"], \
                    f"Deployment {name} runs {live['spec']['replicas']} replicas, " \
                    f"applied with {applied['spec']['replicas']}"


def _section(report: str, title: str) -> str:
    bar = "-" * 72
    return report.split(title, 1)[1].split(bar + "\n", 1)[1].split("\n" + bar, 1)[0]


def test_a_broken_invariant_is_caught_shrunk_and_printed_as_a_script_that_replays(tmp_path: Any) -> None:
    with pytest.raises(AssertionError, match="applied with") as failure:
        run_state_machine_as_test(ScaledTooFar, settings=settings(
            max_examples=60, stateful_step_count=8, deadline=None, database=None, derandomize=True,
            phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck)))
    notes = "\n".join(getattr(failure.value, "__notes__", []))
    actions = [m.group(1) for m in re.finditer(r"^state\.(\w+)\(", notes, re.MULTILINE)
               if m.group(1) not in ("replicas_are_as_applied", "safety_holds", "teardown")]
    assert actions[0] == "start_cluster" and actions[-1] == "scale"
    # shrunk to (almost) the essentials: start, create the Deployment, scale it
    assert "apply_deployment" in actions and len(actions) <= 4, actions
    seed = int(re.search(r"minik8s ClusterMachine seed: (\d+)", notes).group(1))  # type: ignore[union-attr]

    script = _section(notes, "replay script")
    assert f"ClusterConfig(seed={seed}," in script
    assert "subresource='scale'" in script and "# $ kubectl scale deployment/" in script
    kubectl = _section(notes, "kubectl equivalent")
    assert re.search(r"^kubectl scale deployment/\w+ --replicas=\d$", kubectl, re.MULTILINE)
    assert f"#   seed: {seed}" in kubectl

    path = tmp_path / "replay.py"
    path.write_text(script)
    out = subprocess.run([sys.executable, str(path)], check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    expected = notes.split("state at failure:\n", 1)[1].split("\n" + "-" * 72, 1)[0]
    assert out.stdout.startswith("time ") and out.stdout.strip() == expected.strip()


def test_a_run_replays_exactly_with_the_same_names_placements_and_time(tmp_path: Any) -> None:
    m = ClusterMachine()
    try:
        m.start_cluster(seed=4242, workers=[NodeConfig("worker-1", labels={"disk": "ssd"},
                                                       capacity={"cpu": "2", "memory": "4Gi", "pods": "110"}),
                                            NodeConfig("worker-2", capacity={"cpu": "4", "memory": "8Gi",
                                                                             "pods": "110"})])
        dep = {**DEPLOYMENT, "spec": {**DEPLOYMENT["spec"], "replicas": 4}}
        dep["spec"]["template"] = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
            {"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": "300m"}}}]}}
        m.apply_deployment(dep)
        m.set_image(0, "nginx:1.28")
        m.delete_pod(1)
        m.cordon(0, True)
        m.advance(30.0)
        m.scale(0, 6)
        m.settle()
        want = m.report(None).split("state at failure:\n", 1)[1].split("\n" + "-" * 72, 1)[0]
        assert want.count("pod default/web-") == 6
        path = tmp_path / "replay.py"
        path.write_text(m.replay_script())
    finally:
        m.teardown()
    out = subprocess.run([sys.executable, str(path)], check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == want.strip()


def test_every_invariant_in_the_library_is_documented() -> None:
    for name, fn in {**invariants.SAFETY, **invariants.CONVERGENCE}.items():
        assert fn.__doc__, name
    assert set(ClusterMachine.safety) == set(invariants.SAFETY)
    assert set(ClusterMachine.convergence) == set(invariants.CONVERGENCE)
