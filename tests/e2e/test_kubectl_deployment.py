"""kubectl drives Deployments against a served cluster (real clock): create, rollout status,
set image, rollout history / undo / restart, scale, get rs.

Pods become Running/Ready through the scheduler and simulated kubelet; whichever of the two
is not built yet, a stand-in thread does its part (``StandInKubelet``): binding pods, or
writing a Running/Ready status.
"""

from __future__ import annotations

import importlib.util
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import ServedCluster

pytestmark = pytest.mark.kubectl

NS = "default"
HAVE_SCHEDULER = importlib.util.find_spec("minik8s.scheduler.scheduler") is not None
HAVE_KUBELET = importlib.util.find_spec("minik8s.sim.kubelet") is not None


def _run_pods(client: Any, clock: Any) -> None:
    """Do what the missing components would: bind (scheduler), run and finish pods (kubelet)."""
    for p in client.list("v1", "Pod", NS).items:
        md = p["metadata"]
        if not HAVE_SCHEDULER and not p["spec"].get("nodeName") and not md.get("deletionTimestamp"):
            client.bind(NS, md["name"], "minik8s-worker")
            p = client.get("v1", "Pod", md["name"], NS)
        if HAVE_KUBELET:
            continue
        if md.get("deletionTimestamp"):
            client.delete("v1", "Pod", md["name"], NS, grace_period_seconds=0)
        elif (p.get("status") or {}).get("phase") != "Running":
            now = clock.rfc3339()
            p["status"] = {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": now}],
                "containerStatuses": [{"name": c["name"], "ready": True, "restartCount": 0,
                                       "image": c["image"], "imageID": "", "started": True,
                                       "state": {"running": {"startedAt": now}}}
                                      for c in p["spec"]["containers"]]}
            client.update_status(p)


class StandInKubelet:
    """Makes pods run every 20 ms from a thread, on the cluster's loop (idle when the real
    scheduler and kubelet both exist)."""

    def __init__(self, served: ServedCluster) -> None:
        self.served, self.stop = served, threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stop.wait(0.02):
            self.served.run(_run_pods, self.served.client, self.served.cluster.clock)

    def __enter__(self) -> StandInKubelet:  # noqa: PYI034 - final class
        if not (HAVE_SCHEDULER and HAVE_KUBELET):
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(5)


@pytest.fixture(scope="module")
def cluster(served_module: ServedCluster) -> Iterator[ServedCluster]:
    with StandInKubelet(served_module):
        yield served_module


def poll(fn: Callable[[], Any], timeout: float = 20) -> Any:
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > end:
            return v
        time.sleep(0.05)


def rollout_ok(c: ServedCluster, name: str) -> None:
    p = c.kubectl("rollout", "status", f"deployment/{name}", "--timeout=30s")
    assert f'deployment "{name}" successfully rolled out' in p.stdout


def history(c: ServedCluster, name: str) -> list[tuple[str, str]]:
    out = c.kubectl("rollout", "history", f"deployment/{name}").stdout
    rows = [line.split(None, 1) for line in out.splitlines()[2:] if line.strip()]
    return [(r[0], r[1].strip()) for r in rows]


def test_create_deployment_then_rollout_status_succeeds(cluster: ServedCluster) -> None:
    c = cluster
    p = c.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=3")
    assert p.stdout.strip() == "deployment.apps/web created"
    rollout_ok(c, "web")
    d = c.client.get("apps/v1", "Deployment", "web", NS)
    assert d["status"]["availableReplicas"] == 3 and d["status"]["updatedReplicas"] == 3
    rs = c.kubectl("get", "rs", "-l", "app=web").stdout.splitlines()
    assert rs[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    assert re.match(r"web-[456789bcdf]+\s+3\s+3\s+3\s", rs[1]), rs


def test_set_image_history_undo_and_restart(cluster: ServedCluster) -> None:
    c = cluster
    c.kubectl("create", "deployment", "api", "--image=nginx", "--replicas=2")
    rollout_ok(c, "api")
    p = c.kubectl("set", "image", "deployment/api", "nginx=nginx:1.27")
    assert p.stdout.strip() == "deployment.apps/api image updated"
    rollout_ok(c, "api")
    c.kubectl("annotate", "deployment/api", "kubernetes.io/change-cause=to 1.27")
    assert poll(lambda: history(c, "api") == [("1", "<none>"), ("2", "to 1.27")]), history(c, "api")
    p = c.kubectl("rollout", "history", "deployment/api", "--revision=1")
    assert p.stdout.startswith("deployment.apps/api with revision #1\n")
    assert "Image:\tnginx\n" in p.stdout
    p = c.kubectl("rollout", "undo", "deployment/api")
    assert p.stdout.strip() == "deployment.apps/api rolled back"
    rollout_ok(c, "api")
    image = c.kubectl("get", "deployment/api", "-o",
                      "jsonpath={.spec.template.spec.containers[0].image}")
    assert image.stdout == "nginx"
    assert poll(lambda: [r for r, _ in history(c, "api")] == ["2", "3"]), history(c, "api")
    p = c.kubectl("rollout", "restart", "deployment/api")
    assert p.stdout.strip() == "deployment.apps/api restarted"
    rollout_ok(c, "api")
    assert poll(lambda: [r for r, _ in history(c, "api")] == ["2", "3", "4"]), history(c, "api")
    rss = c.client.list("apps/v1", "ReplicaSet", NS, label_selector="app=api").items
    assert sorted(rs["spec"]["replicas"] for rs in rss) == [0, 0, 2]


def test_scale_and_get_rs_columns(cluster: ServedCluster) -> None:
    c = cluster
    c.kubectl("create", "deployment", "db", "--image=nginx", "--replicas=1")
    rollout_ok(c, "db")
    p = c.kubectl("scale", "deployment/db", "--replicas=4")
    assert p.stdout.strip() == "deployment.apps/db scaled"
    rollout_ok(c, "db")

    def rs_row() -> list[str] | None:
        rows = c.kubectl("get", "rs", "-l", "app=db", "--no-headers").stdout.split()
        return rows if rows[1:4] == ["4", "4", "4"] else None
    assert poll(rs_row), c.kubectl("get", "rs", "-l", "app=db").stdout
    out = c.kubectl("get", "deployment", "db").stdout.splitlines()
    assert out[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert out[1].split()[:4] == ["db", "4/4", "4", "4"]


def test_rollout_pause_and_resume(cluster: ServedCluster) -> None:
    c = cluster
    c.kubectl("create", "deployment", "cache", "--image=nginx", "--replicas=1")
    rollout_ok(c, "cache")
    assert c.kubectl("rollout", "pause", "deployment/cache").stdout.strip() == \
        "deployment.apps/cache paused"
    c.kubectl("set", "image", "deployment/cache", "nginx=nginx:1.27")
    time.sleep(0.3)
    assert len(c.client.list("apps/v1", "ReplicaSet", NS, label_selector="app=cache").items) == 1
    assert c.kubectl("rollout", "resume", "deployment/cache").stdout.strip() == \
        "deployment.apps/cache resumed"
    rollout_ok(c, "cache")
    assert len(c.client.list("apps/v1", "ReplicaSet", NS, label_selector="app=cache").items) == 2
